import type { Directory } from '../identity/directory';
import { RegistryError } from '../registry/errors';
import type { Principal } from './principal';
import { tokenKind } from './token-format';
import type { FailureLimiter } from './rate-limit';
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

/** The tokens crgate itself issues and keeps (TokenStore), for the file directory. */
export class StoredTokens implements SecretVerifier {
  readonly tracksRevocation = true;

  constructor(
    private readonly store: TokenStore,
    private readonly directory: Directory,
    private readonly uses: TokenUseRecorder,
  ) {}

  async principal(secret: string): Promise<Principal> {
    if (!tokenKind(secret)) {
      throw new CredentialsError(
        'the password must be a personal access token (classic, ghp_...) or a workflow token (ghs_...)',
      );
    }
    const record = await this.store.find(secret);
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
