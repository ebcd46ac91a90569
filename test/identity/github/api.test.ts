import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Redis } from 'ioredis';

import { DirectoryUnavailableError } from '../../../src/identity/directory';
import type { Credential, GitHubApi } from '../../../src/identity/github/api';
import { createMetrics } from '../../../src/telemetry/metrics';
import type { Metrics } from '../../../src/telemetry/metrics';
import { startFakeGitHub } from '../../harness/fake-github';
import type { FakeGitHub } from '../../harness/fake-github';
import { requireEnv } from '../../harness/gateway';
import { testApi, TTL_MS, unique } from './test-api';

const RESERVE = 10;
const SERVICE: Credential = { kind: 'service' };

/** The clock GitHubApi reads: answers age when the test says, never with the wall clock. */
class Clock {
  constructor(public ms = Date.now()) {}

  readonly now = (): number => this.ms;

  advance(ms: number): void {
    this.ms += ms;
  }
}

interface OpenApi {
  readonly api: GitHubApi;
  readonly metrics: Metrics;
  readonly clock: Clock;
}

function openApi(redis: Redis, apiUrl: string, serviceToken: string): OpenApi {
  const metrics = createMetrics();
  const clock = new Clock();
  const api = testApi({ apiUrl, serviceToken }, redis, {
    metrics,
    rateLimitReserve: RESERVE,
    now: clock.now,
  });
  return { api, metrics, clock };
}

async function cacheCounts(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.githubCache.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.result), v.value]));
}

async function remainingGauge(metrics: Metrics): Promise<number | undefined> {
  const { values } = await metrics.githubRateLimitRemaining.get();
  return values[0]?.value;
}

async function requestCount(metrics: Metrics, route: string, status: string): Promise<number> {
  const { values } = await metrics.githubRequests.get();
  const value = values.find((v) => v.labels.route === route && v.labels.status === status);
  return value?.value ?? 0;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

describe('GitHub API reads (real Redis, local GitHub)', () => {
  let redis: Redis;
  let github: FakeGitHub;
  let open: OpenApi;
  let login: string;

  beforeAll(() => {
    redis = new Redis(requireEnv('TEST_REDIS_URL'));
  });
  afterAll(() => redis.quit());

  beforeEach(async () => {
    github = await startFakeGitHub();
    open = openApi(redis, github.apiUrl, github.serviceToken);
    login = unique('octocat');
    github.addUser(login);
  });
  afterEach(() => github.close());

  const getUser = (name = login) => open.api.get(`/users/${name}`, SERVICE, 'user');

  describe('cache', () => {
    it('answers a second identical GET within the TTL from the cache, without asking GitHub', async () => {
      const first = await getUser();
      const second = await getUser();

      expect(first.status).toBe(200);
      expect(second).toEqual(first);
      expect(second.body).toMatchObject({ login, type: 'User' });
      expect(github.requests).toHaveLength(1);
      expect(await cacheCounts(open.metrics)).toEqual({ miss: 1, fresh: 1 });
    });

    it('keeps a 404 like any other answer', async () => {
      const nobody = unique('nobody');
      const first = await getUser(nobody);
      const second = await getUser(nobody);

      expect(first.status).toBe(404);
      expect(second.status).toBe(404);
      expect(github.requests).toHaveLength(1);
    });

    it('after the TTL asks again with the ETag, keeps the answer on a 304 and spends no rate limit', async () => {
      const first = await getUser();
      const remainingBefore = await remainingGauge(open.metrics);
      open.clock.advance(TTL_MS);
      const revalidated = await getUser();

      expect(revalidated.body).toEqual(first.body);
      expect(github.requests.map(({ status, conditional }) => ({ status, conditional }))).toEqual([
        { status: 200, conditional: false },
        { status: 304, conditional: true },
      ]);
      expect(await remainingGauge(open.metrics)).toBe(remainingBefore);
      expect(await requestCount(open.metrics, 'user', '304')).toBe(1);
      expect(await cacheCounts(open.metrics)).toEqual({ miss: 1, revalidated: 1 });
    });

    it('trusts a revalidated answer for another TTL', async () => {
      await getUser();
      open.clock.advance(TTL_MS);
      await getUser();
      open.clock.advance(TTL_MS - 1);
      await getUser();

      expect(github.requests).toHaveLength(2);
      expect(await cacheCounts(open.metrics)).toEqual({ miss: 1, revalidated: 1, fresh: 1 });
    });

    it('sees a changed answer once the TTL has passed: a member removed from an organization', async () => {
      const org = unique('octo-org');
      github.addOrg(org, { members: [login] });
      const path = `/orgs/${org}/memberships/${login}`;
      const before = await open.api.get(path, SERVICE, 'org-membership');
      github.setMembership(org, login, undefined);

      const withinTtl = await open.api.get(path, SERVICE, 'org-membership');
      open.clock.advance(TTL_MS);
      const after = await open.api.get(path, SERVICE, 'org-membership');

      expect(before.status).toBe(200);
      expect(withinTtl.status).toBe(200);
      expect(after.status).toBe(404);
      expect(github.requests.at(-1)).toMatchObject({ status: 404, conditional: true });
      expect(await cacheCounts(open.metrics)).toEqual({ miss: 2, fresh: 1 });
    });

    it('sends one request for concurrent identical GETs', async () => {
      const answers = await Promise.all([getUser(), getUser(), getUser(), getUser()]);

      expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
      expect(answers[0]?.body).toMatchObject({ login });
      expect(github.requests).toHaveLength(1);
    });

    it('keeps each token’s answers apart', async () => {
      const other = unique('hubot');
      github.addUser(other);
      const mine = { kind: 'token', secret: github.classicToken(login, []) } as const;
      const theirs = { kind: 'token', secret: github.classicToken(other, []) } as const;

      const first = await open.api.get('/user', mine, 'user-self');
      const second = await open.api.get('/user', theirs, 'user-self');

      expect(first.body).toMatchObject({ login });
      expect(second.body).toMatchObject({ login: other });
      expect(github.requests).toHaveLength(2);
    });

    it('keeps the answers of two GitHub instances apart in one Redis', async () => {
      const enterprise = await startFakeGitHub();
      try {
        enterprise.addUser(login, { siteAdmin: true });
        const ghes = openApi(redis, enterprise.apiUrl, enterprise.serviceToken);

        const fromGitHub = await getUser();
        const fromGhes = await ghes.api.get(`/users/${login}`, SERVICE, 'user');

        expect(fromGitHub.body).toMatchObject({ site_admin: false });
        expect(fromGhes.body).toMatchObject({ site_admin: true });
        expect(enterprise.requests).toHaveLength(1);
      } finally {
        await enterprise.close();
      }
    });
  });

  describe('rate limit', () => {
    it('at the reserve, refuses an uncached GET without sending it', async () => {
      github.setRateLimit(RESERVE + 1);
      await getUser();

      const refused = getUser(unique('someone'));

      await expect(refused).rejects.toThrow(DirectoryUnavailableError);
      expect(github.requests).toHaveLength(1);
      expect(await cacheCounts(open.metrics)).toEqual({ miss: 1, refused: 1 });
    });

    it('at the reserve, still revalidates a stale answer with a conditional request', async () => {
      github.setRateLimit(RESERVE + 1);
      const first = await getUser();
      open.clock.advance(TTL_MS);

      const revalidated = await getUser();

      expect(revalidated.body).toEqual(first.body);
      expect(github.requests.at(-1)).toMatchObject({ status: 304, conditional: true });
      expect(await remainingGauge(open.metrics)).toBe(RESERVE);
    });

    it('at the reserve, keeps a stale refusal rather than ask again, as it grants nothing', async () => {
      const nobody = unique('nobody');
      github.setRateLimit(RESERVE + 2);
      await getUser(nobody);
      await getUser();
      open.clock.advance(TTL_MS);

      const kept = await getUser(nobody);

      expect(kept.status).toBe(404);
      expect(github.requests).toHaveLength(2);
      expect(await cacheCounts(open.metrics)).toEqual({ miss: 2, stale: 1 });
    });

    it('with nothing left, sends nothing, not even a conditional request', async () => {
      github.setRateLimit(1);
      await getUser();
      open.clock.advance(TTL_MS);

      await expect(getUser()).rejects.toThrow(DirectoryUnavailableError);
      expect(github.requests).toHaveLength(1);
      expect(await remainingGauge(open.metrics)).toBe(0);
    });

    it('takes a rate-limited 403 for GitHub unable to answer, and keeps nothing of it', async () => {
      github.setRateLimit(0);
      await expect(getUser()).rejects.toThrow(DirectoryUnavailableError);

      // Another replica, with its own budget, finds no cached 403 to take for an answer.
      github.setRateLimit(5000);
      const replica = openApi(redis, github.apiUrl, github.serviceToken);
      const answer = await replica.api.get(`/users/${login}`, SERVICE, 'user');

      expect(answer.status).toBe(200);
      expect(github.requests.map((request) => request.status)).toEqual([403, 200]);
    });

    it('takes a secondary rate limit (403 with Retry-After) for GitHub unable to answer', async () => {
      // GitHub's secondary rate limits answer 403 with Retry-After while the primary limit
      // still has requests left ("Exceeding the rate limit", REST API docs).
      const limited = createServer((_req, res) => {
        res.writeHead(403, {
          'Content-Type': 'application/json',
          'Retry-After': '60',
          'X-RateLimit-Remaining': '4000',
        });
        res.end(JSON.stringify({ message: 'You have exceeded a secondary rate limit.' }));
      });
      const apiUrl = await listen(limited);
      try {
        const { api } = openApi(redis, apiUrl, 'ghp_unused');
        const path = `/orgs/${unique('org')}/memberships/${login}`;

        await expect(api.get(path, SERVICE, 'org-membership')).rejects.toThrow(
          DirectoryUnavailableError,
        );
      } finally {
        await close(limited);
      }
    });

    it('shows the service credential’s remaining requests in the gauge, not a caller’s', async () => {
      github.setRateLimit(500);
      await getUser();
      const afterService = await remainingGauge(open.metrics);
      const token = { kind: 'token', secret: github.classicToken(login, []) } as const;
      await open.api.get('/user', token, 'user-self');

      expect(afterService).toBe(499);
      expect(await remainingGauge(open.metrics)).toBe(499);
      expect(
        await open.metrics.registry.getSingleMetricAsString('crgate_github_rate_limit_remaining'),
      ).toContain('crgate_github_rate_limit_remaining 499');
    });
  });

  describe('GitHub unavailable', () => {
    it('serves an answer still fresh while GitHub is down', async () => {
      const first = await getUser();
      github.setDown(true);

      const answer = await getUser();

      expect(answer).toEqual(first);
    });

    it('refuses a stale answer with DirectoryUnavailableError while GitHub is down, never serving it', async () => {
      await getUser();
      github.setDown(true);
      open.clock.advance(TTL_MS);

      await expect(getUser()).rejects.toThrow(DirectoryUnavailableError);
      expect(github.requests.at(-1)).toMatchObject({ status: 503, conditional: true });
      expect(await requestCount(open.metrics, 'user', '503')).toBe(1);
    });

    it('revalidates the stale answer once GitHub is back', async () => {
      await getUser();
      github.setDown(true);
      open.clock.advance(TTL_MS);
      await expect(getUser()).rejects.toThrow(DirectoryUnavailableError);
      github.setDown(false);

      const answer = await getUser();

      expect(answer.body).toMatchObject({ login });
      expect(github.requests.at(-1)).toMatchObject({ status: 304, conditional: true });
    });

    it('refuses with DirectoryUnavailableError when nothing listens at the API URL', async () => {
      const gone = createServer();
      const apiUrl = await listen(gone);
      await close(gone);
      const { api } = openApi(redis, apiUrl, 'ghp_unused');

      await expect(api.get(`/users/${login}`, SERVICE, 'user')).rejects.toThrow(
        DirectoryUnavailableError,
      );
    });
  });
});
