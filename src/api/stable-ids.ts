import { PACKAGE_KEYS } from '../packages/package-keys';
import type { RedisClient } from '../state/redis';

/**
 * Numeric ids for names the directory knows only by name (users, organizations,
 * repositories), as GitHub's REST API gives every owner and repository one. An id is handed
 * out once per name, from the same counter as package and version ids, and never changes.
 */
export const OWNER_IDS_KEY = 'crgate:rec:owner-ids';
export const REPOSITORY_IDS_KEY = 'crgate:rec:repository-ids';

export class StableIds {
  constructor(
    private readonly redis: RedisClient,
    /** The Redis hash of name to id. */
    private readonly hash: string,
  ) {}

  async idOf(name: string): Promise<number> {
    const key = name.toLowerCase();
    const known = await this.redis.hget(this.hash, key);
    if (known !== null) return Number(known);

    // Two replicas may both draw a number for a new name; HSETNX keeps the first, and the
    // other number is never used.
    const drawn = await this.redis.incr(PACKAGE_KEYS.nextId);
    await this.redis.hsetnx(this.hash, key, drawn);
    return Number(await this.redis.hget(this.hash, key));
  }
}
