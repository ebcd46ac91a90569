import type { Redis } from 'ioredis';
import { createLogger, transports } from 'winston';

import { GitHubApi } from '../../../src/identity/github/api';
import type { GitHubApiOptions } from '../../../src/identity/github/api';
import { StaticToken } from '../../../src/identity/github/service-credential';
import { createMetrics } from '../../../src/telemetry/metrics';

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
