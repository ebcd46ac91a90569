import { randomBytes } from 'node:crypto';

import type { RedisClient } from '../state/redis';
import { hashToken, mintToken, tokenKind } from './token-format';

/**
 * Personal access tokens and workflow tokens, kept in Redis among the records that must not
 * be lost. Only a token's hash is stored. A token that expires carries a Redis TTL, so an
 * expired token is simply gone; revoking deletes it at once.
 */
export const PACKAGE_SCOPES = [
  'read:packages',
  'write:packages',
  'delete:packages',
  'repo',
] as const;
export type PackageScope = (typeof PACKAGE_SCOPES)[number];

export interface PatRecord {
  readonly kind: 'pat';
  readonly id: string;
  readonly user: string;
  readonly scopes: readonly PackageScope[];
  readonly note: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  /** Organizations that require SSO and for which this token is authorized. */
  readonly ssoOrgs: readonly string[];
  /** When the token last authenticated, to within a minute (TokenUseRecorder); absent: never. */
  readonly lastUsedAt?: string;
}

export interface WorkflowRecord {
  readonly kind: 'workflow';
  readonly id: string;
  /** `owner/name` of the repository whose workflow the token stands for. */
  readonly repository: string;
  readonly permission: 'read' | 'write';
  readonly createdAt: string;
  readonly expiresAt: string;
}

export type TokenRecord = PatRecord | WorkflowRecord;

export interface NewPat {
  readonly user: string;
  readonly scopes: readonly PackageScope[];
  readonly note?: string;
  readonly expiresInMs?: number;
  readonly ssoOrgs?: readonly string[];
}

export interface NewWorkflowToken {
  readonly repository: string;
  readonly permission: 'read' | 'write';
  readonly expiresInMs: number;
}

export class TokenStoreError extends Error {
  override readonly name = 'TokenStoreError';
}

/** The longest note a personal access token may carry, in characters. */
export const MAX_NOTE_LENGTH = 255;

// An expired token's record stays this long, so that its owner hears it expired rather than
// that it never existed. The id key, which decides whether a token still works, does not.
const EXPIRED_RECORD_GRACE_MS = 7 * 24 * 3600 * 1000;

/** The key that says a token, by id, still works: it is gone once the token is not. */
export const TOKEN_ID_PREFIX = 'crgate:rec:token-id:';

const KEYS = {
  byHash: (hash: string) => `crgate:rec:token:${hash}`,
  byId: (id: string) => `${TOKEN_ID_PREFIX}${id}`,
  ofUser: (login: string) => `crgate:rec:user-tokens:${login}`,
  // A PAT's hash by id for as long as its record stays, so its owner still sees it listed,
  // as expired, once the id key is gone. Never read to authenticate.
  hashOf: (id: string) => `crgate:rec:token-hash:${id}`,
};

export function parseScopes(raw: string): PackageScope[] {
  const scopes = raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((scope) => {
      if (!(PACKAGE_SCOPES as readonly string[]).includes(scope)) {
        throw new TokenStoreError(`unknown scope "${scope}"; use ${PACKAGE_SCOPES.join(', ')}`);
      }
      return scope as PackageScope;
    });
  return [...new Set(scopes)];
}

export class TokenStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  async createPat(request: NewPat): Promise<{ secret: string; record: PatRecord }> {
    if ([...(request.note ?? '')].length > MAX_NOTE_LENGTH) {
      throw new TokenStoreError(`a note is at most ${MAX_NOTE_LENGTH} characters`);
    }
    const secret = mintToken('pat');
    const record: PatRecord = {
      kind: 'pat',
      id: newId(),
      user: request.user.toLowerCase(),
      scopes: [...new Set(request.scopes)],
      note: request.note ?? '',
      createdAt: new Date(this.now()).toISOString(),
      ...this.expiry(request.expiresInMs),
      ssoOrgs: (request.ssoOrgs ?? []).map((org) => org.toLowerCase()),
    };
    await this.save(secret, record, request.expiresInMs);
    await this.keepHashOf(record.id, hashToken(secret), request.expiresInMs);
    await this.redis.sadd(KEYS.ofUser(record.user), record.id);
    return { secret, record };
  }

  async createWorkflowToken(
    request: NewWorkflowToken,
  ): Promise<{ secret: string; record: WorkflowRecord }> {
    const secret = mintToken('workflow');
    const record: WorkflowRecord = {
      kind: 'workflow',
      id: newId(),
      repository: request.repository.toLowerCase(),
      permission: request.permission,
      createdAt: new Date(this.now()).toISOString(),
      expiresAt: new Date(this.now() + request.expiresInMs).toISOString(),
    };
    await this.save(secret, record, request.expiresInMs);
    return { secret, record };
  }

  /** The record of a secret, or undefined when it is malformed, unknown, revoked or expired. */
  async lookup(secret: string): Promise<TokenRecord | undefined> {
    const record = await this.find(secret);
    return record && !this.expired(record) ? record : undefined;
  }

  /** Like lookup, but also finds a token that expired in the last week. */
  async find(secret: string): Promise<TokenRecord | undefined> {
    if (!tokenKind(secret)) return undefined;
    const json = await this.redis.get(KEYS.byHash(hashToken(secret)));
    return json ? (JSON.parse(json) as TokenRecord) : undefined;
  }

  expired(record: TokenRecord): boolean {
    return record.expiresAt !== undefined && Date.parse(record.expiresAt) <= this.now();
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const hash = await this.redis.get(KEYS.byId(id));
    return hash ? this.live(await this.redis.get(KEYS.byHash(hash))) : undefined;
  }

  /** Whether a token still stands: not revoked and not expired. One Redis round trip. */
  async isLive(id: string): Promise<boolean> {
    return (await this.redis.exists(KEYS.byId(id))) === 1;
  }

  /**
   * A user's personal access tokens, oldest first. With `includeExpired`, also those that
   * expired within the last week, for the owner's list (the expired() ones).
   */
  async list(user: string, { includeExpired = false } = {}): Promise<PatRecord[]> {
    const login = user.toLowerCase();
    const ids = await this.redis.smembers(KEYS.ofUser(login));
    const records = await Promise.all(ids.map((id) => this.getIncludingExpired(id)));
    // Only what is gone for good leaves the set: an expired token stays listable for a week.
    const gone = ids.filter((_, i) => !records[i]);
    if (gone.length > 0) await this.redis.srem(KEYS.ofUser(login), ...gone);
    return records
      .filter((record): record is PatRecord => record?.kind === 'pat')
      .filter((record) => includeExpired || !this.expired(record))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** A token's record by id, also when it expired within the last week. */
  async getIncludingExpired(id: string): Promise<TokenRecord | undefined> {
    const hash = await this.hashIncludingExpired(id);
    const json = hash ? await this.redis.get(KEYS.byHash(hash)) : null;
    return json ? (JSON.parse(json) as TokenRecord) : undefined;
  }

  /**
   * Revokes at once; an expired token's record goes too. Resolves false when there was no
   * such token.
   */
  async revoke(id: string): Promise<boolean> {
    const hash = await this.hashIncludingExpired(id);
    if (!hash) return false;
    const json = await this.redis.get(KEYS.byHash(hash));
    const record = json ? (JSON.parse(json) as TokenRecord) : undefined;

    // The id key decides whether a token works, so deleting it first revokes at once; the
    // rest is tidying. One key a command: in a Redis Cluster they live in different slots.
    await this.redis.del(KEYS.byId(id));
    await this.redis.del(KEYS.byHash(hash));
    await this.redis.del(KEYS.hashOf(id));
    if (record?.kind === 'pat') await this.redis.srem(KEYS.ofUser(record.user), id);
    return true;
  }

  /**
   * Notes in a token's record when it last authenticated. Only an existing record is
   * rewritten (XX) and its expiry kept (KEEPTTL), so a use racing a revocation never brings
   * the revoked record back. Two replicas writing at once both write about now.
   */
  async recordUse(id: string): Promise<void> {
    const hash = await this.redis.get(KEYS.byId(id));
    const json = hash ? await this.redis.get(KEYS.byHash(hash)) : null;
    if (!hash || !json) return;
    const record = JSON.parse(json) as TokenRecord;
    if (record.kind !== 'pat') return;

    const used: PatRecord = { ...record, lastUsedAt: new Date(this.now()).toISOString() };
    await this.redis.set(KEYS.byHash(hash), JSON.stringify(used), 'KEEPTTL', 'XX');
  }

  private expiry(expiresInMs: number | undefined): { expiresAt?: string } {
    return expiresInMs ? { expiresAt: new Date(this.now() + expiresInMs).toISOString() } : {};
  }

  private async save(secret: string, record: TokenRecord, ttlMs: number | undefined) {
    // The record first, the id key last: a token works once its id key exists, and by then
    // its record is there. (Separate commands: the keys live in different Cluster slots.)
    const hash = hashToken(secret);
    if (ttlMs) {
      const recordTtl = ttlMs + EXPIRED_RECORD_GRACE_MS;
      await this.redis.set(KEYS.byHash(hash), JSON.stringify(record), 'PX', recordTtl);
      await this.redis.set(KEYS.byId(record.id), hash, 'PX', ttlMs);
    } else {
      await this.redis.set(KEYS.byHash(hash), JSON.stringify(record));
      await this.redis.set(KEYS.byId(record.id), hash);
    }
  }

  /** A token's hash by id; a PAT's also for the week its record outlives its id key. */
  private async hashIncludingExpired(id: string): Promise<string | null> {
    return (await this.redis.get(KEYS.byId(id))) ?? (await this.redis.get(KEYS.hashOf(id)));
  }

  private async keepHashOf(id: string, hash: string, ttlMs: number | undefined) {
    if (ttlMs) await this.redis.set(KEYS.hashOf(id), hash, 'PX', ttlMs + EXPIRED_RECORD_GRACE_MS);
    else await this.redis.set(KEYS.hashOf(id), hash);
  }

  private live(json: string | null): TokenRecord | undefined {
    if (!json) return undefined;
    const record = JSON.parse(json) as TokenRecord;
    // Redis expires the id key itself; this guards the moment between expiry and eviction.
    return this.expired(record) ? undefined : record;
  }
}

function newId(): string {
  return randomBytes(8).toString('hex');
}
