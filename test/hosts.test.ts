import { randomUUID } from 'node:crypto';

import { startGateway } from './harness/gateway';
import type { TestGateway } from './harness/gateway';
import { eventually, registrySaw } from './harness/registry-log';

describe('subdomain isolation', () => {
  let gw: TestGateway;
  let http: TestGateway['http'];

  beforeAll(async () => {
    gw = await startGateway();
    ({ http } = gw);
  });
  afterAll(() => gw.close());

  it('refuses any other Host with 421 and never reaches the registry', async () => {
    const refusedPath = `/v2/probe/${randomUUID()}/tags/list`;
    const servedPath = `/v2/probe/${randomUUID()}/tags/list`;

    const refused = await http.get(refusedPath).set('Host', `evil.example:${gw.port}`);
    await gw.client.get(servedPath).expect(404);

    expect(refused.status).toBe(421);
    expect(refused.body.errors[0].code).toBe('MISDIRECTED');
    expect(refused.body.errors[0].message).toContain('containers.localhost');
    // The registry logs the request that was let through, so it would have logged the other.
    expect(await eventually(() => registrySaw(servedPath) > 0)).toBe(true);
    expect(registrySaw(refusedPath)).toBe(0);
  });

  it.each(['', 'localhost.evil.example', 'containers.localhost.evil.example', '127.0.0.1'])(
    'refuses Host "%s"',
    async (host) => {
      const res = await http.get('/v2/').set('Host', host);

      expect(res.status).toBe(421);
    },
  );

  it('serves the registry API on containers.<hostname>, with any port and case', async () => {
    const res = await http
      .get('/v2/')
      .set('Host', `CONTAINERS.LOCALHOST:${gw.port}`)
      .auth('octocat', gw.ownerToken);

    expect(res.status).toBe(200);
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('serves a home page on <hostname> that names the registry host', async () => {
    const res = await http.get('/').set('Host', gw.webHost);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain(`docker login containers.localhost:${gw.port}`);
  });

  it('serves the REST API on <hostname>, with GitHub-shaped errors', async () => {
    const anonymous = await http
      .get('/api/v3/user/packages?package_type=container')
      .set('Host', gw.webHost);
    const unknown = await http.get('/api/v3/no/such/endpoint').set('Host', gw.webHost);

    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      message: 'Requires authentication',
      documentation_url: expect.stringMatching(/^https:/),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ message: 'Not Found', documentation_url: expect.any(String) });
  });

  it('does not serve the registry API on the web origin', async () => {
    const path = `/v2/probe/${randomUUID()}/tags/list`;

    const res = await http.get(path).set('Host', gw.webHost);

    expect(res.status).toBe(404);
    expect(registrySaw(path)).toBe(0);
  });

  it('sets no cookie on either origin', async () => {
    const registry = await http.get('/v2/').set('Host', gw.registryHost);
    const web = await http.get('/').set('Host', gw.webHost);

    expect(registry.headers['set-cookie']).toBeUndefined();
    expect(web.headers['set-cookie']).toBeUndefined();
  });

  it('ignores X-Forwarded-Host unless the proxy is trusted', async () => {
    const res = await http
      .get('/v2/')
      .set('Host', `evil.example:${gw.port}`)
      .set('X-Forwarded-Host', gw.registryHost);

    expect(res.status).toBe(421);
  });
});

describe('behind a trusted proxy', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ CRGATE_TRUST_PROXY: 'true' });
  });
  afterAll(() => gw.close());

  it('routes on X-Forwarded-Host and hands out URLs with X-Forwarded-Proto', async () => {
    const res = await gw.http
      .post('/v2/octocat/proxied/blobs/uploads/')
      .set('Host', `10.1.2.3:${gw.port}`)
      .set('X-Forwarded-Host', 'containers.localhost')
      .set('X-Forwarded-Proto', 'https')
      .auth('octocat', gw.ownerToken);

    expect(res.status).toBe(202);
    expect(res.headers.location).toMatch(
      /^https:\/\/containers\.localhost\/v2\/octocat\/proxied\/blobs\/uploads\/[0-9a-f-]{36}$/,
    );
  });
});
