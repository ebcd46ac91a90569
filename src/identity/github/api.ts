import { createHash } from 'node:crypto';

import type { Logger } from 'winston';

import type { RedisClient } from '../../state/redis';
import type { Metrics } from '../../telemetry/metrics';
import { DirectoryUnavailableError } from '../directory';
import { RateBudget } from './rate-budget';

/**
 * crgate's reads of GitHub's REST API, each answer cached in Redis and shared by every
 * replica. An answer is trusted for `ttlMs`; after that it is asked again with its `ETag`
 * (If-None-Match), which costs nothing of the rate limit when nothing changed ("Using
 * conditional requests", GitHub REST API docs). An answer GitHub cannot give (outage,
 * timeout, rate limit spent) is never guessed: once the cached one is too old, the asker
 * gets DirectoryUnavailableError, which the origins answer with 503. The one exception: below
 * the rate limit reserve, an old refusal (401, 403, 404) is kept, as it grants nothing.
 */
export interface GitHubAnswer {
  /** 200, or an answer as final as it: 401, 403, 404. */
  readonly status: number;
  readonly body: unknown;
  /** `X-OAuth-Scopes`: present for classic tokens only. */
  readonly scopes?: string;
  /** `X-GitHub-SSO`: what SAML single sign-on withheld or requires. */
  readonly sso?: string;
}

/** Whose credentials a request carries: crgate's service credential, or a caller's token. */
export type Credential =
  { readonly kind: 'service' } | { readonly kind: 'token'; readonly secret: string };

/** The service credential: a token, or a GitHub App's installation token, minted on demand. */
export interface ServiceCredential {
  authorization(): Promise<string>;
}

export interface GitHubApiOptions {
  /** `https://api.github.com` or `https://<ghes-host>/api/v3`. */
  readonly apiUrl: string;
  readonly service: ServiceCredential;
  readonly redis: RedisClient;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly ttlMs: number;
  readonly timeoutMs: number;
  /** Below this many requests left, only free (conditional) requests go out until reset. */
  readonly rateLimitReserve: number;
  readonly now?: () => number;
}

/** One question to GitHub: a path, asked as whom, and its endpoint's name for metrics. */
interface Question {
  readonly path: string;
  readonly credential: Credential;
  readonly route: string;
}

interface Cached extends GitHubAnswer {
  readonly etag?: string;
  readonly fetchedAt: number;
}

// A cached answer outlives its freshness by this long, for its ETag: asking again with it is
// free when nothing changed.
const REVALIDATE_WINDOW_MS = 24 * 3600 * 1000;

// Answers as final as a 200: who a token is not (401), what it may not see (403), what does
// not exist (404). Anything else (5xx, 429, a rate limit) is GitHub unable to answer.
const FINAL_STATUSES = new Set([200, 204, 401, 403, 404]);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Whose rate limit a credential spends, and whose answers it may read. */
function identityOf(credential: Credential): string {
  return credential.kind === 'service' ? 'service' : `token:${sha256(credential.secret)}`;
}

/**
 * The primary rate limit spent (403 with nothing remaining), or a secondary one (403 or 429
 * with `Retry-After`): GitHub unable to answer now, not a refusal to remember.
 */
function isRateLimited(response: Response): boolean {
  if (response.status === 429) return true;
  const { headers } = response;
  return (
    response.status === 403 &&
    (headers.get('x-ratelimit-remaining') === '0' || headers.has('retry-after'))
  );
}

export class GitHubApi {
  private readonly now: () => number;
  private readonly budgets = new Map<string, RateBudget>();
  /** Requests in flight, by cache key: concurrent askers of one question share one request. */
  private readonly inFlight = new Map<string, Promise<GitHubAnswer>>();

  constructor(private readonly options: GitHubApiOptions) {
    this.now = options.now ?? Date.now;
  }

  /** `GET path` as `credential`; `route` names the endpoint in metrics. */
  get(path: string, credential: Credential, route: string): Promise<GitHubAnswer> {
    const identity = identityOf(credential);
    // Keyed by instance too: one Redis may serve crgates of github.com and of a GHES.
    const key = `crgate:cache:github:${sha256(`${this.options.apiUrl} ${identity} ${path}`)}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;

    const answer = this.answer(key, identity, { path, credential, route }).finally(() => {
      this.inFlight.delete(key);
    });
    this.inFlight.set(key, answer);
    return answer;
  }

  private async answer(key: string, identity: string, question: Question): Promise<GitHubAnswer> {
    const cached = await this.readCache(key);
    if (cached && this.now() - cached.fetchedAt < this.options.ttlMs) {
      this.options.metrics.githubCache.inc({ result: 'fresh' });
      return cached;
    }

    const budget = this.budgetOf(identity);
    if (!budget.allows(cached?.etag !== undefined, this.now())) {
      // Below the reserve a "no" GitHub gave stays a no until it can be asked again: it grants
      // nothing. Anything else would be a guess.
      const result = cached && cached.status !== 200 ? 'stale' : 'refused';
      this.options.metrics.githubCache.inc({ result });
      if (cached && result === 'stale') return cached;
      throw new DirectoryUnavailableError('GitHub API rate limit nearly spent; backing off');
    }

    const response = await this.send(question, budget, cached?.etag);
    if (response.status === 304 && cached) {
      this.options.metrics.githubCache.inc({ result: 'revalidated' });
      // A token's scopes are not in the body its ETag covers; a 304 still says them.
      const scopes = response.headers.get('x-oauth-scopes') ?? cached.scopes;
      return this.writeCache(key, { ...cached, scopes, fetchedAt: this.now() });
    }
    this.options.metrics.githubCache.inc({ result: 'miss' });
    return this.writeCache(key, await cachedOf(response, this.now()));
  }

  private async send(question: Question, budget: RateBudget, etag?: string) {
    const { credential, route } = question;
    const response = await this.fetch(question, etag);
    this.options.metrics.githubRequests.inc({ route, status: String(response.status) });
    budget.observe(response.headers, this.now());
    if (credential.kind === 'service' && budget.remaining !== undefined) {
      this.options.metrics.githubRateLimitRemaining.set(budget.remaining);
    }
    const unanswered =
      response.status !== 304 && !FINAL_STATUSES.has(response.status)
        ? `status ${response.status}`
        : isRateLimited(response) && 'rate limited';
    if (unanswered) {
      // Nobody reads this body: let the connection go back to the pool now.
      await response.body?.cancel().catch(() => undefined);
      throw this.failed(route, unanswered);
    }
    return response;
  }

  private async fetch({ path, credential, route }: Question, etag?: string): Promise<Response> {
    const authorization =
      credential.kind === 'service'
        ? await this.options.service.authorization()
        : `token ${credential.secret}`;
    const headers: Record<string, string> = {
      Accept: 'application/vnd.github+json',
      Authorization: authorization,
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'crgate',
    };
    if (etag) headers['If-None-Match'] = etag;

    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      return await fetch(`${this.options.apiUrl}${path}`, { headers, signal });
    } catch (error) {
      throw this.failed(route, error instanceof Error ? error.name : 'unknown');
    }
  }

  private failed(route: string, reason: string): DirectoryUnavailableError {
    // The route and the kind of failure only: a URL or message could carry a login.
    this.options.logger.warn('GitHub API unavailable', { route, reason });
    return new DirectoryUnavailableError(`GitHub API unavailable: ${reason}`);
  }

  private budgetOf(identity: string): RateBudget {
    let budget = this.budgets.get(identity);
    if (!budget) {
      // A bound on callers' tokens tracked at once; forgetting one only forgets its backoff.
      if (this.budgets.size >= 10_000) this.budgets.clear();
      budget = new RateBudget(this.options.rateLimitReserve);
      this.budgets.set(identity, budget);
    }
    return budget;
  }

  private async readCache(key: string): Promise<Cached | undefined> {
    const text = await this.options.redis.get(key);
    return text ? (JSON.parse(text) as Cached) : undefined;
  }

  private async writeCache(key: string, cached: Cached): Promise<Cached> {
    const ttl = this.options.ttlMs + REVALIDATE_WINDOW_MS;
    await this.options.redis.set(key, JSON.stringify(cached), 'PX', ttl);
    return cached;
  }
}

async function cachedOf(response: Response, now: number): Promise<Cached> {
  let body: unknown = null;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : null;
  } catch {
    throw new DirectoryUnavailableError('GitHub API answer cut short or not JSON');
  }
  const header = (name: string) => response.headers.get(name) ?? undefined;
  return {
    status: response.status,
    body,
    scopes: header('x-oauth-scopes'),
    sso: header('x-github-sso'),
    etag: header('etag'),
    fetchedAt: now,
  };
}
