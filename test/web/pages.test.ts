import { createHash } from 'node:crypto';

import { ALL_SCOPES, startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_MANIFEST } from '../harness/registry-client';
import { cookieNamed, csrfPair as csrfPairOf, flat, valueOf } from './forms';
import { DESCRIPTION, LICENSES, publishImage, publishIndex, uniqueName } from './published';

/**
 * The package pages as HTML over HTTP: what they show, to whom, and how they escape what a
 * pusher wrote. Browser behaviour (what a person sees) is in package-page.test.ts.
 */
const HOSTILE = '<script>alert(1)</script> & "quoted" \'text\'';

let gw: TestGateway;
let publicName: string;
let privateName: string;
let digest: string;

beforeAll(async () => {
  gw = await startGateway();
  publicName = uniqueName('shown');
  privateName = uniqueName('hidden');
  ({ digest } = await publishImage(gw.client, `octocat/${publicName}`, 'latest', {
    [DESCRIPTION]: HOSTILE,
    [LICENSES]: 'MIT',
  }));
  await publishImage(gw.client, `octocat/${privateName}`, '1.0');
  await gw.gateway.packages.update(`octocat/${publicName}`, { visibility: 'public' });
});
afterAll(() => gw.close());

const page = (path: string, cookie?: string) => {
  const test = gw.http.get(path).set('Host', gw.webHost);
  return cookie ? test.set('Cookie', cookie) : test;
};
const packagePath = (name: string, owner = 'users/octocat') =>
  `/${owner}/packages/container/package/${encodeURIComponent(name)}`;

/** A CSRF cookie and the token its form carries, from this file's gateway unless named. */
const csrfPair = (target: TestGateway = gw) => csrfPairOf(target);

function postLogin(fields: Record<string, string>, cookie: string, query = '') {
  return gw.http
    .post(`/login${query}`)
    .set('Host', gw.webHost)
    .set('Cookie', cookie)
    .type('form')
    .send(fields);
}

/** Signs in through the form; resolves with the session cookie (`crgate_session=...`). */
async function signIn(user: string, ssoOrgs: string[] = []) {
  const password = await gw.createToken(user, ['read:packages'], ssoOrgs);
  const { cookie, token } = await csrfPair();
  const res = await postLogin({ login: user, password, csrf_token: token }, cookie).expect(303);
  return {
    session: `crgate_session=${valueOf(cookieNamed(res, 'crgate_session'))}`,
    res,
    password,
  };
}

describe('the package page', () => {
  it('shows the name, the description as text, the license and the visibility', async () => {
    const res = await page(packagePath(publicName)).expect(200);

    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(flat(res.text)).toContain(`<h1>${publicName} <span class="badge">public</span></h1>`);
    expect(res.text).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;text&#39;',
    );
    expect(res.text).not.toContain('<script');
    expect(flat(res.text)).toContain('<dt>License</dt> <dd>MIT</dd>');
  });

  it('gives the pull commands for the registry host the request came to', async () => {
    const res = await page(packagePath(publicName)).expect(200);
    const image = `${gw.registryHost}/octocat/${publicName}`;

    expect(res.text).toContain(`docker pull ${image}:latest`);
    expect(res.text).toContain(`docker pull ${image}@${digest}`);
  });

  it('lists each version with its tags, digest, size and downloads, anchored by id', async () => {
    await gw.client
      .get(`/v2/octocat/${publicName}/manifests/latest`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    // The registry origin counts a pull after answering it; wait for the count, not a time.
    while (((await gw.gateway.packages.downloads(`octocat/${publicName}`))[digest] ?? 0) < 1);
    const [version] = await gw.gateway.packages.versions(`octocat/${publicName}`);

    const res = await page(packagePath(publicName)).expect(200);
    const row = new RegExp(`<tr id="version-${version?.id}">([\\s\\S]*?)</tr>`).exec(res.text);

    expect(row?.[1]).toContain('<code class="tag">latest</code>');
    expect(row?.[1]).toContain(`title="${digest}">${digest.slice(0, 19)}…</code>`);
    expect(row?.[1]).toMatch(/<td class="number">2\.\d kB<\/td>/);
    expect(row?.[1]).toContain('<td class="number">1</td>');
  });

  it('names the platforms of a multi-arch version', async () => {
    const name = uniqueName('multi');
    await publishIndex(gw.client, `octocat/${name}`, 'latest');

    const res = await page(packagePath(name), (await signIn('octocat')).session).expect(200);

    expect(res.text).toContain('linux/amd64, linux/arm64');
  });

  it('answers a nested name written with %2F or with slashes', async () => {
    const name = `${uniqueName('app')}/release`;
    await publishImage(gw.client, `octocat/${name}`, '1.0');
    await gw.gateway.packages.update(`octocat/${name}`, { visibility: 'public' });

    const encoded = await page(packagePath(name)).expect(200);
    const plain = await page(`/users/octocat/packages/container/package/${name}`).expect(200);

    for (const res of [encoded, plain]) expect(res.text).toContain(`<h1>${name} <span`);
    expect(encoded.text).toContain(`docker pull ${gw.registryHost}/octocat/${name}:1.0`);
  });

  it('links the stylesheet from the origin itself, cached for a year', async () => {
    const res = await page(packagePath(publicName)).expect(200);
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(res.text)?.[1] ?? '';

    const css = await page(href).expect(200);

    expect(href).toMatch(/^\/assets\/crgate-[0-9a-f]{12}\.css$/);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('what is not found', () => {
  it.each([
    ['an unknown package', () => packagePath('no-such-package')],
    ['a user namespace under /orgs', () => packagePath(publicName, 'orgs/octocat')],
    ['an organization under /users', () => '/users/acme/packages'],
    ['an unknown namespace', () => '/users/nobody-here/packages'],
    ['an unknown version id', () => `/users/octocat/packages/container/${publicName}/99999999`],
  ])('answers 404 for %s, the same page each time', async (_what, path) => {
    const res = await page(path()).expect(404);

    expect(res.text).toContain('<h1>Page not found</h1>');
  });

  it('answers a private package, anonymously, as it answers a package that never was', async () => {
    const hidden = await page(packagePath(privateName)).expect(404);
    const missing = await page(packagePath('never-was')).expect(404);

    expect(hidden.text.replaceAll(privateName, 'never-was')).toBe(missing.text);
  });

  it('answers 404 for a deleted package', async () => {
    const name = uniqueName('deleted');
    await publishImage(gw.client, `octocat/${name}`, '1');
    await gw.gateway.packages.update(`octocat/${name}`, { visibility: 'public' });
    await page(packagePath(name)).expect(200);

    await gw.gateway.deletions.deletePackage(`octocat/${name}`);

    await page(packagePath(name)).expect(404);
  });
});

describe('GitHub version URLs', () => {
  it('redirect to the package page at the version', async () => {
    const [version] = await gw.gateway.packages.versions(`octocat/${publicName}`);

    const res = await page(`/users/octocat/packages/container/${publicName}/${version?.id}`);

    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${packagePath(publicName)}#version-${version?.id}`);
  });
});

describe('the front page', () => {
  it("names the registry host and, once signed in, leads to the viewer's packages", async () => {
    const anonymous = await page('/').expect(200);
    const { session } = await signIn('hubot');
    const signedIn = await page('/', session).expect(200);

    expect(anonymous.text).toContain(`docker login containers.${gw.webHost}`);
    expect(anonymous.text).toMatch(/<link rel="stylesheet" href="\/assets\/crgate-[0-9a-f]+\.css"/);
    expect(anonymous.text).toContain('href="/login?return_to=%2F"');
    expect(anonymous.text).not.toContain('Your packages');
    expect(flat(signedIn.text)).toContain('Signed in as <strong>hubot</strong>');
    expect(signedIn.text).toContain('<a href="/users/hubot/packages">Your packages</a>');
  });
});

describe('the package list', () => {
  /** Every page of a list, following its Next links: other test files publish as octocat too. */
  async function wholeList(path: string, cookie?: string): Promise<string> {
    let text = '';
    for (let next: string | undefined = path; next;) {
      const res: { text: string } = await page(next, cookie).expect(200);
      text += res.text;
      next = /<a href="([^"]+)">Next<\/a>/.exec(res.text)?.[1]?.replace(/&amp;/g, '&');
    }
    return text;
  }

  it('lists public packages to everyone and private ones to who may read them', async () => {
    const anonymous = await wholeList('/users/octocat/packages?package_type=container');
    const { session } = await signIn('octocat');
    const owner = await wholeList('/users/octocat/packages', session);

    expect(anonymous).toContain(`href="${packagePath(publicName)}">${publicName}</a>`);
    expect(anonymous).not.toContain(privateName);
    expect(anonymous).toContain('&lt;script&gt;');
    expect(owner).toContain(`href="${packagePath(privateName)}">${privateName}</a>`);
  });

  it('lists nothing for another package type', async () => {
    const res = await page('/users/octocat/packages?package_type=npm').expect(200);

    expect(res.text).toContain('No packages to show.');
    expect(res.text).not.toContain(publicName);
  });
});

describe('signing in', () => {
  it('sets a host-only, HttpOnly, SameSite=Lax session cookie, not Secure over http', async () => {
    const { res } = await signIn('octocat');
    const session = cookieNamed(res, 'crgate_session') ?? '';

    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\//);
    expect(session).not.toMatch(/Domain=/i);
    expect(session).not.toMatch(/Secure/);
    expect(res.headers.location).toBe('/');
  });

  it('sets a host-only, HttpOnly, SameSite=Strict CSRF cookie with the form', async () => {
    const res = await page('/login').expect(200);
    const csrf = cookieNamed(res, 'crgate_csrf') ?? '';

    expect(csrf).toMatch(/; HttpOnly/);
    expect(csrf).toMatch(/; SameSite=Strict/);
    expect(csrf).not.toMatch(/Domain=/i);
  });

  it('ends the session when the token it began with is revoked', async () => {
    const { session, password } = await signIn('octocat');
    const before = await page(packagePath(privateName), session);
    const record = await gw.gateway.tokens.find(password);
    await gw.gateway.tokens.revoke(record?.id ?? '');
    const after = await page(packagePath(privateName), session);

    expect(before.status).toBe(200);
    expect(after.status).toBe(404);
    expect(after.text).toContain('Sign in');
    expect(cookieNamed(after, 'crgate_session')).toMatch(/^crgate_session=;/);
  });

  it('keeps the session in Redis under the hash of its id, for eight hours', async () => {
    const { session } = await signIn('hubot');
    const id = session.split('=')[1] ?? '';
    const hash = createHash('sha256').update(id).digest('hex');

    const ttl = await gw.gateway.redis.pttl(`crgate:rec:session:${hash}`);

    expect(await gw.gateway.redis.hget(`crgate:rec:session:${hash}`, 'login')).toBe('hubot');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(8 * 3600 * 1000);
    expect(await gw.gateway.redis.exists(`crgate:rec:session:${id}`)).toBe(0);
  });

  it('shows a private package to a signed-in reader, and hides it after sign-out', async () => {
    const { session } = await signIn('octocat');
    const shown = await page(packagePath(privateName), session).expect(200);
    const token = /name="csrf_token" value="([^"]+)"/.exec(shown.text)?.[1] ?? '';
    const csrf = `crgate_csrf=${valueOf(cookieNamed(shown, 'crgate_csrf'))}`;

    const out = await gw.http
      .post('/logout')
      .set('Host', gw.webHost)
      .set('Cookie', `${session}; ${csrf}`)
      .type('form')
      .send({ csrf_token: token })
      .expect(303);

    expect(shown.text).toContain('Signed in as <strong>octocat</strong>');
    expect(cookieNamed(out, 'crgate_session')).toMatch(/^crgate_session=; .*Max-Age=0/);
    await page(packagePath(privateName), session).expect(404);
  });

  it('keeps a private package hidden from a signed-in user without a role on it', async () => {
    const { session } = await signIn('outsider');

    await page(packagePath(privateName), session).expect(404);
  });

  it('shows an SSO organization’s private package only to a token authorized for it', async () => {
    const name = uniqueName('sso');
    const password = await gw.createToken('octocat', ALL_SCOPES, ['secure']);
    await publishImage(gw.client.as({ username: 'octocat', password }), `secure/${name}`, '1');
    const path = packagePath(name, 'orgs/secure');

    await page(path, (await signIn('octocat')).session).expect(404);
    await page(path, (await signIn('octocat', ['secure'])).session).expect(200);
  });

  it('refuses a wrong token with 401 and the form, without echoing the token', async () => {
    const { cookie, token } = await csrfPair();
    const password = 'ghp_' + 'x'.repeat(36);

    const res = await postLogin({ login: 'octocat', password, csrf_token: token }, cookie);

    expect(res.status).toBe(401);
    expect(res.text).toContain('Incorrect username or token');
    expect(res.text).not.toContain(password);
    expect(cookieNamed(res, 'crgate_session')).toBeUndefined();
  });

  it('refuses a token under another user’s name', async () => {
    const password = await gw.createToken('hubot', ['read:packages']);
    const { cookie, token } = await csrfPair();

    const res = await postLogin({ login: 'octocat', password, csrf_token: token }, cookie);

    expect(res.status).toBe(401);
  });

  it('refuses a workflow token', async () => {
    const { secret } = await gw.gateway.tokens.createWorkflowToken({
      repository: 'acme/web',
      permission: 'read',
      expiresInMs: 3_600_000,
    });
    const { cookie, token } = await csrfPair();

    const res = await postLogin({ login: 'acme', password: secret, csrf_token: token }, cookie);

    expect(res.status).toBe(401);
    expect(res.text).toContain('workflow token cannot sign in');
  });

  it('answers 429 with Retry-After once a username failed too often', async () => {
    const login = uniqueName('guess');
    const { cookie, token } = await csrfPair();
    const attempt = () => postLogin({ login, password: 'wrong', csrf_token: token }, cookie);

    for (let i = 0; i < 10; i += 1) await attempt().expect(401);
    const res = await attempt();

    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it.each([
    ['/users/octocat/packages', '/users/octocat/packages'],
    ['//evil.example/x', '/'],
    ['https://evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['/%0d%0aSet-Cookie:x', '/%0d%0aSet-Cookie:x'],
    ['/\r\nSet-Cookie:x', '/'],
  ])('goes back to return_to=%s only when it is a local path', async (returnTo, location) => {
    const password = await gw.createToken('octocat', ['read:packages']);
    const { cookie, token } = await csrfPair();
    const query = `?return_to=${encodeURIComponent(returnTo)}`;

    const res = await postLogin({ login: 'octocat', password, csrf_token: token }, cookie, query);

    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(location);
  });

  it('logs who viewed a page, and never a token or a session id', async () => {
    const { password, session } = await signIn('mona');
    const res = await page('/users/octocat/packages', session).expect(200);

    const line = gw.logs.find((entry) => entry.request_id === res.headers['x-request-id']);
    expect(line?.principal).toBe('user:mona');
    expect(JSON.stringify(gw.logs)).not.toContain(password);
    expect(JSON.stringify(gw.logs)).not.toContain(session.split('=')[1]);
  });

  it('refuses a form body past a few kilobytes with 413', async () => {
    const { cookie, token } = await csrfPair();

    const res = await postLogin(
      { login: 'x'.repeat(8192), password: 'p', csrf_token: token },
      cookie,
    );

    expect(res.status).toBe(413);
    expect(res.text).toContain('could not be read');
  });
});

describe('forms from elsewhere', () => {
  const headers = (extra: Record<string, string>) => extra;
  it.each([
    ['without the CSRF token', headers({}), () => undefined],
    ['with a token that is not the cookie’s', headers({}), (token: string) => `${token}x`],
    ['from another origin', headers({ Origin: 'http://evil.example' }), (t: string) => t],
    ['marked cross-site', headers({ 'Sec-Fetch-Site': 'cross-site' }), (t: string) => t],
    ['from a sibling subdomain', headers({ 'Sec-Fetch-Site': 'same-site' }), (t: string) => t],
    ['from an opaque origin', headers({ Origin: 'null' }), (t: string) => t],
  ])('refuses a sign-in %s with 403', async (_what, extra, sent) => {
    const password = await gw.createToken('octocat', ['read:packages']);
    const { cookie, token } = await csrfPair();
    const csrf = sent(token);
    const fields = { login: 'octocat', password, ...(csrf ? { csrf_token: csrf } : {}) };

    const res = await postLogin(fields, cookie).set(extra);

    expect(res.status).toBe(403);
    expect(cookieNamed(res, 'crgate_session')).toBeUndefined();
  });

  it('accepts Origin: null where Fetch Metadata says same-origin, as under no-referrer', async () => {
    const password = await gw.createToken('octocat', ['read:packages']);
    const { cookie, token } = await csrfPair();

    const res = await postLogin({ login: 'octocat', password, csrf_token: token }, cookie).set({
      Origin: 'null',
      'Sec-Fetch-Site': 'same-origin',
    });

    expect(res.status).toBe(303);
  });

  it('refuses a sign-out without the CSRF token, keeping the session', async () => {
    const { session } = await signIn('octocat');

    await gw.http
      .post('/logout')
      .set('Host', gw.webHost)
      .set('Cookie', session)
      .set('Origin', 'http://evil.example')
      .type('form')
      .send({})
      .expect(403);

    await page(packagePath(privateName), session).expect(200);
  });
});

describe('the registry origin', () => {
  it.each([
    ['GET', () => '/v2/'],
    ['GET', () => '/login'],
    ['POST', () => '/login'],
    ['GET', () => packagePath(publicName)],
    ['GET', () => `/v2/octocat/${publicName}/manifests/latest`],
  ])('sets no cookie on %s of web and registry paths', async (method, path) => {
    const { session } = await signIn('octocat');
    const test = method === 'GET' ? gw.client.get(path()) : gw.client.post(path());

    const res = await test.set('Cookie', session).set('Accept', OCI_MANIFEST);

    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describe('over https', () => {
  let secure: TestGateway;

  beforeAll(async () => {
    secure = await startGateway({ CRGATE_PUBLIC_URL_SCHEME: 'https' });
  });
  afterAll(() => secure.close());

  it('marks both cookies Secure, and checks Origin against the https origin', async () => {
    const password = await secure.createToken('octocat', ['read:packages']);
    const { cookie, token } = await csrfPair(secure);
    const login = (origin: string) =>
      secure.http
        .post('/login')
        .set('Host', secure.webHost)
        .set('Origin', origin)
        .set('Cookie', cookie)
        .type('form')
        .send({ login: 'octocat', password, csrf_token: token });

    const refused = await login(`http://${secure.webHost}`);
    const res = await login(`https://${secure.webHost}`);

    expect(refused.status).toBe(403);
    expect(res.status).toBe(303);
    expect(cookieNamed(res, 'crgate_session')).toMatch(/; Secure/);
    expect(cookieNamed(res, 'crgate_csrf')).toMatch(/; Secure/);
  });
});
