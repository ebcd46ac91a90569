import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';

import { requireEnv } from '../harness/gateway';
import { useGitHubGateway } from '../harness/github-gateway';
import { flat, signInWith } from './forms';

/**
 * The pages with the GitHub directory provider: signing in with a GitHub token, a session
 * that ends when GitHub revokes the token and follows its SAML SSO authorization, and the
 * token pages, which are GitHub's. GitHub's answers are trusted for a second here.
 */
const SCOPES = ['read:packages', 'write:packages', 'delete:packages'];

const started = useGitHubGateway({
  CRGATE_GITHUB_CACHE_TTL_SECONDS: '1',
  CRGATE_DECISION_CACHE_TTL_SECONDS: '1',
});

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

let seeded = false;

/** octocat, and saml: an organization enforcing SAML SSO that octocat owns. */
function people() {
  const { github, gateway } = started();
  if (!seeded) {
    github.addUser('octocat');
    github.addOrg('saml', { owners: ['octocat'], samlSso: true });
    seeded = true;
  }
  return { github, gw: gateway };
}

async function page(cookie: string, path: string) {
  const { gw } = people();
  return gw.http.get(path).set('Host', gw.webHost).set('Cookie', cookie);
}

/** Longer than an answer of GitHub may be reused here. */
const untilCacheExpires = () => new Promise((resolve) => setTimeout(resolve, 1_500));

test('a GitHub token signs in, and the session sees what the token may see', async () => {
  const { github, gw } = people();
  const token = github.classicToken('octocat', SCOPES);
  const repository = name('octocat/web-private');
  await gw.client.as({ username: 'octocat', password: token }).pushImage(repository, '1');

  const { cookie } = await signInWith(gw, 'octocat', token);
  const shown = await page(
    cookie,
    `/users/octocat/packages/container/package/${repository.slice(8)}`,
  );

  expect(shown.status).toBe(200);
  expect(flat(shown.text)).toContain('Signed in as <strong>octocat</strong>');
});

test('the session ends once the token is revoked on GitHub', async () => {
  const { github, gw } = people();
  const token = github.classicToken('octocat', SCOPES);
  const { cookie } = await signInWith(gw, 'octocat', token);
  const before = await page(cookie, '/');

  github.revoke(token);
  await untilCacheExpires();
  const after = await page(cookie, '/');

  expect(flat(before.text)).toContain('Signed in as <strong>octocat</strong>');
  expect(flat(after.text)).not.toContain('Signed in as');
  expect(after.headers['set-cookie']?.[0]).toMatch(/^crgate_session=;/);
});

test('Redis keeps no sign-in token: the session holds it sealed', async () => {
  const { github, gw } = people();
  const token = github.classicToken('octocat', SCOPES);
  const { cookie } = await signInWith(gw, 'octocat', token);
  const redis = new Redis(requireEnv('TEST_REDIS_URL'));

  try {
    const keys = await redis.keys('crgate:rec:session:*');
    const values = await Promise.all(keys.map((key) => redis.hgetall(key)));
    const stored = JSON.stringify(values);

    expect(cookie).toMatch(/crgate_session=[\w-]{40,}/);
    expect(stored).toContain('sealed_secret');
    expect(stored).not.toContain(token);
  } finally {
    redis.disconnect();
  }
});

test('an organization enforcing SAML SSO shows a session of an unauthorized token its public face only', async () => {
  const { github, gw } = people();
  const authorized = github.classicToken('octocat', SCOPES, { ssoAuthorized: ['saml'] });
  const repository = name('saml/private');
  await gw.client.as({ username: 'octocat', password: authorized }).pushImage(repository, '1');
  const path = `/orgs/saml/packages/container/package/${repository.slice(5)}`;

  const unauthorizedSession = await signInWith(
    gw,
    'octocat',
    github.classicToken('octocat', SCOPES),
  );
  const authorizedSession = await signInWith(gw, 'octocat', authorized);

  expect((await page(unauthorizedSession.cookie, path)).status).toBe(404);
  expect((await page(authorizedSession.cookie, path)).status).toBe(200);
});

test('the token pages are GitHub’s: crgate sends the browser there with the same query', async () => {
  const { github, gw } = people();

  const res = await gw.http
    .get('/settings/tokens/new?scopes=write:packages&description=ci')
    .set('Host', gw.webHost);

  expect(res.status).toBe(302);
  expect(res.headers.location).toBe(
    `${github.webUrl}/settings/tokens/new?scopes=write:packages&description=ci`,
  );
});

test('crgate issues no tokens of its own: the admin token API is not there', async () => {
  const { github, gw } = people();
  const token = github.classicToken('octocat', SCOPES);

  const res = await gw.http
    .post('/api/v3/admin/users/octocat/tokens')
    .set('Host', gw.webHost)
    .set('Authorization', `token ${token}`)
    .send({ scopes: ['read:packages'] });

  expect(res.status).toBe(404);
});
