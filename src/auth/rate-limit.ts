import type { RedisClient } from '../state/redis';

/**
 * Rate limits on failed authentications, in fixed one-minute windows kept in Redis so that
 * every replica counts together. A client address that failed too often is refused before
 * its credentials are checked. The username is counted too, but only ever turns a failure
 * into a 429: crgate ignores the username when it signs someone in, so letting it block a
 * valid token would let anyone lock a user out by sending bad passwords in their name.
 */
export interface FailureLimits {
  readonly perAddressPerMinute: number;
  readonly perUserPerMinute: number;
}

const WINDOW_SECONDS = 60;

const KEYS = {
  address: (address: string) => `crgate:cache:authfail:addr:${address}`,
  user: (username: string) => `crgate:cache:authfail:user:${username.toLowerCase()}`,
};

export class FailureLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly limits: FailureLimits,
  ) {}

  /** Seconds this address must wait, when it failed too often; undefined otherwise. */
  async blocked(address: string): Promise<number | undefined> {
    const failures = Number(await this.redis.get(KEYS.address(address)));
    if (failures < this.limits.perAddressPerMinute) return undefined;
    return Math.max(1, await this.redis.ttl(KEYS.address(address)));
  }

  /** Counts a failure; resolves with the seconds to wait when the username is over its limit. */
  async recordFailure(address: string, username: string): Promise<number | undefined> {
    // One transaction a key: in a Redis Cluster the two counters live in different slots.
    const count = (key: string) =>
      this.redis.multi().incr(key).expire(key, WINDOW_SECONDS, 'NX').ttl(key).exec();
    const [, user] = await Promise.all([count(KEYS.address(address)), count(KEYS.user(username))]);
    const userFailures = Number(user?.[0]?.[1]);
    const userTtl = Number(user?.[2]?.[1]);
    return userFailures > this.limits.perUserPerMinute ? Math.max(1, userTtl) : undefined;
  }
}
