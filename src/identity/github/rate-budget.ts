/**
 * What is left of one credential's GitHub rate limit, read from the `X-RateLimit-Remaining`
 * and `X-RateLimit-Reset` of each answer ("Rate limits for the REST API"). Below the reserve
 * crgate sends only conditional requests, which cost nothing when the answer has not
 * changed; with nothing left, or told to wait (`Retry-After`), it sends nothing until reset.
 */
export class RateBudget {
  /** Requests left in this window, once GitHub has said. */
  remaining: number | undefined;
  private resetAt = 0;
  private waitUntil = 0;

  constructor(private readonly reserve: number) {}

  /** Whether a request may go out now; `conditional` requests may dip into the reserve. */
  allows(conditional: boolean, now: number): boolean {
    if (now < this.waitUntil) return false;
    if (this.remaining === undefined || now >= this.resetAt) return true;
    if (this.remaining <= 0) return false;
    return conditional || this.remaining > this.reserve;
  }

  observe(headers: Headers, now: number): void {
    const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
    const reset = Number(headers.get('x-ratelimit-reset') ?? NaN);
    if (Number.isFinite(remaining)) this.remaining = remaining;
    if (Number.isFinite(reset)) this.resetAt = reset * 1000;
    // A secondary rate limit says how long to wait instead ("Exceeding the rate limit").
    const retryAfter = Number(headers.get('retry-after') ?? NaN);
    if (Number.isFinite(retryAfter)) this.waitUntil = now + retryAfter * 1000;
  }
}
