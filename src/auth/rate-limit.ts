import type { Redis } from 'ioredis';

/**
 * Rate limit on failed authentications, per client address and per username, in fixed
 * one-minute windows kept in Redis so that every replica counts together. Only failures
 * count; a blocked client is refused before its credentials are even checked.
 */
export interface FailureLimits {
  readonly perAddressPerMinute: number;
  readonly perUserPerMinute: number;
}

const WINDOW_SECONDS = 60;

function keys(address: string, username: string): [string, string] {
  return [`crgate:cache:authfail:addr:${address}`, `crgate:cache:authfail:user:${username}`];
}

export class FailureLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly limits: FailureLimits,
  ) {}

  /** Seconds to wait when this address or username failed too often; undefined otherwise. */
  async blocked(address: string, username: string): Promise<number | undefined> {
    const [byAddress, byUser] = keys(address, username.toLowerCase());
    const [addressCount, userCount] = await this.redis.mget(byAddress, byUser);
    const over =
      Number(addressCount) >= this.limits.perAddressPerMinute
        ? byAddress
        : Number(userCount) >= this.limits.perUserPerMinute
          ? byUser
          : undefined;
    if (!over) return undefined;
    return Math.max(1, await this.redis.ttl(over));
  }

  async recordFailure(address: string, username: string): Promise<void> {
    const transaction = this.redis.multi();
    for (const key of keys(address, username.toLowerCase())) {
      transaction.incr(key).expire(key, WINDOW_SECONDS, 'NX');
    }
    await transaction.exec();
  }
}
