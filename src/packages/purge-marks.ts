import { randomUUID } from 'node:crypto';

import type { RedisClient } from '../state/redis';
import { PACKAGE_KEYS } from './package-keys';

/**
 * Marks that keep a manifest push and the purge (purge.ts) of the same digest D apart, on
 * every replica: a push marks D as pushing before the registry sees it, the purge marks D as
 * purging before it sends the registry its DELETE. Each side takes its mark in one script that
 * first looks at the other side's, over keys in the package's slot, so Redis puts them in order:
 * - push first: the purge finds the push's mark, or once it is cleared the version the push
 *   recorded, and leaves D in the registry (the deletion waits for the next run, or is
 *   forgotten without a DELETE when D is live);
 * - purge first: the push is refused before the registry sees it, and its retry reaches the
 *   registry after the DELETE, which then cannot undo it.
 * A side clears its mark once it has the registry's answer (a push also its record). When that
 * answer is unknown (a timeout, a client gone, a crash), the registry may still act on the
 * request, so the mark stays until it expires, past the registry timeout.
 *
 * A mark is a sorted set of holders, token to deadline: two pushes of one manifest (its tags
 * pushed side by side) hold it together. Deadlines are read on Redis's clock, which every
 * replica shares, so a replica whose clock is behind cannot end another's mark early; the key
 * expires as well, so a crashed holder leaves nothing behind for long.
 */
export interface PurgeMarkOptions {
  /** How long a mark holds when its side never clears it. */
  readonly ttlMs: number;
  /** Epoch milliseconds, for tests; by default Redis's own clock. */
  readonly now?: () => number;
}

export interface PurgeMark {
  readonly repository: string;
  readonly digest: string;
  readonly token: string;
}

/**
 * How long a mark holds unless cleared: twice the registry timeout, since a request that
 * crgate stopped waiting for may still be carried out by the registry.
 */
export function markTtlMs(registryTimeoutMs: number): number {
  return 2 * registryTimeoutMs;
}

/** What the purge may do with a digest: delete it under a mark, or leave it. */
export type PurgeStart = PurgeMark | 'live' | 'pushing';

// Kept among the records rather than the cache: a mark that vanished early would reopen the
// race. The braces put both beside the package's versions, for one script over all three.
const pushingKey = (repository: string, digest: string) =>
  `crgate:rec:package-pushing:{${repository}}:${digest}`;
const purgingKey = (repository: string, digest: string) =>
  `crgate:rec:package-purging:{${repository}}:${digest}`;

// ARGV[1] the time in ms, or '' for Redis's; ARGV[2] the mark's lifetime in ms; ARGV[3] the
// holder's token. Scripts write after TIME as Redis 5 and later replicate their effects.
const MARKS = `
local function clock()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function held(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%d', now))
  return redis.call('ZCARD', key) > 0
end
local function mark(key, now)
  local ttl = tonumber(ARGV[2])
  redis.call('ZADD', key, string.format('%d', now + ttl), ARGV[3])
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end`;

// KEYS purging, pushing.
const BEGIN_PUSH = `${MARKS}
local now = clock()
if held(KEYS[1], now) then return 0 end
mark(KEYS[2], now)
return 1`;

// KEYS versions, pushing, purging; ARGV[4] the digest.
const BEGIN_PURGE = `${MARKS}
if redis.call('HEXISTS', KEYS[1], ARGV[4]) == 1 then return 'live' end
local now = clock()
if held(KEYS[2], now) then return 'pushing' end
mark(KEYS[3], now)
return 'marked'`;

export class PurgeMarks {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: PurgeMarkOptions,
  ) {}

  /** Marks a push of `digest`; undefined while the purge is deleting it from the registry. */
  async beginPush(repository: string, digest: string): Promise<PurgeMark | undefined> {
    const mark = { repository, digest, token: randomUUID() };
    const keys = [purgingKey(repository, digest), pushingKey(repository, digest)];
    const taken = await this.redis.eval(BEGIN_PUSH, keys.length, ...keys, ...this.args(mark));
    return taken === 1 ? mark : undefined;
  }

  endPush(mark: PurgeMark): Promise<void> {
    return this.clear(pushingKey(mark.repository, mark.digest), mark);
  }

  /** Marks `digest` as purging, unless a live version holds it or a push of it is in flight. */
  async beginPurge(repository: string, digest: string): Promise<PurgeStart> {
    const mark = { repository, digest, token: randomUUID() };
    const keys = [
      PACKAGE_KEYS.versions(repository),
      pushingKey(repository, digest),
      purgingKey(repository, digest),
    ];
    const args = [...this.args(mark), digest];
    const answer = await this.redis.eval(BEGIN_PURGE, keys.length, ...keys, ...args);
    return answer === 'live' || answer === 'pushing' ? answer : mark;
  }

  endPurge(mark: PurgeMark): Promise<void> {
    return this.clear(purgingKey(mark.repository, mark.digest), mark);
  }

  private args(mark: PurgeMark): string[] {
    const now = this.options.now ? String(this.options.now()) : '';
    return [now, String(this.options.ttlMs), mark.token];
  }

  private async clear(key: string, mark: PurgeMark): Promise<void> {
    await this.redis.zrem(key, mark.token);
  }
}
