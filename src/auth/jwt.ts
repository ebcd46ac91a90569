import { randomUUID, sign as signData, type KeyObject } from 'node:crypto';

import { errors, jwtVerify, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';

import type { AccessEntry } from './scope';
import { SIGNING_ALGORITHM, type SigningKeys } from './signing-keys';

/**
 * Registry bearer tokens: the JWTs the token endpoint hands out and the registry origin
 * accepts, in the shape of distribution's token auth (docs/content/spec/auth/jwt.md): `sub`
 * is the principal, `aud` the service, `access` the grant.
 */
export type TokenErrorCode = 'TOKEN_INVALID' | 'TOKEN_EXPIRED';

export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    /** Why the token was refused; safe to log, it never holds the token. */
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenSignerOptions {
  readonly keys: SigningKeys;
  /** The `iss` claim, such as `crgate`. */
  readonly issuer: string;
  /** The `aud` claim: the service name from the challenge, such as `containers.example.com`. */
  readonly audience: string;
  /** Clock skew allowed on `exp` and `nbf` between replicas; 5 seconds unless given. */
  readonly clockToleranceSeconds?: number;
  /** The clock; tests inject one so expiry needs no sleeping. */
  readonly now?: () => Date;
}

export interface TokenClaims {
  readonly subject: string;
  readonly access: readonly AccessEntry[];
  readonly ttlSeconds: number;
  /** More claims; the registered ones and `access` always win over these. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface SignedToken {
  readonly token: string;
  /** The `iat` claim, whole seconds, as the token response's `issued_at`. */
  readonly issuedAt: Date;
  /** Seconds until `exp`, as the token response's `expires_in`. */
  readonly expiresIn: number;
  readonly jti: string;
}

export interface VerifiedToken {
  readonly subject: string;
  readonly access: readonly AccessEntry[];
  readonly jti: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** The key that signed it: lets a rotation be watched in the logs. */
  readonly kid: string;
  readonly claims: Readonly<JWTPayload>;
}

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

// Without `exp` a token would never expire, and without `jti` or `sub` it could not be
// traced; every token crgate mints carries all of them, so a token lacking one is not ours.
const REQUIRED_CLAIMS = ['sub', 'exp', 'iat', 'nbf', 'jti'];

export class TokenSigner {
  // Keys are parsed once, at construction: verifying a token looks one up by kid and runs
  // the signature check, nothing more.
  private readonly verificationKeys: ReadonlyMap<string, KeyObject>;
  private readonly publicJwks: readonly Readonly<JWK>[];
  private readonly now: () => Date;
  // The active key's JWS protected header never changes, so it is encoded once.
  private readonly encodedHeader: string;

  constructor(private readonly options: TokenSignerOptions) {
    const keys = [options.keys.active, ...options.keys.previous];

    this.verificationKeys = new Map(keys.map((key) => [key.kid, key.publicKey]));
    this.publicJwks = keys.map((key) => key.jwk);
    this.now = options.now ?? (() => new Date());
    this.encodedHeader = base64url({
      alg: SIGNING_ALGORITHM,
      kid: options.keys.active.kid,
      typ: 'JWT',
    });
  }

  async sign(claims: TokenClaims): Promise<SignedToken> {
    if (!Number.isInteger(claims.ttlSeconds) || claims.ttlSeconds <= 0) {
      throw new RangeError('ttlSeconds must be a positive whole number');
    }

    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const jti = randomUUID();
    // The order jose's SignJWT wrote: extra claims, access, then the registered claims, each
    // replacing an extra claim of its name where that one stood. Object.assign, not spread
    // syntax: V8 builds a spread followed by more properties several times slower.
    const payload = Object.assign({}, claims.extra, {
      access: claims.access,
      iss: this.options.issuer,
      sub: claims.subject,
      aud: this.options.audience,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + claims.ttlSeconds,
      jti,
    });
    const signingInput = `${this.encodedHeader}.${base64url(payload)}`;
    const token = `${signingInput}.${await this.signature(signingInput)}`;

    return { token, issuedAt: new Date(issuedAt * 1000), expiresIn: claims.ttlSeconds, jti };
  }

  /**
   * The ES256 signature of a JWS signing input (RFC 7515 section 5.1, RFC 7518 section 3.4),
   * by node:crypto with the key object loaded once: jose's SignJWT signs the same way but
   * checks and encodes the header and every claim again on each call. The callback form runs
   * the ECDSA work on libuv's thread pool, off the event loop that serves every request.
   */
  private signature(signingInput: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const key = { key: this.options.keys.active.privateKey, dsaEncoding: 'ieee-p1363' } as const;
      signData('sha256', Buffer.from(signingInput), key, (error, signature) => {
        if (error) reject(error);
        else resolve(signature.toString('base64url'));
      });
    });
  }

  /** Verifies signature and claims; throws TokenError with TOKEN_EXPIRED or TOKEN_INVALID. */
  async verify(token: string): Promise<VerifiedToken> {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, (h) => this.keyFor(h), {
        // Pinning the algorithm refuses `alg: none` and HS256 made with the public key as the
        // secret (RFC 8725 section 3.1); jose checks this before a key is looked up.
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
        currentDate: this.now(),
        requiredClaims: REQUIRED_CLAIMS,
      });

      return verifiedToken(payload, protectedHeader.kid ?? '');
    } catch (error) {
      throw tokenError(error);
    }
  }

  /** The public keys, active and previous, as a JWK Set (RFC 7517 section 5). */
  jwks(): { keys: JWK[] } {
    return { keys: this.publicJwks.map((jwk) => ({ ...jwk })) };
  }

  private keyFor(header: JWTHeaderParameters): KeyObject {
    const key = header.kid === undefined ? undefined : this.verificationKeys.get(header.kid);
    if (!key) throw new TokenError('TOKEN_INVALID', 'no signing key has this kid');

    return key;
  }
}

/** A JSON object as a JWS segment: its UTF-8 in base64url without padding (RFC 7515 section 2). */
function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function verifiedToken(payload: JWTPayload, kid: string): VerifiedToken {
  const { sub, jti, iat, exp, access } = payload;
  if (!isAccess(access) || typeof sub !== 'string' || typeof jti !== 'string') {
    throw new TokenError('TOKEN_INVALID', 'the claims are not those of a registry token');
  }

  return {
    subject: sub,
    access,
    jti,
    issuedAt: new Date((iat ?? 0) * 1000),
    expiresAt: new Date((exp ?? 0) * 1000),
    kid,
    claims: payload,
  };
}

function isAccess(value: unknown): value is AccessEntry[] {
  return Array.isArray(value) && value.every(isAccessEntry);
}

function isAccessEntry(value: unknown): value is AccessEntry {
  if (typeof value !== 'object' || value === null) return false;

  const entry = value as Record<string, unknown>;
  return (
    typeof entry.type === 'string' &&
    typeof entry.name === 'string' &&
    (entry.class === undefined || typeof entry.class === 'string') &&
    Array.isArray(entry.actions) &&
    entry.actions.every((action) => typeof action === 'string')
  );
}

function tokenError(error: unknown): Error {
  if (error instanceof TokenError) return error;
  if (error instanceof errors.JWTExpired) return new TokenError('TOKEN_EXPIRED', error.message);
  if (error instanceof errors.JOSEError) return new TokenError('TOKEN_INVALID', error.message);

  return error instanceof Error ? error : new Error(String(error));
}
