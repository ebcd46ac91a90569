import type { RedisClient } from '../state/redis';
import { ShortMemo } from '../state/short-memo';

/**
 * Rate limits on failed authentications, in fixed one-minute windows kept in Redis so that
 * every replica counts together. A client address that failed too often is refused before
 * its credentials are checked. The username is counted too, but only ever turns a failure
 * into a 429: crgate ignores the username when it signs someone in, so letting it block a
 * valid token would let anyone lock a user out by sending bad passwords in their name.
 *
 * An address found under its limit is taken at its word for up to a second without asking
 * Redis again, so a client that signs in request after request costs no round trip. A failure
 * this replica counts forgets the address at once; failures counted by other replicas reach
 * this one within that second.
 */
export interface FailureLimits {
  readonly perAddressPerMinute: number;
  readonly perUserPerMinute: number;
}

const WINDOW_SECONDS = 60;
const UNDER_LIMIT_MEMO_MS = 1_000;
const UNDER_LIMIT_MEMO_ENTRIES = 10_000;

const KEYS = {
  address: (address: string) => `crgate:cache:authfail:addr:${address}`,
  user: (username: string) => `crgate:cache:authfail:user:${username.toLowerCase()}`,
};

export class FailureLimiter {
  // Addresses found under their limit, for up to a second.
  private readonly underLimit: ShortMemo<true>;
  // Bumped around each failure this replica counts, so a read that raced one is not kept.
  private failuresCounted = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly limits: FailureLimits,
    /** 0 turns the memo off: every check then asks Redis. */
    memoMs = UNDER_LIMIT_MEMO_MS,
  ) {
    this.underLimit = new ShortMemo(memoMs, UNDER_LIMIT_MEMO_ENTRIES);
  }

  /** Seconds this address must wait, when it failed too often; undefined otherwise. */
  async blocked(address: string): Promise<number | undefined> {
    if (this.underLimit.get(address) === true) return undefined;

    const counted = this.failuresCounted;
    const failures = Number(await this.redis.get(KEYS.address(address)));
    if (failures < this.limits.perAddressPerMinute) {
      if (counted === this.failuresCounted) this.underLimit.set(address, true);
      return undefined;
    }
    return Math.max(1, await this.redis.ttl(KEYS.address(address)));
  }

  /** Counts a failure; resolves with the seconds to wait when the username is over its limit. */
  async recordFailure(address: string, username: string): Promise<number | undefined> {
    // Before and after the count: a check of this address while it is under way may read
    // the count before it.
    this.forget(address);
    // One transaction a key: in a Redis Cluster the two counters live in different slots.
    const count = (key: string) =>
      this.redis.multi().incr(key).expire(key, WINDOW_SECONDS, 'NX').ttl(key).exec();
    const [, user] = await Promise.all([count(KEYS.address(address)), count(KEYS.user(username))]);
    this.forget(address);

    const userFailures = Number(user?.[0]?.[1]);
    const userTtl = Number(user?.[2]?.[1]);
    return userFailures > this.limits.perUserPerMinute ? Math.max(1, userTtl) : undefined;
  }

  private forget(address: string): void {
    this.failuresCounted += 1;
    this.underLimit.delete(address);
  }
}
