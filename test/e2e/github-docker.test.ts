import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { buildImage, useDockerSession } from '../harness/docker-session';
import type { DockerSession } from '../harness/docker-session';
import { startFakeGitHub } from '../harness/fake-github';
import type { FakeGitHub } from '../harness/fake-github';
import type { TestGateway } from '../harness/gateway';
import { startGitHubGateway } from '../harness/github-gateway';
import type { ToolOutput } from '../harness/tools';

/**
 * docker against crgate with the GitHub directory provider, GitHub being a local one: logins
 * with classic tokens, OIDC tokens and refused fine-grained tokens; SAML SSO; and what
 * happens as GitHub's answers change, its rate limit runs low or it goes away. A second
 * gateway trusts GitHub's answers and its decisions for one second, so changes show quickly.
 */
jest.setTimeout(180_000);

const SCOPES = ['read:packages', 'write:packages', 'delete:packages'];
const SOURCE = 'org.opencontainers.image.source';

let github: FakeGitHub | undefined;
let quick: TestGateway | undefined;

function gitHub(): FakeGitHub {
  if (!github) throw new Error('beforeAll did not finish');
  return github;
}

beforeAll(async () => {
  github = await startFakeGitHub();
  for (const login of ['octocat', 'hubot', 'mona']) github.addUser(login);
  github.addOrg('acme', {
    owners: ['octocat'],
    members: ['hubot'],
    teams: { builders: ['hubot'] },
  });
  github.addOrg('saml', { owners: ['octocat'], samlSso: true });
  github.addRepo('acme/web', { visibility: 'private', teams: { builders: 'write' } });
  github.addRepo('octocat/app', { visibility: 'public' });
});

const started = useDockerSession('crgate-github-docker-', () => startGitHubGateway(gitHub()));

beforeAll(async () => {
  quick = await startGitHubGateway(gitHub(), {
    CRGATE_GITHUB_CACHE_TTL_SECONDS: '1',
    CRGATE_DECISION_CACHE_TTL_SECONDS: '1',
  });
});

afterAll(async () => {
  await quick?.close();
  await github?.close();
});

function quickGateway(): TestGateway {
  if (!quick) throw new Error('beforeAll did not finish');
  return quick;
}

/** Longer than an answer of GitHub, a decision and a replica's memo of it may be reused. */
function untilCachesExpire(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 3_000));
}

function loginTo(host: string, token: string, username: string): Promise<ToolOutput> {
  return started().dockerd.docker(['login', host, '-u', username, '--password-stdin'], {}, token);
}

/** Whether a docker command worked, and what it printed, without throwing: refusals are tested. */
async function attempt(
  run: Promise<ToolOutput | object>,
): Promise<{ ok: boolean; output: string }> {
  try {
    const done = await run;
    const output = 'stdout' in done ? `${done.stdout}${done.stderr}` : '';
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: (error as Error).message };
  }
}

async function pull(session: DockerSession, image: string) {
  await attempt(session.dockerd.docker(['image', 'rm', '--force', image]));
  return attempt(session.dockerd.docker(['pull', image]));
}

/** Builds `FROM scratch` plus a file and pushes it to `host`'s registry as `repository:1`. */
async function pushTo(host: string, repository: string, labels: Record<string, string> = {}) {
  const session = started();
  const image = `${host}/${repository}:1`;
  await buildImage(session, image, labels);
  return attempt(session.dockerd.docker(['push', image]));
}

describe('logging in with GitHub credentials', () => {
  test('docker logs in with a classic token, pushes and pulls the same digest, and keeps the token itself', async () => {
    const session = started();
    const token = gitHub().classicToken('octocat', SCOPES);
    await session.login(token, 'octocat');

    const { image, digest } = await session.buildAndPush('octocat/hello', '1', {
      [SOURCE]: `${gitHub().webUrl}/octocat/app`,
    });
    const pulled = await pull(session, image);

    expect(pulled.output).toContain(`Digest: ${digest}`);
    // No refresh token for a GitHub token: docker keeps the token, as it does for ghcr.io.
    const config = JSON.parse(
      await readFile(path.join(session.dockerd.dir, 'client', 'config.json'), 'utf8'),
    ) as { auths: Record<string, { auth?: string; identitytoken?: string }> };
    const entry = config.auths[session.gateway.registryHost];
    expect(entry?.identitytoken).toBeUndefined();
    expect(Buffer.from(entry?.auth ?? '', 'base64').toString()).toBe(`octocat:${token}`);
  });

  test('a warm docker pull asks GitHub nothing', async () => {
    const session = started();
    await session.login(gitHub().classicToken('octocat', SCOPES), 'octocat');
    const { image, digest } = await session.buildAndPush('octocat/warm', '1', {});
    expect((await pull(session, image)).ok).toBe(true);

    gitHub().resetRequests();
    const warm = await pull(session, image);

    expect(warm.output).toContain(`Digest: ${digest}`);
    expect(gitHub().requests).toEqual([]);
  });

  test('docker login with a fine-grained token is refused with the advice to use a classic one', async () => {
    const session = started();
    const token = gitHub().fineGrainedToken('mona');

    const login = await attempt(session.login(token, 'mona'));

    expect(login.ok).toBe(false);
    expect(login.output).toContain('personal access token (classic)');
  });

  test('a workflow logs in with its Actions OIDC token and publishes into its namespace', async () => {
    const session = started();
    const audience = session.gateway.registryHost.replace(/:\d+$/, '');
    const token = await gitHub().oidcToken({ repository: 'octocat/app' }, { audience });
    await session.login(token, 'x-access-token');

    const { image, digest } = await session.buildAndPush('octocat/from-workflow', '1', {});

    expect((await pull(session, image)).output).toContain(`Digest: ${digest}`);
    const pkg = await session.gateway.gateway.packages.get('octocat/from-workflow');
    expect(pkg?.record.linkedRepository).toBe('octocat/app');
  });

  test('an OIDC token for another audience is refused at docker login', async () => {
    const session = started();
    const token = await gitHub().oidcToken(
      { repository: 'octocat/app' },
      { audience: 'https://github.com/octocat' },
    );

    const login = await attempt(session.login(token, 'x-access-token'));

    expect(login.ok).toBe(false);
    expect(login.output).toContain('OIDC token is not for');
  });

  test('an organization enforcing SAML SSO refuses a token not authorized for it, with GitHub’s URL', async () => {
    const session = started();
    await session.login(gitHub().classicToken('octocat', SCOPES), 'octocat');
    const refused = await attempt(session.buildAndPush('saml/app', '1', {}));

    await session.login(gitHub().classicToken('octocat', SCOPES, { ssoAuthorized: ['saml'] }));
    const authorized = await attempt(session.buildAndPush('saml/app', '2', {}));

    expect(refused.ok).toBe(false);
    expect(refused.output).toContain('SAML enforcement');
    expect(refused.output).toContain(`${gitHub().webUrl}/orgs/saml/sso`);
    expect(authorized.ok).toBe(true);
  });
});

describe('as GitHub changes', () => {
  test('a token given write:packages on GitHub pushes once the cached answers expire', async () => {
    const host = quickGateway().registryHost;
    const token = gitHub().classicToken('octocat', ['read:packages']);
    await loginTo(host, token, 'octocat');
    const before = await pushTo(host, 'octocat/scopes-change');

    gitHub().setScopes(token, ['write:packages']);
    await untilCachesExpire();
    const after = await pushTo(host, 'octocat/scopes-change');

    expect(before.ok).toBe(false);
    expect(before.output).toMatch(/denied|unauthorized/i);
    expect(after.ok).toBe(true);
  });

  test('a member removed from the organization on GitHub is refused once the cached answers expire', async () => {
    const session = started();
    const host = quickGateway().registryHost;
    await loginTo(host, gitHub().classicToken('octocat', SCOPES), 'octocat');
    const published = await pushTo(host, 'acme/web-app', {
      [SOURCE]: `${gitHub().webUrl}/acme/web`,
    });
    expect(published.ok).toBe(true);

    await loginTo(host, gitHub().classicToken('hubot', ['read:packages']), 'hubot');
    const member = await pull(session, `${host}/acme/web-app:1`);
    gitHub().setMembership('acme', 'hubot', undefined);
    await untilCachesExpire();
    const removed = await pull(session, `${host}/acme/web-app:1`);

    expect(member.ok).toBe(true);
    expect(removed.ok).toBe(false);
    expect(removed.output).toMatch(/denied|not found|unauthorized/i);
  });

  test('with the rate limit nearly spent, cached answers still serve and new questions get 503', async () => {
    const gw = quickGateway();
    await loginTo(gw.registryHost, gitHub().classicToken('octocat', SCOPES), 'octocat');
    expect((await pushTo(gw.registryHost, 'octocat/rate-limited')).ok).toBe(true);

    gitHub().setRateLimit(50);
    try {
      await untilCachesExpire();
      // Asking again with an ETag is free when nothing changed, so the reserve allows it.
      const cached = await pull(started(), `${gw.registryHost}/octocat/rate-limited:1`);
      // Whether mona is a member of acme was never asked: that would spend the reserve.
      const refused = await gw.client
        .as({ username: 'mona', password: gitHub().classicToken('mona', SCOPES) })
        .get('/token?service=containers.localhost&scope=repository:acme/web-app:pull');

      expect(cached.ok).toBe(true);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(refused.body).toMatchObject({ errors: [{ code: 'UNAVAILABLE' }] });
    } finally {
      gitHub().setRateLimit(5000);
    }
  });

  test('while GitHub is down, cached answers serve until they expire, then 503 and never a grant', async () => {
    const session = started();
    const gw = quickGateway();
    const token = gitHub().classicToken('octocat', SCOPES);
    await session.login(token, 'octocat');
    await loginTo(gw.registryHost, token, 'octocat');
    const { image } = await session.buildAndPush('octocat/outage', '1', {});
    expect((await pushTo(gw.registryHost, 'octocat/outage')).ok).toBe(true);

    gitHub().setDown(true);
    try {
      const fresh = await pull(session, image);
      await untilCachesExpire();
      const expired = await gw.client
        .as({ username: 'octocat', password: token })
        .get('/token?service=containers.localhost&scope=repository:octocat/outage:pull');
      const pulled = await pull(session, `${gw.registryHost}/octocat/outage:1`);

      expect(fresh.ok).toBe(true);
      expect(expired.status).toBe(503);
      expect(expired.body).toMatchObject({ errors: [{ code: 'UNAVAILABLE' }] });
      expect(pulled.ok).toBe(false);
    } finally {
      gitHub().setDown(false);
    }
  });
});
