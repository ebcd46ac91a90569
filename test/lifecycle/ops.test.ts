import request from 'supertest';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { freePort } from '../harness/ports';

describe('the operations listener', () => {
  let gw: TestGateway;
  let ops: ReturnType<typeof request>;

  beforeAll(async () => {
    gw = await startGateway();
    ops = request(`http://127.0.0.1:${gw.metricsPort}`);
  });
  afterAll(() => gw.close());

  it('says the process is alive', async () => {
    const res = await ops.get('/healthz').expect(200);

    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready when the registry and Redis answer', async () => {
    const res = await ops.get('/readyz').expect(200);

    expect(res.body).toEqual({ status: 'ready', checks: { registry: 'ok', redis: 'ok' } });
  });

  it('counts requests with bounded labels and never a repository', async () => {
    const client = gw.client;
    await client.get('/v2/octocat/secret-project/tags/list');

    const res = await ops.get('/metrics').expect(200);

    expect(res.text).toMatch(
      /crgate_http_requests_total\{origin="registry",route="tags",method="GET",status_class="4xx"\} \d+/,
    );
    expect(res.text).toContain('crgate_http_request_duration_seconds_bucket');
    expect(res.text).toContain('crgate_uploads_in_flight 0');
    expect(res.text).toContain('crgate_process_resident_memory_bytes');
    expect(res.text).not.toContain('secret-project');
  });

  it('is not served on the public listener', async () => {
    const res = await gw.http.get('/metrics').set('Host', gw.webHost);

    expect(res.status).toBe(404);
  });
});

describe('readiness without Redis', () => {
  it('answers 503 and names the failing dependency', async () => {
    const gw = await startGateway(
      { CRGATE_REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
      { withOwnerToken: false },
    );
    try {
      const res = await request(`http://127.0.0.1:${gw.metricsPort}`).get('/readyz').expect(503);

      expect(res.body.status).toBe('not ready');
      expect(res.body.checks.registry).toBe('ok');
      expect(res.body.checks.redis).not.toBe('ok');
    } finally {
      await gw.close();
    }
  });
});
