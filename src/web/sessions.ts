import { createHash, randomBytes } from 'node:crypto';

import type { RedisClient } from '../state/redis';

/**
 * Sessions of users signed in on the web origin: records that must not be lost (DESIGN.md,
 * "State"), each under the SHA-256 of its id. The id itself lives only in the browser's
 * cookie, so reading Redis (or a backup of it) gives no one a way in.
 */
export interface Session {
  readonly login: string;
  /** The SSO organizations the token used to sign in was authorized for. */
  readonly ssoOrgs: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** How long a sign-in lasts; the Redis record expires with it. */
export const SESSION_TTL_MS = 8 * 3600 * 1000;

export function sessionKey(id: string): string {
  return `crgate:rec:session:${createHash('sha256').update(id).digest('hex')}`;
}

function sessionOf(hash: Record<string, string>): Session | undefined {
  if (!hash.login || !hash.expires_at) return undefined;
  return {
    login: hash.login,
    ssoOrgs: JSON.parse(hash.sso_orgs ?? '[]') as string[],
    createdAt: hash.created_at ?? '',
    expiresAt: hash.expires_at,
  };
}

export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a session; the id is 32 random bytes, returned once, for the cookie. */
  async create(
    login: string,
    ssoOrgs: readonly string[],
  ): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      login,
      ssoOrgs,
      createdAt: new Date(this.now()).toISOString(),
      expiresAt: new Date(this.now() + SESSION_TTL_MS).toISOString(),
    };
    const fields = {
      login,
      sso_orgs: JSON.stringify(ssoOrgs),
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    };

    const replies = await this.redis
      .multi()
      .hset(sessionKey(id), fields)
      .pexpire(sessionKey(id), SESSION_TTL_MS)
      .exec();
    for (const [error] of replies ?? []) if (error) throw error;
    return { id, session };
  }

  /** The live session of an id; undefined when unknown or expired. */
  async find(id: string): Promise<Session | undefined> {
    const session = sessionOf(await this.redis.hgetall(sessionKey(id)));
    // Redis expires the record; the check covers a clock that ran ahead of Redis's.
    if (!session || Date.parse(session.expiresAt) <= this.now()) return undefined;
    return session;
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(sessionKey(id));
  }
}
