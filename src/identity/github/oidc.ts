import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';

import { CredentialsError } from '../../auth/credentials';
import type { Principal } from '../../auth/principal';
import { DirectoryUnavailableError } from '../directory';
import { githubTokenId } from './tokens';

/**
 * A workflow without secrets: GitHub Actions gives each job an OIDC token (`id-token: write`)
 * signed by its issuer, `https://token.actions.githubusercontent.com` or a GitHub Enterprise
 * Server's own. A workflow sends it as the password of `docker login`; its `repository`
 * claim names the workflow's repository. Verified with the issuer's keys, found through its
 * discovery document (OpenID Connect Discovery 1.0, section 4) and cached by jose.
 */
export interface ActionsOidcOptions {
  readonly issuer: string;
  /** The `aud` the workflow asked for: crgate's registry host unless configured. */
  readonly audience: string;
  readonly timeoutMs: number;
}

const REPOSITORY = /^[\w.-]+\/[\w.-]+$/;

export class ActionsOidc {
  private keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(private readonly options: ActionsOidcOptions) {}

  async principal(token: string): Promise<Principal> {
    const { issuer, audience } = this.options;
    let repository: unknown;
    try {
      const { payload } = await jwtVerify(token, await this.keySet(), {
        issuer,
        audience,
        algorithms: ['RS256'],
      });
      repository = payload.repository;
    } catch (error) {
      throw refusal(error, audience);
    }
    if (typeof repository !== 'string' || !REPOSITORY.test(repository)) {
      throw new CredentialsError('this OIDC token has no repository claim');
    }
    return {
      kind: 'workflow',
      repository: repository.toLowerCase(),
      tokenId: githubTokenId('oidc', token),
      permission: 'write',
    };
  }

  /** The issuer's key set, from its discovery document; asked again after a failure. */
  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.discover().catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let jwksUri: unknown;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      jwksUri = ((await response.json()) as { jwks_uri?: unknown }).jwks_uri;
    } catch (error) {
      throw new DirectoryUnavailableError(`OIDC discovery failed: ${(error as Error).message}`);
    }
    if (typeof jwksUri !== 'string') {
      throw new DirectoryUnavailableError('OIDC discovery document names no jwks_uri');
    }
    const remote = createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: this.options.timeoutMs,
    });
    return async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        // A key the set does not hold is the token's fault; a set that cannot be read is not.
        if (TOKEN_KEY_ERRORS.some((kind) => error instanceof kind)) throw error;
        throw new DirectoryUnavailableError('the OIDC issuer’s keys could not be read');
      }
    };
  }
}

const TOKEN_KEY_ERRORS = [
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSENotSupported,
];

function refusal(error: unknown, audience: string): Error {
  if (error instanceof DirectoryUnavailableError) return error;
  if (!(error instanceof errors.JOSEError)) {
    return new DirectoryUnavailableError('the OIDC token could not be checked');
  }
  if (error instanceof errors.JWTExpired) {
    return new CredentialsError('this OIDC token expired; request a new one');
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
    return new CredentialsError(
      `this OIDC token is not for ${audience}; request it with that audience`,
    );
  }
  return new CredentialsError('this OIDC token is not valid here');
}
