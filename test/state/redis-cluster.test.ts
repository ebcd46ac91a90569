import { randomBytes } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { startRedisCluster } from '../harness/services';

/**
 * crgate on a real Redis Cluster of three masters: every transaction and pipeline it sends
 * must keep to one hash slot, or the cluster refuses it with CROSSSLOT.
 */
describe('Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let gw: TestGateway;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    gw = await startGateway({ CRGATE_REDIS_URL: cluster.url });
  });
  afterAll(async () => {
    await gw?.close();
    await cluster?.stop();
  });

  it('creates, records and catalogs a package, and decides from the cache', async () => {
    const repository = `octocat/clustered-${randomBytes(3).toString('hex')}`;
    const { digest } = await gw.client.pushImage(repository, '1');
    await gw.gateway.packages.update(repository, { visibility: 'public' });

    const tags = await gw.client.get(`/v2/${repository}/tags/list`).expect(200);
    const catalog = await gw.client.get('/v2/_catalog').expect(200);

    expect(tags.body.tags).toEqual(['1']);
    expect(await gw.gateway.packages.tags(repository)).toEqual({ '1': digest });
    expect(catalog.body.repositories).toContain(repository);
  });

  it('signs in with a token, counts failures, and stops a revoked token', async () => {
    const { secret, record } = await gw.gateway.tokens.createPat({
      user: 'mona',
      scopes: ['read:packages'],
    });
    const mona = gw.client.as({ username: 'mona', password: secret });
    await mona.get('/v2/').expect(200);
    await gw.client.as({ username: 'mona', password: 'ghp_wrong' }).get('/v2/').expect(401);

    await gw.gateway.tokens.revoke(record.id);

    await mona.get('/v2/').expect(401);
  });

  it('is ready: its readiness check reaches the cluster', async () => {
    const res = await fetch(`http://127.0.0.1:${gw.metricsPort}/readyz`);

    expect(res.status).toBe(200);
  });
});
