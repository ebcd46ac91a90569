import { createHash, randomBytes, randomUUID } from 'node:crypto';

import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK, KeyLike } from 'jose';

export interface OidcTokenOptions {
  /** Default: `https://github.com/<owner>`, GitHub's default audience. */
  audience?: string;
  /** Default 300. Zero or less makes a token that has already expired. */
  expiresInSeconds?: number;
  /** Signs with a key the JWKS does not hold, under the issuer's kid, so only the signature fails. */
  signWithUnknownKey?: boolean;
}

/** What the issuer may learn from the fake's directory to fill claims in. */
export interface ClaimSource {
  repo(fullName: string): { id: number; visibility: string } | undefined;
  accountId(login: string): number | undefined;
}

interface SigningKey {
  readonly privateKey: KeyLike;
  readonly publicJwk: JWK;
}

const LIFETIME_SECONDS = 300;

// The claims GitHub's own discovery document lists (token.actions.githubusercontent.com).
const CLAIMS_SUPPORTED = `sub aud exp iat iss jti nbf ref sha repository repository_id
  repository_owner repository_owner_id run_id run_number run_attempt actor actor_id workflow
  workflow_ref workflow_sha head_ref base_ref event_name ref_type ref_protected environment
  job_workflow_ref job_workflow_sha repository_visibility runner_environment`.split(/\s+/);

async function newSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } };
}

/** A stable made-up id for a repository or account the directory does not hold. */
function madeUpId(name: string): number {
  return parseInt(createHash('sha256').update(name).digest('hex').slice(0, 7), 16);
}

/**
 * GitHub Actions' OIDC issuer: discovery, JWKS and tokens shaped like
 * https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 */
export class OidcIssuer {
  private constructor(
    readonly issuer: string,
    private readonly key: SigningKey,
    private readonly source: ClaimSource,
  ) {}

  static async create(issuer: string, source: ClaimSource): Promise<OidcIssuer> {
    return new OidcIssuer(issuer, await newSigningKey(), source);
  }

  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks`;
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: CLAIMS_SUPPORTED,
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    };
  }

  jwks(): Record<string, unknown> {
    return { keys: [this.key.publicJwk] };
  }

  async token(
    claims: { repository: string } & Record<string, unknown>,
    options: OidcTokenOptions = {},
  ): Promise<string> {
    const actor = typeof claims.actor === 'string' ? claims.actor : undefined;
    const payload = { ...this.defaultClaims(claims.repository, actor, options), ...claims };
    const signer = options.signWithUnknownKey ? await newSigningKey() : this.key;

    const header = { alg: 'RS256', typ: 'JWT', kid: this.key.publicJwk.kid };
    return new SignJWT(payload).setProtectedHeader(header).sign(signer.privateKey);
  }

  /** GitHub's claims for a push to main; ids are strings in GitHub's tokens. */
  private defaultClaims(repository: string, actor: string | undefined, options: OidcTokenOptions) {
    const [owner = ''] = repository.split('/');
    const repo = this.source.repo(repository);
    const sha = randomBytes(20).toString('hex');
    const workflowRef = `${repository}/.github/workflows/ci.yml@refs/heads/main`;
    return {
      jti: randomUUID(),
      sub: `repo:${repository}:ref:refs/heads/main`,
      aud: options.audience ?? `https://github.com/${owner}`,
      ref: 'refs/heads/main',
      ref_type: 'branch',
      ref_protected: 'false',
      sha,
      repository,
      repository_id: String(repo?.id ?? madeUpId(repository)),
      repository_owner: owner,
      repository_owner_id: this.accountId(owner),
      repository_visibility: repo?.visibility ?? 'public',
      actor: actor ?? owner,
      actor_id: this.accountId(actor ?? owner),
      run_id: String(Date.now()),
      run_number: '1',
      run_attempt: '1',
      workflow: 'CI',
      workflow_ref: workflowRef,
      workflow_sha: sha,
      job_workflow_ref: workflowRef,
      job_workflow_sha: sha,
      event_name: 'push',
      head_ref: '',
      base_ref: '',
      runner_environment: 'github-hosted',
      iss: this.issuer,
      ...validity(options.expiresInSeconds ?? LIFETIME_SECONDS),
    };
  }

  private accountId(login: string): string {
    return String(this.source.accountId(login) ?? madeUpId(login));
  }
}

/** iat, nbf and exp; an already expired token was issued a lifetime before it expired. */
function validity(expiresInSeconds: number): { iat: number; nbf: number; exp: number } {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + expiresInSeconds;
  const iat = expiresInSeconds > 0 ? now : exp - LIFETIME_SECONDS;
  return { iat, nbf: iat, exp };
}
