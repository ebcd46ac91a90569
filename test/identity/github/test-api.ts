import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import { createLogger, transports } from 'winston';

import { GitHubApi } from '../../../src/identity/github/api';
import type { GitHubApiOptions } from '../../../src/identity/github/api';
import { StaticToken } from '../../../src/identity/github/service-credential';
import { createMetrics } from '../../../src/telemetry/metrics';
import { startFakeGitHub } from '../../harness/fake-github';
import type { FakeGitHub } from '../../harness/fake-github';
import { requireEnv } from '../../harness/gateway';

/** How long the tests' GitHubApi trusts an answer; they move its clock past it. */
export const TTL_MS = 60_000;

const silent = createLogger({ transports: [new transports.Console({ silent: true })] });

/**
 * A GitHubApi for the tests, in front of a local GitHub (its API URL and service token) and
 * the run's Redis, with a silent logger; `options` sets the clock, the metrics or the reserve.
 */
export function testApi(
  github: { readonly apiUrl: string; readonly serviceToken: string },
  redis: Redis,
  options: Partial<GitHubApiOptions> = {},
): GitHubApi {
  return new GitHubApi({
    apiUrl: github.apiUrl,
    service: new StaticToken(github.serviceToken),
    redis,
    metrics: createMetrics(),
    logger: silent,
    ttlMs: TTL_MS,
    timeoutMs: 5_000,
    rateLimitReserve: 10,
    ...options,
  });
}

/** A name of this run alone: cached answers are keyed by API URL, and ports come back. */
export const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

/**
 * A local GitHub and a connection to the run's Redis for the tests of a describe block, opened
 * before them and closed after; read them inside tests and hooks.
 */
export function useGitHubAndRedis(): { readonly github: FakeGitHub; readonly redis: Redis } {
  const opened: { github?: FakeGitHub; redis?: Redis } = {};
  beforeAll(async () => {
    opened.redis = new Redis(requireEnv('TEST_REDIS_URL'));
    opened.github = await startFakeGitHub();
  });
  afterAll(async () => {
    await opened.github?.close();
    await opened.redis?.quit();
  });
  const open = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the local GitHub and Redis open in beforeAll');
    return value;
  };
  return {
    get github() {
      return open(opened.github);
    },
    get redis() {
      return open(opened.redis);
    },
  };
}
