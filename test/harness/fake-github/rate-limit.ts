const WINDOW_SECONDS = 3600;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * The primary "core" rate limit, one counter for every token (GitHub keeps one per user or
 * installation; the tests need only one):
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
export class RateLimit {
  private limit = 5000;
  private remaining = 5000;
  private reset = nowSeconds() + WINDOW_SECONDS;

  set(remaining: number, limit = this.limit): void {
    this.limit = limit;
    this.remaining = Math.min(remaining, limit);
    this.reset = nowSeconds() + WINDOW_SECONDS;
  }

  exhausted(): boolean {
    this.refillWhenDue();
    return this.remaining <= 0;
  }

  /** Counts one request against the limit. */
  take(): void {
    this.remaining = Math.max(0, this.remaining - 1);
  }

  headers(): Record<string, string> {
    return {
      'X-RateLimit-Limit': String(this.limit),
      'X-RateLimit-Remaining': String(this.remaining),
      'X-RateLimit-Reset': String(this.reset),
      'X-RateLimit-Used': String(this.limit - this.remaining),
      'X-RateLimit-Resource': 'core',
    };
  }

  private refillWhenDue(): void {
    if (nowSeconds() < this.reset) return;
    this.remaining = this.limit;
    this.reset = nowSeconds() + WINDOW_SECONDS;
  }
}
