import { Redis } from 'ioredis';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { startRedis, startSentinel } from '../harness/services';
import type { Service } from '../harness/services';

/**
 * crgate through Redis Sentinel: a real redis-server as master and a real sentinel in front of
 * it, named by a `redis+sentinel://` URL, as a deployment with a Sentinel would name them.
 */
describe('Redis through Sentinel', () => {
  let master: Service;
  let sentinel: Service;
  let gw: TestGateway;

  beforeAll(async () => {
    master = await startRedis();
    sentinel = await startSentinel(master.port, 'crgate');
    gw = await startGateway({ CRGATE_REDIS_URL: sentinel.url });
  });
  afterAll(async () => {
    await gw?.close();
    await sentinel?.stop();
    await master?.stop();
  });

  it('keeps its records on the master that the sentinel names', async () => {
    await gw.client.pushImage('octocat/through-sentinel', '1');
    const direct = new Redis(master.url);

    const keys = await direct.keys('crgate:rec:package:{octocat/through-sentinel}');
    await direct.quit();

    expect(keys).toHaveLength(1);
  });

  it('is ready: its readiness check reaches Redis through the sentinel', async () => {
    const res = await fetch(`http://127.0.0.1:${gw.metricsPort}/readyz`);

    expect(res.status).toBe(200);
  });
});
