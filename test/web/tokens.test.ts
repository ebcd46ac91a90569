import { TokenStore } from '../../src/auth/token-store';
import type { PackageScope } from '../../src/auth/token-store';
import { COPY_SCRIPT_PATH } from '../../src/web/copy-script';
import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { cookieNamed, flat, signIn } from './forms';
import type { SignedIn } from './forms';
import { publishImage, uniqueName } from './published';

/**
 * The personal access token pages over HTTP: the list of the viewer's own tokens, the form
 * with GitHub's `?scopes=` link, creating a token whose secret shows once and works at the
 * registry, what a session may not give a new token, revoking, "last used", and forms from
 * elsewhere refused.
 */
const DAY_MS = 24 * 3600 * 1000;
const ALL: readonly PackageScope[] = ['read:packages', 'write:packages', 'delete:packages'];

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

const page = (path: string, viewer?: SignedIn) => {
  const test = gw.http.get(path).set('Host', gw.webHost);
  return viewer ? test.set('Cookie', viewer.cookie) : test;
};

function post(path: string, viewer: SignedIn, fields: Record<string, string | string[]>) {
  return gw.http
    .post(path)
    .set('Host', gw.webHost)
    .set('Cookie', viewer.cookie)
    .type('form')
    .send({ csrf_token: viewer.csrf, ...fields });
}

const create = (viewer: SignedIn, fields: Record<string, string | string[]>) =>
  post('/settings/tokens', viewer, { note: 'ci', expiration: '30', ...fields });

const secretIn = (text: string) => /value="(ghp_[0-9A-Za-z]{36})"/.exec(text)?.[1] ?? '';

/** Whether the form's checkbox for a scope is checked. */
function checkedScopes(text: string): string[] {
  const boxes = text.match(/<input[^>]*name="scopes"[^>]*>/g) ?? [];
  return boxes
    .filter((box) => /\schecked\b/.test(box))
    .map((box) => /value="([^"]+)"/.exec(box)?.[1] ?? '');
}

/** The ids of a user's live tokens, from the store itself. */
const tokenIds = async (user: string) =>
  (await gw.gateway.tokens.list(user)).map((record) => record.id).sort();

/** The registry's answer to these credentials on `/v2/`. */
const registryStatus = async (username: string, password: string) =>
  (await gw.client.as({ username, password }).get('/v2/')).status;

describe('the token list', () => {
  it('lists only the viewer’s own tokens, with their scopes, dates and revoke forms', async () => {
    const viewer = await signIn(gw, 'mona', ['read:packages']);
    const own = await gw.gateway.tokens.createPat({
      user: 'mona',
      scopes: ['read:packages', 'delete:packages'],
      note: 'mona <laptop>',
      expiresInMs: 7 * DAY_MS,
    });
    const other = await gw.gateway.tokens.createPat({
      user: 'hubot',
      scopes: ['read:packages'],
      note: 'hubot-only note',
    });

    const res = await page('/settings/tokens', viewer).expect(200);
    const text = flat(res.text);

    expect(text).toContain('<strong class="note">mona &lt;laptop&gt;</strong>');
    expect(text).toContain('<code>read:packages</code>, <code>delete:packages</code>');
    expect(text).toContain(`action="/settings/tokens/${own.record.id}/revoke"`);
    expect(text).toMatch(/Expires on <time datetime=/);
    expect(text).toContain('signed in with this token');
    expect(text).not.toContain('hubot-only note');
    expect(text).not.toContain(other.record.id);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('marks a token that expired in the last week, with a button to delete it', async () => {
    const viewer = await signIn(gw, 'mona');
    // Made two days ago to last one day: its record stays a week for its owner to see.
    const past = new TokenStore(gw.gateway.redis, () => Date.now() - 2 * DAY_MS);
    const { record } = await past.createPat({
      user: 'mona',
      scopes: ['read:packages'],
      note: 'long gone',
      expiresInMs: DAY_MS,
    });

    const text = flat((await page('/settings/tokens', viewer).expect(200)).text);
    const item = new RegExp(`<li class="token" id="token-${record.id}">(.*?)</li>`).exec(text);

    expect(item?.[1]).toContain('<strong class="expired">Expired</strong> on');
    expect(item?.[1]).toContain('Delete </button>');
  });

  it('sends a signed-out viewer to sign in and back', async () => {
    const res = await page('/settings/tokens?x=1').expect(303);

    expect(res.headers.location).toBe(
      `/login?return_to=${encodeURIComponent('/settings/tokens?x=1')}`,
    );
  });

  it('is linked from the site header once signed in', async () => {
    const viewer = await signIn(gw, 'mona');

    const res = await page('/', viewer).expect(200);

    expect(res.text).toContain('<a href="/settings/tokens">Tokens</a>');
  });
});

describe('the new token form', () => {
  it('preselects exactly the scopes of ?scopes= and takes the note from ?description=', async () => {
    const viewer = await signIn(gw, 'mona', ['read:packages', 'write:packages', 'delete:packages']);

    const res = await page(
      '/settings/tokens/new?scopes=write:packages&description=CI%20%3Cpush%3E',
      viewer,
    ).expect(200);

    expect(checkedScopes(res.text)).toEqual(['write:packages']);
    expect(res.text.match(/name="scopes"/g)).toHaveLength(3);
    expect(res.text).toContain('value="CI &lt;push&gt;"');
    expect(res.text).not.toContain('Ignored scopes');
    expect(flat(res.text)).toContain('<option value="30" selected >');
    expect(flat(res.text)).toContain('A token made here can have only the scopes of the token');
  });

  it('ignores the scopes crgate does not offer, and says which', async () => {
    const viewer = await signIn(gw, 'mona', ['read:packages', 'write:packages']);

    const res = await page(
      '/settings/tokens/new?scopes=repo,write:packages,admin:org,read:packages',
      viewer,
    ).expect(200);

    expect(checkedScopes(res.text)).toEqual(['read:packages', 'write:packages']);
    expect(flat(res.text)).toContain(
      'Ignored scopes crgate does not offer: <code>repo</code>, <code>admin:org</code>.',
    );
  });

  it('checks nothing without ?scopes=, and labels every field', async () => {
    const viewer = await signIn(gw, 'mona');

    const res = await page('/settings/tokens/new', viewer).expect(200);
    const ids = [...res.text.matchAll(/<(?:input|select)[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);

    expect(checkedScopes(res.text)).toEqual([]);
    expect(res.text).toContain('<legend>Select scopes</legend>');
    for (const id of ids) expect(res.text).toContain(`for="${id}"`);
  });

  it('offers no expiration later than the sign-in token’s', async () => {
    const viewer = await signIn(gw, 'mona', ['read:packages'], { expiresInMs: 10 * DAY_MS });

    const text = flat((await page('/settings/tokens/new', viewer).expect(200)).text);

    expect(text).toContain('<option value="7" selected >');
    expect(text).toContain('<option value="30" disabled >');
    expect(text).toContain('<option value="none" disabled >');
  });
});

describe('creating a token', () => {
  it('shows the secret once, uncached, and the registry takes it', async () => {
    const viewer = await signIn(gw, 'mona', ['read:packages', 'write:packages']);

    const res = await create(viewer, { note: 'push from CI', scopes: 'write:packages' }).expect(
      201,
    );
    const secret = secretIn(res.text);
    const list = await page('/settings/tokens', viewer).expect(200);
    const record = await gw.gateway.tokens.lookup(secret);

    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('You won’t be able to see it again!');
    expect(record).toMatchObject({
      user: 'mona',
      note: 'push from CI',
      scopes: ['write:packages'],
    });
    expect(Date.parse(record?.expiresAt ?? '') - Date.now()).toBeGreaterThan(29 * DAY_MS);
    expect(list.text).toContain('push from CI');
    expect(list.text).not.toContain(secret);
    // Into acme, where mona is a member: test/api/packages.test.ts counts mona's own packages.
    await publishImage(
      gw.client.as({ username: 'mona', password: secret }),
      `acme/${uniqueName('pat')}`,
      '1',
    );
    expect(JSON.stringify(gw.logs)).not.toContain(secret);
  });

  it('makes a token without expiration, or until a custom date', async () => {
    const viewer = await signIn(gw, 'mona');
    const day = new Date(Date.now() + 3 * DAY_MS).toISOString().slice(0, 10);

    const none = await create(viewer, { scopes: 'read:packages', expiration: 'none' }).expect(201);
    const custom = await create(viewer, {
      scopes: 'read:packages',
      expiration: 'custom',
      expires_on: day,
    }).expect(201);

    expect((await gw.gateway.tokens.lookup(secretIn(none.text)))?.expiresAt).toBeUndefined();
    expect((await gw.gateway.tokens.lookup(secretIn(custom.text)))?.expiresAt).toMatch(
      new RegExp(`^${day}T00:00:00\\.\\d{3}Z$`),
    );
  });

  it('refuses a scope the sign-in token lacks with 403, creating nothing', async () => {
    const viewer = await signIn(gw, 'hubot', ['read:packages']);
    const before = await tokenIds('hubot');

    const res = await create(viewer, { scopes: ['read:packages', 'write:packages'] }).expect(403);

    expect(res.text).toContain('does not have write:packages');
    expect(checkedScopes(res.text)).toEqual(['read:packages', 'write:packages']);
    expect(secretIn(res.text)).toBe('');
    expect(await tokenIds('hubot')).toEqual(before);
  });

  it('lets a write:packages session make a read:packages token, as write implies read', async () => {
    const viewer = await signIn(gw, 'hubot', ['write:packages']);

    const res = await create(viewer, { scopes: 'read:packages' }).expect(201);

    expect(await gw.gateway.tokens.lookup(secretIn(res.text))).toMatchObject({
      scopes: ['read:packages'],
    });
  });

  it('refuses an expiry after the sign-in token’s with 403, creating nothing', async () => {
    const viewer = await signIn(gw, 'hubot', ['read:packages'], { expiresInMs: 10 * DAY_MS });
    const before = await tokenIds('hubot');

    const later = await create(viewer, { scopes: 'read:packages', expiration: '30' }).expect(403);
    const never = await create(viewer, { scopes: 'read:packages', expiration: 'none' }).expect(403);

    expect(later.text).toContain('a token made in this session must expire by then');
    expect(never.text).toContain('a token made in this session must expire by then');
    expect(await tokenIds('hubot')).toEqual(before);
    await create(viewer, { scopes: 'read:packages', expiration: '7' }).expect(201);
  });

  it.each<[string, Record<string, string | string[]>, string]>([
    ['a blank note', { note: '  ', scopes: 'read:packages' }, 'Note can’t be blank.'],
    ['a note too long', { note: 'n'.repeat(256), scopes: 'read:packages' }, 'at most 255'],
    ['no scope', {}, 'Select at least one scope.'],
    ['a scope not offered', { scopes: 'repo' }, 'Choose scopes from the list.'],
    [
      'a past date',
      { scopes: 'read:packages', expiration: 'custom', expires_on: '2020-01-01' },
      'after today',
    ],
    [
      'an unknown expiration',
      { scopes: 'read:packages', expiration: '365' },
      'Choose an expiration.',
    ],
  ])('refuses %s with 422, creating nothing', async (_case, fields, words) => {
    const viewer = await signIn(gw, 'outsider', ALL);
    const before = await tokenIds('outsider');

    const res = await create(viewer, fields).expect(422);

    expect(flat(res.text)).toContain(words);
    expect(await tokenIds('outsider')).toEqual(before);
  });

  it('refuses a form from another site, or without its CSRF token, with 403', async () => {
    const viewer = await signIn(gw, 'outsider', ALL);
    const before = await tokenIds('outsider');

    await create(viewer, { scopes: 'read:packages' })
      .set('Origin', 'http://evil.example')
      .expect(403);
    await create(viewer, { scopes: 'read:packages' })
      .set('Sec-Fetch-Site', 'cross-site')
      .expect(403);
    await create(viewer, { scopes: 'read:packages', csrf_token: '' }).expect(403);

    expect(await tokenIds('outsider')).toEqual(before);
  });
});

describe('revoking a token', () => {
  it('stops it at the registry at once and says so on the list', async () => {
    const viewer = await signIn(gw, 'mona');
    const { secret, record } = await gw.gateway.tokens.createPat({
      user: 'mona',
      scopes: ['read:packages'],
    });
    expect(await registryStatus('mona', secret)).toBe(200);

    const res = await post(`/settings/tokens/${record.id}/revoke`, viewer, {}).expect(303);
    const list = await page(res.headers.location ?? '', viewer).expect(200);

    expect(res.headers.location).toBe('/settings/tokens?notice=revoked');
    expect(list.text).toContain('The token was revoked.');
    expect(list.text).not.toContain(`token-${record.id}`);
    expect(await registryStatus('mona', secret)).toBe(401);
  });

  it('answers 404 for another user’s token, which keeps working', async () => {
    const viewer = await signIn(gw, 'mona');
    const { secret, record } = await gw.gateway.tokens.createPat({
      user: 'hubot',
      scopes: ['read:packages'],
    });

    const theirs = await post(`/settings/tokens/${record.id}/revoke`, viewer, {}).expect(404);
    const unknown = await post('/settings/tokens/0123456789abcdef/revoke', viewer, {}).expect(404);

    expect(flat(theirs.text)).toBe(flat(unknown.text));
    expect(await gw.gateway.tokens.isLive(record.id)).toBe(true);
    expect(await registryStatus('hubot', secret)).toBe(200);
  });

  it('refuses a revoke from another site with 403, keeping the token', async () => {
    const viewer = await signIn(gw, 'mona');
    const { record } = await gw.gateway.tokens.createPat({
      user: 'mona',
      scopes: ['read:packages'],
    });

    await post(`/settings/tokens/${record.id}/revoke`, viewer, {})
      .set('Origin', 'http://evil.example')
      .expect(403);

    expect(await gw.gateway.tokens.isLive(record.id)).toBe(true);
  });

  it('signs the viewer out when it is the token they signed in with', async () => {
    const viewer = await signIn(gw, 'mona');

    const res = await post(`/settings/tokens/${viewer.tokenId}/revoke`, viewer, {}).expect(303);

    expect(res.headers.location).toBe(`/login?return_to=${encodeURIComponent('/settings/tokens')}`);
    expect(cookieNamed(res, 'crgate_session')).toMatch(/^crgate_session=; .*Max-Age=0/);
    expect(await registryStatus('mona', viewer.password)).toBe(401);
    await page('/settings/tokens', viewer).expect(303);
  });
});

describe('last used', () => {
  it('says Never used until the registry takes the token, then the day', async () => {
    const viewer = await signIn(gw, 'hubot');
    const { secret, record } = await gw.gateway.tokens.createPat({
      user: 'hubot',
      scopes: ['read:packages'],
      note: 'used soon',
    });
    const item = async () => {
      const text = flat((await page('/settings/tokens', viewer).expect(200)).text);
      return new RegExp(`<li class="token" id="token-${record.id}">(.*?)</li>`).exec(text)?.[1];
    };
    const before = await item();

    const asked = Date.now();
    expect(await registryStatus('hubot', secret)).toBe(200);
    // The use is written after the answer, without the request waiting: wait for the write.
    let used: string | undefined;
    while (!used)
      used = ((await gw.gateway.tokens.get(record.id)) as { lastUsedAt?: string }).lastUsedAt;

    expect(before).toContain('Never used');
    expect(Date.parse(used)).toBeGreaterThanOrEqual(asked);
    expect(await item()).toContain(`Last used <time datetime="${new Date(used).toISOString()}"`);
  });
});

describe('the copy script', () => {
  it('is allowed, from the origin only, on the page that shows a new token alone', async () => {
    const viewer = await signIn(gw, 'outsider', ALL);

    const created = await create(viewer, { scopes: 'read:packages' }).expect(201);
    const form = await page('/settings/tokens/new', viewer).expect(200);
    const list = await page('/settings/tokens', viewer).expect(200);

    const policy = String(created.headers['content-security-policy']);
    expect(policy).toMatch(/^default-src 'none'; script-src 'self'; /);
    expect(policy).not.toContain('unsafe');
    expect(created.text).toContain(`<script src="${COPY_SCRIPT_PATH}"></script>`);
    expect(created.text.match(/<script/g)).toHaveLength(1);
    expect(created.text).toMatch(/<button[^>]*\shidden\s[^>]*data-copy="new-token"/);
    for (const other of [form, list]) {
      expect(other.headers['content-security-policy']).not.toContain('script-src');
      expect(other.text).not.toContain('<script');
    }
  });

  it('is served as JavaScript at a content-hashed URL, cached for a year', async () => {
    const res = await page(COPY_SCRIPT_PATH).expect(200);

    expect(COPY_SCRIPT_PATH).toMatch(/^\/assets\/crgate-copy-[0-9a-f]{12}\.js$/);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toContain('navigator.clipboard');
  });
});
