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

export async function principalFromSecret(
  store: TokenStore,
  directory: Directory,
  secret: string,
): Promise<Principal> {
  if (!tokenKind(secret)) {
    throw new CredentialsError(
      'the password must be a personal access token (classic, ghp_...) or a workflow token (ghs_...)',
    );
  }
  const record = await store.find(secret);
  if (!record) throw new CredentialsError('this token is unknown or revoked; create a new one');
  if (store.expired(record)) {
    throw new CredentialsError(`this token expired on ${record.expiresAt}; create a new one`);
  }
  if (record.kind === 'pat' && !(await directory.userExists(record.user))) {
    throw new CredentialsError(`the user ${record.user} of this token no longer exists`);
  }
  return principalOf(record);
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

/**
 * Checks passwords (tokens) under the failure rate limit, and notes each personal access
 * token's use (without waiting for it) for its owner's "last used".
 */
export class PasswordChecker {
  constructor(
    private readonly store: TokenStore,
    private readonly directory: Directory,
    private readonly limiter: FailureLimiter,
    readonly uses: TokenUseRecorder,
  ) {}

  async check(secret: string, username: string, address: string): Promise<Principal> {
    const wait = await this.limiter.blocked(address);
    if (wait !== undefined) throw new RateLimitedError(wait);
    try {
      const principal = await principalFromSecret(this.store, this.directory, secret);
      if (principal.kind === 'user') this.uses.record(principal.tokenId);
      return principal;
    } catch (error) {
      if (!(error instanceof CredentialsError)) throw error;
      const userWait = await this.limiter.recordFailure(address, username);
      throw userWait === undefined ? error : new RateLimitedError(userWait);
    }
  }
}
