import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_MANIFEST } from '../harness/registry-client';
import { startRedis } from '../harness/services';
import type { Service } from '../harness/services';

/**
 * crgate whose Redis goes away under it: a real redis-server of its own, stopped once a token
 * and a package exist. Every request that needs Redis is then refused with a 503 and a
 * Retry-After, whoever asks and on either origin: never an allow, and never a bare 500.
 */
describe('crgate while Redis is away', () => {
  let redis: Service;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    gw = await startGateway({ CRGATE_REDIS_URL: redis.url });
    await gw.client.pushImage('octocat/kept', '1');
    await gw.gateway.packages.update('octocat/kept', { visibility: 'public' });
    await redis.stop();
  });
  afterAll(async () => {
    await gw?.close();
  });

  function expectUnavailable(res: {
    status: number;
    headers: Record<string, string>;
    body: unknown;
  }) {
    const { errors } = res.body as { errors: { code: string }[] };
    expect(res.status).toBe(503);
    expect(errors[0]?.code).toBe('UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
  }

  it('refuses a personal access token sent with Basic, which it cannot check', async () => {
    expectUnavailable(
      await gw.client.get('/v2/octocat/kept/manifests/1').set('Accept', OCI_MANIFEST),
    );
  });

  it('refuses to issue a token, rather than issue one it cannot decide', async () => {
    const query = new URLSearchParams({
      service: 'containers.localhost',
      scope: 'repository:octocat/kept:pull',
    });

    expectUnavailable(await gw.client.get(`/token?${query}`));
  });

  it('refuses an anonymous pull of a public package, whose settings it cannot read', async () => {
    const anonymous = gw.client.as(undefined);

    expectUnavailable(
      await anonymous.get('/v2/octocat/kept/manifests/1').set('Accept', OCI_MANIFEST),
    );
  });

  it('answers the REST API with GitHub-shaped 503s that say no more', async () => {
    const res = await gw.http
      .get('/api/v3/user/packages/container/kept')
      .set('Host', gw.webHost)
      .set('Authorization', `Bearer ${gw.ownerToken}`);

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({
      message: 'Service Unavailable',
      documentation_url: 'https://docs.github.com/rest/packages/packages',
    });
  });

  it('answers a package page with a 503 page, not a stack trace', async () => {
    const res = await gw.http
      .get('/users/octocat/packages/container/package/kept')
      .set('Host', gw.webHost);

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('This page could not be shown');
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('logs the outage as such, and no unexpected error', () => {
    const messages = gw.logs.map((line) => line.message);

    expect(messages).toContain('redis unavailable; refusing');
    expect(messages).not.toContain('unexpected error');
  });
});
