import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';

/**
 * What a browser is told: the web origin forbids framing, sniffing and foreign content, and
 * neither origin answers cross-origin requests, so no other site can read what a signed-in
 * browser may see. HSTS is sent only where crgate is served over HTTPS.
 */
let gw: TestGateway;
let secure: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
  secure = await startGateway({ CRGATE_PUBLIC_URL_SCHEME: 'https' }, { withOwnerToken: false });
});
afterAll(async () => {
  await gw?.close();
  await secure?.close();
});

it.each(['/', '/api/v3/nothing', '/.well-known/jwks.json', '/no-such-page'])(
  'sends the security headers on %s of the web origin',
  async (path) => {
    const res = await gw.http.get(path).set('Host', gw.webHost);

    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  },
);

it('adds HSTS when the public scheme is https', async () => {
  const res = await secure.http.get('/').set('Host', `localhost:${secure.port}`);

  expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
});

it('answers no cross-origin request on either origin', async () => {
  const origin = 'https://evil.example';
  const registry = await gw.client.get('/v2/').set('Origin', origin).expect(200);
  const preflight = await gw.http
    .options('/v2/')
    .set('Host', gw.registryHost)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'GET')
    .expect(405);
  const web = await gw.http
    .get('/.well-known/jwks.json')
    .set('Host', gw.webHost)
    .set('Origin', origin);

  for (const res of [registry, preflight, web]) {
    const cors = Object.keys(res.headers).filter((name) => name.startsWith('access-control-'));
    expect(cors).toEqual([]);
  }
  expect(preflight.body.errors[0].code).toBe('UNSUPPORTED');
});
