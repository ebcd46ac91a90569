import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';

import type { Redis } from 'ioredis';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

import { CredentialsError } from '../../../src/auth/credentials';
import type { Principal } from '../../../src/auth/principal';
import { DirectoryUnavailableError } from '../../../src/identity/directory';
import { ActionsOidc } from '../../../src/identity/github/oidc';
import { GitHubTokens } from '../../../src/identity/github/tokens';
import type { FakeGitHub } from '../../harness/fake-github';
import { testApi, TTL_MS, unique, useGitHubAndRedis } from './test-api';

const AUDIENCE = 'containers.crgate.test';

function userOf(principal: Principal): Principal & { kind: 'user' } {
  if (principal.kind !== 'user') throw new Error(`expected a user, got ${principal.kind}`);
  return principal;
}

/** `principal` is the workflow of `repository`, allowed to write, and holds no `token`. */
function expectWorkflowOf(principal: Principal, repository: string, token: string): void {
  expect(principal).toMatchObject({
    kind: 'workflow',
    repository: repository.toLowerCase(),
    permission: 'write',
  });
  expect(JSON.stringify(principal)).not.toContain(token);
}

/** Runs `attempt` and returns what it threw, to assert its class and message together. */
async function failure(attempt: Promise<unknown>): Promise<Error> {
  try {
    await attempt;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('it succeeded');
}

interface LocalIssuer {
  readonly issuer: string;
  /** An RS256 token of this issuer for AUDIENCE, valid five minutes, with these claims. */
  sign(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/**
 * An OIDC issuer of the test's own, for what the fake's cannot do: sign a token without a
 * repository claim, or publish discovery while its key set answers `jwksStatus`.
 */
async function startIssuer(jwksStatus: number): Promise<LocalIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'local', alg: 'RS256', use: 'sig' };
  const server = createServer((req, res) => {
    const discovery = req.url === '/.well-known/openid-configuration';
    const status = discovery ? 200 : jwksStatus;
    const body = discovery ? { issuer, jwks_uri: `${issuer}/jwks` } : { keys: [jwk] };
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? body : { message: 'Service unavailable' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'local' })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { issuer, sign, close };
}

describe('GitHub tokens (real Redis, local GitHub)', () => {
  let redis: Redis;
  let github: FakeGitHub;
  let clock: number;
  let tokens: GitHubTokens;
  let login: string;

  const backends = useGitHubAndRedis();
  beforeAll(() => {
    ({ github, redis } = backends);
  });

  beforeEach(() => {
    clock = Date.now();
    const api = testApi(github, redis, { now: () => clock });
    const oidc = new ActionsOidc({ issuer: github.issuer, audience: AUDIENCE, timeoutMs: 5_000 });
    tokens = new GitHubTokens(api, oidc);
    login = unique('Octo-Cat');
    github.addUser(login);
  });
  afterEach(() => github.setDown(false));

  describe('personal access tokens (classic)', () => {
    it('is its user, in lower case, with only the package scopes it holds', async () => {
      const scopes = ['read:packages', 'read:org', 'write:packages', 'gist', 'repo'];
      const token = github.classicToken(login, scopes);

      const principal = await tokens.principal(token);

      expect(principal).toMatchObject({
        kind: 'user',
        login: login.toLowerCase(),
        scopes: ['read:packages', 'write:packages', 'repo'],
        ssoOrgs: [],
      });
      expect(userOf(principal).tokenId).not.toContain(token);
      expect(userOf(principal).tokenId).not.toContain(token.slice(4));
    });

    it('never shows the token when its principal is serialized or printed, as a log would', async () => {
      const token = github.classicToken(login, ['read:packages']);

      const principal = await tokens.principal(token);

      expect(userOf(principal).sso).toBeDefined();
      expect(JSON.stringify(principal)).not.toContain(token);
      expect(inspect(principal, { depth: 10, showHidden: true })).not.toContain(token);
    });

    it('is a user without scopes when the token has none, not a fine-grained token', async () => {
      const principal = await tokens.principal(github.classicToken(login, []));

      expect(principal).toMatchObject({ kind: 'user', scopes: [] });
    });

    it('gives one token the same id every time, and two tokens different ids', async () => {
      const token = github.classicToken(login, ['read:packages']);
      const first = userOf(await tokens.principal(token));
      const again = userOf(await tokens.principal(token));
      const other = userOf(await tokens.principal(github.classicToken(login, ['read:packages'])));

      expect(again.tokenId).toBe(first.tokenId);
      expect(other.tokenId).not.toBe(first.tokenId);
    });

    it('sees the token’s new scopes once the TTL has passed, from the 304', async () => {
      const token = github.classicToken(login, ['read:packages']);
      await tokens.principal(token);
      github.setScopes(token, ['read:packages', 'delete:packages']);

      const withinTtl = await tokens.principal(token);
      clock += TTL_MS;
      const after = await tokens.principal(token);

      expect(withinTtl).toMatchObject({ scopes: ['read:packages'] });
      expect(after).toMatchObject({ scopes: ['read:packages', 'delete:packages'] });
      expect(github.requests.at(-1)).toMatchObject({ path: '/user', status: 304 });
    });

    it('refuses a revoked token once the TTL has passed', async () => {
      const token = github.classicToken(login, ['read:packages']);
      await tokens.principal(token);
      github.revoke(token);
      clock += TTL_MS;

      const error = await failure(tokens.principal(token));

      expect(error).toBeInstanceOf(CredentialsError);
      expect(error.message).toMatch(/revoked/);
    });

    it('refuses a token GitHub does not know', async () => {
      const token = `ghp_${'x'.repeat(36)}${randomBytes(2).toString('hex')}`;

      const error = await failure(tokens.principal(token));

      expect(error).toBeInstanceOf(CredentialsError);
      expect(error.message).not.toContain(token);
    });

    it('refuses a fine-grained token, saying GitHub Packages needs a classic one, without asking GitHub', async () => {
      github.resetRequests();

      const error = await failure(tokens.principal(github.fineGrainedToken(login)));

      expect(error).toBeInstanceOf(CredentialsError);
      expect(error.message).toMatch(
        /GitHub Packages only supports .*personal access token \(classic\)/,
      );
      expect(github.requests).toHaveLength(0);
    });

    it('answers DirectoryUnavailableError, not a refusal, when GitHub is down and nothing is cached', async () => {
      const token = github.classicToken(login, ['read:packages']);
      github.setDown(true);

      await expect(tokens.principal(token)).rejects.toThrow(DirectoryUnavailableError);
    });
  });

  describe('SAML single sign-on', () => {
    let org: string;

    beforeEach(() => {
      org = unique('sso-org');
      github.addOrg(org, { members: [login], samlSso: true });
    });

    it('gives GitHub’s authorization URL for an organization the token is not authorized for', async () => {
      const principal = userOf(
        await tokens.principal(github.classicToken(login, ['read:packages'])),
      );

      const url = await principal.sso?.authorizationUrl(org);

      expect(url).toMatch(`${github.webUrl}/orgs/${org}/sso?authorization_request=`);
    });

    it('gives no URL once the token is authorized for the organization', async () => {
      const token = github.classicToken(login, ['read:packages'], { ssoAuthorized: [org] });
      const principal = userOf(await tokens.principal(token));

      expect(await principal.sso?.authorizationUrl(org)).toBeUndefined();
    });

    it('gives no URL for an organization without SAML SSO', async () => {
      const plain = unique('plain-org');
      github.addOrg(plain, { members: [login] });
      const principal = userOf(
        await tokens.principal(github.classicToken(login, ['read:packages'])),
      );

      expect(principal.sso).toBeDefined();
      expect(await principal.sso?.authorizationUrl(plain)).toBeUndefined();
    });
  });

  describe('a workflow’s GITHUB_TOKEN', () => {
    it('is the workflow of its one repository, allowed to write', async () => {
      const repository = `${unique('Octo-Org')}/App`;
      github.addOrg(repository.split('/')[0] ?? '');
      github.addRepo(repository, { visibility: 'private' });
      const token = github.installationToken(repository);

      const principal = await tokens.principal(token);

      expectWorkflowOf(principal, repository, token);
    });

    it('is refused once revoked and the TTL has passed', async () => {
      const repository = `${login}/app`;
      github.addRepo(repository);
      const token = github.installationToken(repository);
      await tokens.principal(token);
      github.revoke(token);
      clock += TTL_MS;

      await expect(tokens.principal(token)).rejects.toThrow(CredentialsError);
    });
  });

  describe('Actions OIDC tokens', () => {
    let repository: string;

    beforeEach(() => {
      repository = `${login}/App`;
      github.addRepo(repository);
    });

    it('is the workflow of its repository claim', async () => {
      const token = await github.oidcToken({ repository }, { audience: AUDIENCE });

      const principal = await tokens.principal(token);

      expectWorkflowOf(principal, repository, token);
    });

    it('refuses a token for another audience, naming the audience it must carry', async () => {
      const token = await github.oidcToken({ repository });

      const error = await failure(tokens.principal(token));

      expect(error).toBeInstanceOf(CredentialsError);
      expect(error.message).toContain(AUDIENCE);
    });

    it('refuses an expired token, saying it expired', async () => {
      const token = await github.oidcToken(
        { repository },
        { audience: AUDIENCE, expiresInSeconds: 0 },
      );

      const error = await failure(tokens.principal(token));

      expect(error).toBeInstanceOf(CredentialsError);
      expect(error.message).toMatch(/expired/);
    });

    it('refuses a token signed with a key the issuer does not publish', async () => {
      const token = await github.oidcToken(
        { repository },
        { audience: AUDIENCE, signWithUnknownKey: true },
      );

      await expect(tokens.principal(token)).rejects.toThrow(CredentialsError);
    });

    it('refuses a token from another issuer', async () => {
      const token = await github.oidcToken(
        { repository, iss: 'https://token.actions.example.com' },
        { audience: AUDIENCE },
      );

      await expect(tokens.principal(token)).rejects.toThrow(CredentialsError);
    });

    it('refuses a token without a repository claim', async () => {
      const local = await startIssuer(200);
      try {
        const oidc = new ActionsOidc({
          issuer: local.issuer,
          audience: AUDIENCE,
          timeoutMs: 5_000,
        });
        const token = await local.sign({ sub: 'repo:octo-org/app:ref:refs/heads/main' });

        const error = await failure(oidc.principal(token));

        expect(error).toBeInstanceOf(CredentialsError);
        expect(error.message).toMatch(/repository/);
      } finally {
        await local.close();
      }
    });

    it.each([
      ['empty', ''],
      ['not owner/name', 'just-a-name'],
    ])('refuses a token whose repository claim is %s', async (_, claim) => {
      const token = await github.oidcToken({ repository: claim }, { audience: AUDIENCE });

      const error = await failure(tokens.principal(token));

      expect(error).toBeInstanceOf(CredentialsError);
      expect(error.message).toMatch(/repository/);
    });

    it('is refused when this crgate takes no OIDC tokens', async () => {
      const api = testApi(github, redis);
      const token = await github.oidcToken({ repository }, { audience: AUDIENCE });

      await expect(new GitHubTokens(api, undefined).principal(token)).rejects.toThrow(
        CredentialsError,
      );
    });

    it('answers DirectoryUnavailableError while the issuer is down, and asks again once it is back', async () => {
      const token = await github.oidcToken({ repository }, { audience: AUDIENCE });
      github.setDown(true);

      const whileDown = failure(tokens.principal(token));

      expect(await whileDown).toBeInstanceOf(DirectoryUnavailableError);
      github.setDown(false);
      expect(await tokens.principal(token)).toMatchObject({ kind: 'workflow' });
    });

    it('answers DirectoryUnavailableError when the issuer’s key set cannot be read', async () => {
      // Discovery answers and the key set answers 503, as an outage between the two requests,
      // or at jose's later refresh of the key set, would.
      const local = await startIssuer(503);
      try {
        const oidc = new ActionsOidc({
          issuer: local.issuer,
          audience: AUDIENCE,
          timeoutMs: 5_000,
        });
        const token = await local.sign({ repository });

        await expect(oidc.principal(token)).rejects.toThrow(DirectoryUnavailableError);
      } finally {
        await local.close();
      }
    });
  });
});
