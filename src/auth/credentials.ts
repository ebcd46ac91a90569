import type { Directory } from '../identity/directory';
import { RegistryError } from '../registry/errors';
import type { KeyTracker } from '../state/key-tracking';
import type { Principal } from './principal';
import { hashToken, tokenKind } from './token-format';
import type { FailureLimiter } from './rate-limit';
import { TokenChanges } from './token-changes';
import type { TokenRecord, TokenStore } from './token-store';
import type { TokenUseRecorder } from './token-use';

/**
 * Turns a secret sent as a password (Basic credentials, or the OAuth2 password grant) into a
 * principal. The username sent with it is ignored, as ghcr.io ignores it: the token alone
 * says who is asking.
 */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

export function parseBasic(header: string): BasicCredentials | undefined {
  if (!/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function principalOf(record: TokenRecord): Principal {
  if (record.kind === 'workflow') {
    const { repository, id, permission } = record;
    return { kind: 'workflow', repository, tokenId: id, permission };
  }
  const { user, id, scopes, ssoOrgs } = record;
  return { kind: 'user', login: user, tokenId: id, scopes, ssoOrgs };
}

/**
 * Where the secrets clients send as passwords are checked: crgate's own token store, or
 * GitHub. A verifier also answers for the tokens it let in, by id: whether one still lives
 * (bearer tokens and web sessions carry the id) and whom it stands for (refresh tokens).
 */
export interface SecretVerifier {
  /** The principal of a secret; CredentialsError, in words the user can act on, if none. */
  principal(secret: string): Promise<Principal>;
  /** The principal of a live token by id; undefined once it is revoked or expired. */
  principalById(tokenId: string): Promise<Principal | undefined>;
  isLive(tokenId: string): Promise<boolean>;
  /**
   * Whether a token's id alone tells that it was revoked (isLive). Then a refresh token or a
   * web session may stand in for the token; otherwise only the token itself can be asked
   * about, and a refresh token would outlive every answer crgate holds.
   */
  readonly tracksRevocation: boolean;
  /** The principal a refresh token stands for, its use noted like a password's. */
  refreshed(tokenId: string): Promise<Principal | undefined>;
}

// Past this many secrets the kept records start afresh: at worst one more read per secret.
const KEPT_RECORDS = 10_000;

/**
 * The tokens crgate itself issues and keeps (TokenStore), for the file directory.
 *
 * While Redis tells of every change to token ids (KeyTracker), a secret's record is kept in
 * memory after its first read, so a client signing in request after request costs Redis
 * nothing: a revoke or an expiry deletes the id key, and Redis tells this replica before it
 * acknowledges the deletion. Without that word every secret is read from Redis each time.
 */
export class StoredTokens implements SecretVerifier {
  readonly tracksRevocation = true;
  // Records by the hash of their secret, and those hashes by token id, for the keys Redis names.
  private readonly kept = new Map<string, TokenRecord>();
  private readonly keptHashes = new Map<string, string>();
  private readonly changes: TokenChanges;

  constructor(
    private readonly store: TokenStore,
    private readonly directory: Directory,
    private readonly uses: TokenUseRecorder,
    tracker?: KeyTracker,
  ) {
    this.changes = new TokenChanges(tracker, (ids) => this.forget(ids));
  }

  async principal(secret: string): Promise<Principal> {
    if (!tokenKind(secret)) {
      throw new CredentialsError(
        'the password must be a personal access token (classic, ghp_...) or a workflow token (ghs_...)',
      );
    }
    const record = await this.find(secret);
    if (!record) throw new CredentialsError('this token is unknown or revoked; create a new one');
    if (this.store.expired(record)) {
      throw new CredentialsError(`this token expired on ${record.expiresAt}; create a new one`);
    }
    if (record.kind === 'pat' && !(await this.directory.userExists(record.user))) {
      throw new CredentialsError(`the user ${record.user} of this token no longer exists`);
    }
    // Noted for its owner's "last used", without waiting for it.
    if (record.kind === 'pat') this.uses.record(record.id);
    return principalOf(record);
  }

  /** A secret's record, as kept or from Redis; kept only once its id key is seen to stand. */
  private async find(secret: string): Promise<TokenRecord | undefined> {
    const hash = hashToken(secret);
    const kept = this.changes.trusted ? this.kept.get(hash) : undefined;
    if (kept) return kept;

    const mark = this.changes.mark();
    const record = await this.store.find(secret);
    // A revoke deletes the id key first: one begun before this check shows in it, and one
    // begun after sends word that drops the record again.
    if (record && this.changes.trusted && (await this.store.isLive(record.id))) {
      if (this.changes.unchangedSince(mark)) this.keep(hash, record);
    }
    return record;
  }

  private keep(hash: string, record: TokenRecord): void {
    if (this.kept.size >= KEPT_RECORDS) this.forget(null);
    this.kept.set(hash, record);
    this.keptHashes.set(record.id, hash);
  }

  /** Drops what Redis says changed: tokens revoked or expired, or everything. */
  private forget(tokenIds: readonly string[] | null): void {
    if (tokenIds === null) {
      this.kept.clear();
      this.keptHashes.clear();
      return;
    }
    for (const id of tokenIds) {
      const hash = this.keptHashes.get(id);
      if (hash !== undefined) this.kept.delete(hash);
      this.keptHashes.delete(id);
    }
  }

  async principalById(tokenId: string): Promise<Principal | undefined> {
    const record = await this.store.get(tokenId);
    return record && principalOf(record);
  }

  async refreshed(tokenId: string): Promise<Principal | undefined> {
    const principal = await this.principalById(tokenId);
    // docker sends its refresh token, not the PAT, after `docker login`: a use all the same.
    if (principal?.kind === 'user') this.uses.record(principal.tokenId);
    return principal;
  }

  isLive(tokenId: string): Promise<boolean> {
    return this.store.isLive(tokenId);
  }
}

/** Too many failed authentications from this address or for this username. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';

  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed sign-ins; try again in ${retryAfterSeconds} s`);
  }
}

/** The 429 a rate-limited client gets on the registry origin. */
export function tooManyRequests(error: RateLimitedError): RegistryError {
  return new RegistryError('TOOMANYREQUESTS', error.message, undefined, {
    'Retry-After': String(error.retryAfterSeconds),
  });
}

/** Checks passwords (tokens) under the failure rate limit. */
export class PasswordChecker {
  constructor(
    readonly verifier: SecretVerifier,
    private readonly limiter: FailureLimiter,
  ) {}

  async check(secret: string, username: string, address: string): Promise<Principal> {
    const wait = await this.limiter.blocked(address);
    if (wait !== undefined) throw new RateLimitedError(wait);
    try {
      return await this.verifier.principal(secret);
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      const userWait = await this.limiter.recordFailure(address, username);
      throw userWait === undefined ? error : new RateLimitedError(userWait);
    }
  }
}
