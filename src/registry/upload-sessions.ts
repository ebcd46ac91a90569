import type { RedisClient } from '../state/redis';

/**
 * The upload sessions crgate holds in front of the registry's, in Redis (DESIGN.md, "State":
 * records). The client only ever sees crgate's own upload URL; the registry's, with its
 * `_state` token, stays here. So every replica can take the next chunk, and each request is
 * checked against the whole session: its owner, its offset, its age and its bytes so far.
 */
export interface UploadSession {
  readonly id: string;
  /** The repository the session was opened in; a request must name the same one. */
  readonly repository: string;
  /** The principal id (`user:octocat`, `workflow:acme/web`) that opened it. */
  readonly owner: string;
  /** Epoch milliseconds of the request that opened the session. */
  readonly startedAt: number;
  /** The registry's URL of the session (path and query), which changes with every chunk. */
  readonly location: string;
  /** How many bytes the registry has accepted so far: where the next chunk must start. */
  readonly offset: number;
  /** Why the session ended, while its record is kept to say so; absent while it is open. */
  readonly ended?: UploadEnd;
}

export type UploadEnd = 'timeout' | 'size';

// How long a request's claim on a session lasts unless renewed (see `claim`).
const CLAIM_MS = 30_000;

// Kept an hour past the time limit, so that a late request hears why its session ended.
const KEEP_AFTER_LIMIT_MS = 60 * 60 * 1000;

// Each session's keys share a hash tag, so they live in one slot of a Redis Cluster.
const sessionKey = (id: string) => `crgate:rec:upload:{${id}}`;
const busyKey = (id: string) => `crgate:rec:upload:{${id}}:busy`;
const ownerKey = (owner: string) => `crgate:rec:uploads-of:{${owner}}`;

export class UploadSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly timeoutMs: number,
  ) {}

  private get lifetimeMs(): number {
    return this.timeoutMs + KEEP_AFTER_LIMIT_MS;
  }

  async open(session: Omit<UploadSession, 'ended'>): Promise<void> {
    const { id, repository, owner, startedAt, location, offset } = session;
    await Promise.all([
      this.redis
        .multi()
        .hset(sessionKey(id), { repository, owner, startedAt, location, offset })
        .pexpire(sessionKey(id), this.lifetimeMs)
        .exec(),
      this.redis
        .multi()
        .zadd(ownerKey(owner), startedAt, id)
        .pexpire(ownerKey(owner), this.lifetimeMs)
        .exec(),
    ]);
  }

  async get(id: string): Promise<UploadSession | undefined> {
    const fields = await this.redis.hgetall(sessionKey(id));
    if (fields.owner === undefined || fields.repository === undefined) return undefined;
    const ended = fields.ended === 'timeout' || fields.ended === 'size' ? fields.ended : undefined;
    return {
      id,
      repository: fields.repository,
      owner: fields.owner,
      startedAt: Number(fields.startedAt),
      location: fields.location ?? '',
      offset: Number(fields.offset),
      ...(ended ? { ended } : {}),
    };
  }

  /** How many sessions `owner` has open that are still within the time limit. */
  async countOpen(owner: string): Promise<number> {
    const since = Date.now() - this.timeoutMs;
    await this.redis.zremrangebyscore(ownerKey(owner), '-inf', `(${since}`);
    return this.redis.zcard(ownerKey(owner));
  }

  /** Records a chunk the registry accepted: its new URL of the session and the new offset. */
  async advance(id: string, location: string, offset: number): Promise<void> {
    await this.redis.hset(sessionKey(id), { location, offset });
  }

  /**
   * Claims the session for one request at a time: a second request while one is sending
   * would reach the registry with a stale `_state` and make it cancel the upload. The claim
   * lasts CLAIM_MS and is renewed while the request lives, so a replica that dies holding it
   * blocks the session for seconds, not for the whole upload time. Resolves with the function
   * that releases it, or undefined when another request holds it.
   */
  async claim(id: string): Promise<(() => void) | undefined> {
    const claimed = await this.redis.set(busyKey(id), '1', 'PX', CLAIM_MS, 'NX');
    if (claimed !== 'OK') return undefined;
    const renewal = setInterval(() => {
      this.redis.pexpire(busyKey(id), CLAIM_MS).catch(() => undefined);
    }, CLAIM_MS / 3);
    renewal.unref();
    return () => {
      clearInterval(renewal);
      this.redis.del(busyKey(id)).catch(() => {
        // Redis is away: release once it is back, rather than block the session until expiry.
        this.redis.once('ready', () => void this.redis.del(busyKey(id)).catch(() => undefined));
      });
    };
  }

  /** Ends a session past a limit; its record stays a while to tell a late request why. */
  async end(session: UploadSession, why: UploadEnd): Promise<void> {
    await Promise.all([
      this.redis.hset(sessionKey(session.id), 'ended', why),
      this.redis.zrem(ownerKey(session.owner), session.id),
    ]);
  }

  /** Forgets a session that completed or was cancelled by its client. */
  async close(session: UploadSession): Promise<void> {
    await Promise.all([
      this.redis.del(sessionKey(session.id), busyKey(session.id)),
      this.redis.zrem(ownerKey(session.owner), session.id),
    ]);
  }
}
