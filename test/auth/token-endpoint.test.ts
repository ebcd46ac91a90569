import { randomUUID } from 'node:crypto';

import { ALL_SCOPES, startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';

interface Claims {
  sub: string;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
  access: { type: string; name: string; actions: string[] }[];
}

function claimsOf(token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Claims;
}

describe('the token endpoint', () => {
  let gw: TestGateway;
  let http: TestGateway['http'];

  beforeAll(async () => {
    gw = await startGateway();
    ({ http } = gw);
  });
  afterAll(() => gw.close());

  function tokenGet(query: string, token?: string, username = 'anything') {
    const test = http.get(`/token?${query}`).set('Host', gw.registryHost);
    return token ? test.auth(username, token) : test;
  }

  function tokenPost(form: Record<string, string>) {
    return http
      .post('/token')
      .set('Host', gw.registryHost)
      .type('form')
      .send(new URLSearchParams(form).toString());
  }

  it('issues a signed token granting what was asked and allowed', async () => {
    const res = await tokenGet(
      'service=containers.localhost&scope=repository:octocat/app:pull,push',
      gw.ownerToken,
    ).expect(200);

    const claims = claimsOf(res.body.token);
    expect(res.body.access_token).toBe(res.body.token);
    expect(res.body.expires_in).toBe(300);
    expect(Date.parse(res.body.issued_at)).toBe(claims.iat * 1000);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(claims).toMatchObject({ sub: 'octocat', aud: 'containers.localhost', iss: 'crgate' });
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.access).toEqual([
      { type: 'repository', name: 'octocat/app', actions: ['pull', 'push'] },
    ]);
  });

  it('grants less, without an error, when more is asked than allowed', async () => {
    const readOnly = await gw.createToken('hubot', ['read:packages']);

    const res = await tokenGet(
      'scope=repository:acme/app:pull,push,delete&scope=repository:octocat/private:pull',
      readOnly,
    ).expect(200);

    expect(claimsOf(res.body.token).access).toEqual([
      { type: 'repository', name: 'acme/app', actions: ['pull'] },
      { type: 'repository', name: 'octocat/private', actions: [] },
    ]);
  });

  it('gives anonymous clients a token that grants nothing private', async () => {
    const res = await tokenGet('scope=repository:octocat/app:pull').expect(200);

    expect(claimsOf(res.body.token)).toMatchObject({
      sub: 'anonymous',
      access: [{ type: 'repository', name: 'octocat/app', actions: [] }],
    });
  });

  it('refuses a wrong token with 401, telling what a password must be', async () => {
    const wrong = await tokenGet('scope=repository:octocat/app:pull', 'hunter2').expect(401);
    const unknown = await tokenGet('', `${gw.ownerToken.slice(0, 4)}${'0'.repeat(36)}`);

    expect(wrong.body.errors[0].code).toBe('UNAUTHORIZED');
    expect(wrong.body.errors[0].message).toContain('personal access token (classic, ghp_...)');
    expect(unknown.status).toBe(401);
  });

  it.each([
    ['service=registry.example.com', 'INVALID_REQUEST'],
    ['scope=repository:octocat', 'INVALID_REQUEST'],
  ])('refuses %s with %s', async (query, code) => {
    const res = await tokenGet(query, gw.ownerToken).expect(400);

    expect(res.body.errors[0].code).toBe(code);
  });

  it('adds a refresh token on offline_token=true, which POST /token trades for access', async () => {
    const token = await gw.createToken('mona', ['read:packages']);
    const offline = await tokenGet('offline_token=true&client_id=docker', token).expect(200);

    const refreshed = await tokenPost({
      grant_type: 'refresh_token',
      refresh_token: offline.body.refresh_token,
      service: 'containers.localhost',
      scope: 'repository:acme/app:pull',
      client_id: 'docker',
    }).expect(200);

    expect(claimsOf(refreshed.body.access_token)).toMatchObject({
      sub: 'mona',
      access: [{ type: 'repository', name: 'acme/app', actions: ['pull'] }],
    });
  });

  it('takes the OAuth2 password grant, as containerd sends it', async () => {
    const res = await tokenPost({
      grant_type: 'password',
      username: 'octocat',
      password: gw.ownerToken,
      service: 'containers.localhost',
      scope: 'repository:octocat/app:push',
      client_id: 'containerd',
    }).expect(200);

    expect(claimsOf(res.body.access_token).access[0]?.actions).toEqual(['push']);
    expect(res.body.refresh_token).toEqual(expect.any(String));
  });

  it('stops refresh tokens of a revoked personal access token', async () => {
    const { secret, record } = await gw.gateway.tokens.createPat({
      user: 'octocat',
      scopes: ALL_SCOPES,
    });
    const offline = await tokenGet('offline_token=true', secret).expect(200);
    await gw.gateway.tokens.revoke(record.id);

    const res = await tokenPost({
      grant_type: 'refresh_token',
      refresh_token: offline.body.refresh_token,
    }).expect(401);

    expect(res.body.errors[0].message).toContain('revoked or expired');
  });

  it('does not take an access token as a refresh token', async () => {
    const access = await tokenGet('', gw.ownerToken).expect(200);

    await tokenPost({ grant_type: 'refresh_token', refresh_token: access.body.token }).expect(401);
  });

  it('refuses an unknown grant type', async () => {
    const res = await tokenPost({ grant_type: 'client_credentials' }).expect(400);

    expect(res.body.errors[0].code).toBe('INVALID_REQUEST');
  });

  it('turns failures past the per-username limit into 429, never locking out a valid token', async () => {
    const username = `guesser-${randomUUID()}`;
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      statuses.push((await tokenGet('', 'wrong', username)).status);
    }
    const valid = await tokenGet('', gw.ownerToken, username);

    const stillWrong = await tokenGet('', 'wrong', username);

    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    expect(stillWrong.body.errors[0].code).toBe('TOOMANYREQUESTS');
    expect(Number(stillWrong.headers['retry-after'])).toBeGreaterThan(0);
    // The username proves nothing, so failures in its name never lock its owner out.
    expect(valid.status).toBe(200);
  });

  it('publishes the public keys that verify its tokens', async () => {
    const res = await http.get('/.well-known/jwks.json').set('Host', gw.webHost).expect(200);

    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(res.body.keys[0].d).toBeUndefined();
  });
});

describe('the per-address limit behind a trusted proxy', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ CRGATE_TRUST_PROXY: 'true', CRGATE_AUTH_FAILURES_PER_ADDRESS: '3' });
  });
  afterAll(() => gw.close());

  function signIn(address: string, token: string) {
    return gw.http
      .get('/token')
      .set('Host', gw.registryHost)
      .set('X-Forwarded-For', `203.0.113.99, ${address}`)
      .auth('someone', token);
  }

  it('counts the address the proxy saw, and blocks it after too many failures', async () => {
    const guesser = '198.51.100.23';
    const failures = [];
    for (let i = 0; i < 3; i += 1) failures.push((await signIn(guesser, 'wrong')).status);

    const blocked = await signIn(guesser, gw.ownerToken);
    const elsewhere = await signIn('192.0.2.7', gw.ownerToken);

    expect(failures).toEqual([401, 401, 401]);
    expect(blocked.status).toBe(429);
    expect(blocked.body.errors[0].code).toBe('TOOMANYREQUESTS');
    expect(elsewhere.status).toBe(200);
  });
});
