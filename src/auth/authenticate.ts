import type { KeyTracker } from '../state/key-tracking';
import { CredentialsError, parseBasic } from './credentials';
import type { PasswordChecker, SecretVerifier } from './credentials';
import type { TokenSigner, VerifiedToken } from './jwt';
import { TokenError } from './jwt';
import { ANONYMOUS } from './principal';
import type { Principal } from './principal';
import type { AccessEntry } from './scope';
import { TokenChanges } from './token-changes';

/**
 * The authenticate step of the registry origin: no credentials (anonymous), a bearer JWT of
 * ours, or Basic credentials straight to `/v2/` (some clients never ask for a token).
 */
export interface Authentication {
  readonly principal: Principal;
  /** What a bearer token grants; absent for Basic and anonymous, which are decided live. */
  readonly access?: readonly AccessEntry[];
  /** Why a bearer token's grant is less than was asked, by repository, to tell the user. */
  readonly refusals?: Readonly<Record<string, string>>;
  /**
   * For a bearer token, the principal of the token it came from, scopes included: read from
   * Redis only when a request falls outside the grant, to tell why.
   */
  readonly issuer?: () => Promise<Principal | undefined>;
}

/** The claim in which the token endpoint records why it granted less than was asked. */
export const REFUSALS_CLAIM = 'refusals';

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter(([, v]) => typeof v === 'string');
  return Object.fromEntries(entries) as Record<string, string>;
}

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';

  constructor(
    message: string,
    /** Whether what was sent was a bearer token, for the challenge's `error`. */
    readonly bearer: boolean,
  ) {
    super(message);
  }
}

// A revoked token stops within this long; meanwhile each replica asks Redis once per token.
// While Redis tells of every change to tokens (KeyTracker), an answer stands until it does.
const LIVENESS_CACHE_MS = 1_000;
const LIVENESS_CACHE_ENTRIES = 10_000;
// A bearer token is checked once and remembered until it expires: docker sends the same token
// with every request of a pull or push, and an ES256 check costs more than the rest of them.
const VERIFIED_CACHE_ENTRIES = 10_000;

export class Authenticator {
  private readonly liveness = new Map<string, { live: boolean; until: number }>();
  private readonly verified = new Map<string, VerifiedToken>();
  private readonly changes: TokenChanges;

  constructor(
    private readonly signer: TokenSigner,
    private readonly verifier: SecretVerifier,
    private readonly passwords: PasswordChecker,
    tracker?: KeyTracker,
    private readonly now: () => number = Date.now,
  ) {
    this.changes = new TokenChanges(tracker, (ids) => this.forget(ids));
  }

  /** Who sent this Authorization header; `address` is the client's, for the rate limit. */
  async authenticate(header: string | undefined, address: string): Promise<Authentication> {
    if (!header) return { principal: ANONYMOUS };
    if (/^bearer /i.test(header)) return this.bearer(header.slice(7).trim());

    const basic = parseBasic(header);
    if (!basic) throw new AuthenticationError('unsupported Authorization header', false);
    try {
      const principal = await this.passwords.check(basic.password, basic.username, address);
      return { principal };
    } catch (error) {
      if (error instanceof CredentialsError) throw new AuthenticationError(error.message, false);
      throw error;
    }
  }

  private async bearer(token: string): Promise<Authentication> {
    const { subject, access, claims } = await this.verify(token);
    if (claims.use === 'refresh') {
      throw new AuthenticationError('a refresh token is not a bearer token', true);
    }

    const tokenId = typeof claims.tid === 'string' ? claims.tid : undefined;
    if (tokenId && !(await this.isLive(tokenId))) {
      const message = 'the token this bearer token came from was revoked or expired';
      throw new AuthenticationError(message, true);
    }
    return {
      principal: bearerPrincipal(subject, claims, tokenId),
      access,
      refusals: stringRecord(claims[REFUSALS_CLAIM]),
      issuer: async () => (tokenId ? this.verifier.principalById(tokenId) : undefined),
    };
  }

  private async verify(token: string): Promise<VerifiedToken> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt.getTime() > this.now()) return cached;
    try {
      const verified = await this.signer.verify(token);
      this.remember(token, verified);
      return verified;
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      const expired = error.code === 'TOKEN_EXPIRED';
      throw new AuthenticationError(
        expired ? 'the bearer token expired' : 'invalid bearer token',
        true,
      );
    }
  }

  private remember(token: string, verified: VerifiedToken): void {
    // Oldest first: a Map iterates in insertion order.
    if (this.verified.size >= VERIFIED_CACHE_ENTRIES) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, verified);
  }

  private async isLive(tokenId: string): Promise<boolean> {
    const now = this.now();
    const cached = this.liveness.get(tokenId);
    if (cached && (cached.until > now || this.changes.trusted)) return cached.live;

    const mark = this.changes.mark();
    const live = await this.verifier.isLive(tokenId);
    if (this.liveness.size >= LIVENESS_CACHE_ENTRIES) this.liveness.clear();
    if (this.changes.unchangedSince(mark)) {
      this.liveness.set(tokenId, { live, until: now + LIVENESS_CACHE_MS });
    }
    return live;
  }

  /** Drops what Redis says changed: tokens revoked or expired, or everything. */
  private forget(tokenIds: readonly string[] | null): void {
    if (tokenIds === null) return this.liveness.clear();
    for (const id of tokenIds) this.liveness.delete(id);
  }
}

function bearerPrincipal(
  subject: string,
  claims: Readonly<Record<string, unknown>>,
  tokenId: string | undefined,
): Principal {
  if (!tokenId) return ANONYMOUS;
  if (claims.kind === 'workflow') {
    const permission = claims.permission === 'write' ? 'write' : 'read';
    return { kind: 'workflow', repository: subject, tokenId, permission };
  }
  // A bearer token's grant is its access claim; the scopes were applied when it was issued.
  return { kind: 'user', login: subject, tokenId, scopes: [], ssoOrgs: [] };
}
