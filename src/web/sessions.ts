import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

import { parseScopes } from '../auth/token-store';
import type { PackageScope } from '../auth/token-store';
import type { RedisClient } from '../state/redis';

/**
 * Sessions of users signed in on the web origin: records that must not be lost (DESIGN.md,
 * "State"), each under the SHA-256 of its id. The id itself lives only in the browser's
 * cookie, so reading Redis (or a backup of it) gives no one a way in.
 *
 * A session may do what the credential it began with may do, and no more: one started with a
 * personal access token holds that token's scopes and SSO authorizations, and ends when the
 * token is revoked or expires, so a leaked read-only token never becomes a way to write.
 *
 * A token crgate cannot check by id (GitHub's) is kept with the session, sealed with a key
 * derived from the session id: only the browser holding the cookie can open it, so crgate
 * can ask GitHub again whether it still stands, and a copy of Redis holds nothing usable.
 */
export interface SessionGrant {
  /** The sign-in token's id; the session lives only while the token does. */
  readonly tokenId: string;
  readonly scopes: readonly PackageScope[];
  /** The SSO organizations the sign-in token was authorized for. */
  readonly ssoOrgs: readonly string[];
}

export interface Session extends SessionGrant {
  readonly login: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The sign-in token itself, when it was kept (sealed); never logged or rendered. */
  readonly secret?: string;
}

/** How long a sign-in lasts; the Redis record expires with it. */
export const SESSION_TTL_MS = 8 * 3600 * 1000;

export function sessionKey(id: string): string {
  return `crgate:rec:session:${createHash('sha256').update(id).digest('hex')}`;
}

function keyOf(id: string): Buffer {
  return Buffer.from(hkdfSync('sha256', id, '', 'crgate session secret', 32));
}

/** AES-256-GCM under the session's key: nonce, ciphertext and tag, base64url. */
function seal(id: string, secret: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(id), nonce);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, sealed, cipher.getAuthTag()]).toString('base64url');
}

function open(id: string, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(id), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(-16));
    return Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]).toString();
  } catch {
    // Tampered with, or not this session's: no token, so the session does not stand.
    return '';
  }
}

function sessionOf(id: string, hash: Record<string, string>): Session | undefined {
  if (!hash.login || !hash.expires_at || hash.token_id === undefined) return undefined;
  return {
    ...(hash.sealed_secret ? { secret: open(id, hash.sealed_secret) } : {}),
    login: hash.login,
    tokenId: hash.token_id,
    scopes: parseScopes(hash.scopes ?? ''),
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

  /**
   * Starts a session; the id is 32 random bytes, returned once, for the cookie. `secret`, the
   * sign-in token, is kept sealed when given.
   */
  async create(
    login: string,
    grant: SessionGrant,
    secret?: string,
  ): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = {
      login,
      ...grant,
      createdAt: new Date(this.now()).toISOString(),
      expiresAt: new Date(this.now() + SESSION_TTL_MS).toISOString(),
    };
    const fields = {
      login,
      token_id: grant.tokenId,
      scopes: grant.scopes.join(' '),
      sso_orgs: JSON.stringify(grant.ssoOrgs),
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      ...(secret === undefined ? {} : { sealed_secret: seal(id, secret) }),
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
    const session = sessionOf(id, await this.redis.hgetall(sessionKey(id)));
    // Redis expires the record; the check covers a clock that ran ahead of Redis's.
    if (!session || Date.parse(session.expiresAt) <= this.now()) return undefined;
    return session;
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(sessionKey(id));
  }
}
