import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric crgate exports, in one place, prefixed `crgate_`. Labels are bounded: origin,
 * route kind, method and status class; never a repository, digest or user.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'origin' | 'route' | 'method' | 'status_class'>;
  readonly requestDuration: Histogram<'origin' | 'route' | 'method'>;
  readonly uploadsInFlight: Gauge;
  readonly registryFailures: Counter<'reason'>;
  /** Authorization decisions by how the cache served them: hit, miss, degraded, unavailable. */
  readonly decisions: Counter<'cache'>;
  /** Requests crgate sent GitHub's API, by endpoint (a fixed name) and status. */
  readonly githubRequests: Counter<'route' | 'status'>;
  /** GitHub answers by how they were found: fresh, revalidated (304), miss, stale, refused. */
  readonly githubCache: Counter<'result'>;
  readonly githubRateLimitRemaining: Gauge;
}

// Manifest reads take milliseconds; blob transfers take up to the upload time limit.
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 120, 600];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'crgate_' });

  return {
    registry,
    requests: new Counter({
      name: 'crgate_http_requests_total',
      help: 'Requests answered, by origin, route kind, method and status class.',
      labelNames: ['origin', 'route', 'method', 'status_class'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'crgate_http_request_duration_seconds',
      help: 'Time from request to the end of the response.',
      labelNames: ['origin', 'route', 'method'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    uploadsInFlight: new Gauge({
      name: 'crgate_uploads_in_flight',
      help: 'Blob upload requests whose body is streaming through crgate now.',
      registers: [registry],
    }),
    registryFailures: new Counter({
      name: 'crgate_registry_failures_total',
      help: 'Requests the registry could not answer (connection refused, reset, timed out).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'crgate_access_decisions_total',
      help: 'Authorization decisions: cache hit, miss, degraded (cache unreadable, decided from records) or unavailable (refused with 503).',
      labelNames: ['cache'],
      registers: [registry],
    }),
    githubRequests: new Counter({
      name: 'crgate_github_requests_total',
      help: 'Requests sent to the GitHub API, by endpoint and status (304: a cached answer still true).',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    githubCache: new Counter({
      name: 'crgate_github_cache_total',
      help: 'GitHub answers: fresh from the cache, revalidated with a 304, miss (asked anew), and below the rate limit reserve stale (an old refusal kept) or refused.',
      labelNames: ['result'],
      registers: [registry],
    }),
    githubRateLimitRemaining: new Gauge({
      name: 'crgate_github_rate_limit_remaining',
      help: 'Requests the service credential may still send GitHub in this rate limit window.',
      registers: [registry],
    }),
  };
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Keeps the method label bounded: anything unusual is counted as OTHER. */
export function methodLabel(method: string | undefined): string {
  return method && KNOWN_METHODS.has(method) ? method : 'OTHER';
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
