import { randomUUID } from 'node:crypto';

import { useGitHubGateway } from '../harness/github-gateway';
import { allPages, restOf } from './rest';

/**
 * The Packages REST API with the GitHub directory provider: GitHub's own tokens, their
 * scopes, and an organization that enforces SAML SSO, as api.github.com would answer them.
 */
const started = useGitHubGateway();

let seeded = false;

function setUp() {
  const { github, gateway } = started();
  if (!seeded) {
    github.addUser('octocat');
    github.addOrg('saml', { owners: ['octocat'], samlSso: true });
    seeded = true;
  }
  return { github, gw: gateway, rest: restOf(gateway) };
}

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

test('lists the packages of a GitHub token’s user', async () => {
  const { github, gw, rest } = setUp();
  const token = github.classicToken('octocat', ['write:packages']);
  const repository = name('octocat/rest');
  await gw.client.as({ username: 'octocat', password: token }).pushImage(repository, '1');

  const listed = await allPages<{ name: string }>(
    rest,
    '/user/packages?package_type=container',
    token,
  );

  expect(listed.map((pkg) => pkg.name)).toContain(repository.slice('octocat/'.length));
});

test('refuses a GitHub token without read:packages with 403', async () => {
  const { github, rest } = setUp();
  const token = github.classicToken('octocat', ['repo']);

  const res = await rest('get', '/user/packages?package_type=container', token);

  expect(res.status).toBe(403);
  expect(res.body.message).toContain('read:packages');
});

test('refuses a fine-grained token with 401, saying a classic token is needed', async () => {
  const { github, rest } = setUp();

  const res = await rest(
    'get',
    '/user/packages?package_type=container',
    github.fineGrainedToken('octocat'),
  );

  expect(res.status).toBe(401);
});

test('an organization enforcing SAML SSO answers an unauthorized token 403 with GitHub’s URL', async () => {
  const { github, rest } = setUp();
  const refused = github.classicToken('octocat', ['read:packages']);
  const authorized = github.classicToken('octocat', ['read:packages'], { ssoAuthorized: ['saml'] });

  const res = await rest('get', '/orgs/saml/packages?package_type=container', refused);
  const ok = await rest('get', '/orgs/saml/packages?package_type=container', authorized);

  expect(res.status).toBe(403);
  expect(res.body.message).toContain(`${github.webUrl}/orgs/saml/sso`);
  expect(ok.status).toBe(200);
});
