import { createHash } from 'node:crypto';

import { CredentialsError } from '../../auth/credentials';
import type { SecretVerifier } from '../../auth/credentials';
import type { Principal, SsoProbe } from '../../auth/principal';
import { PACKAGE_SCOPES } from '../../auth/token-store';
import type { PackageScope } from '../../auth/token-store';
import type { GitHubAnswer, GitHubApi } from './api';
import type { ActionsOidc } from './oidc';

/**
 * GitHub's own tokens, checked with GitHub (GitHubApi caches each answer):
 * - a personal access token (classic) by `GET /user` with the token itself: its login, and
 *   its scopes from `X-OAuth-Scopes`; fine-grained tokens are refused, as GitHub Packages
 *   refuses them;
 * - a workflow's GITHUB_TOKEN, an installation token for one repository, by
 *   `GET /installation/repositories` with the token itself;
 * - a GitHub Actions OIDC token, by its issuer's keys (ActionsOidc).
 * crgate keeps none of them: it hears of a revoke when the token is next presented and its
 * cached answer has expired, so it issues no refresh tokens for them.
 */

// GitHub's token prefixes ("Behind GitHub's new authentication token formats").
const FINE_GRAINED = /^github_pat_/;
const INSTALLATION = /^ghs_/;
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

const FINE_GRAINED_REFUSAL =
  'GitHub Packages only supports authentication using a personal access token (classic); ' +
  'this is a fine-grained token. Create a classic token with the read:packages scope';

/** A token's id in crgate: the start of its SHA-256, so logs and bearer tokens never hold it. */
export function githubTokenId(prefix: string, secret: string): string {
  return `${prefix}-${createHash('sha256').update(secret).digest('hex').slice(0, 32)}`;
}

function packageScopes(header: string): PackageScope[] {
  const known: readonly string[] = PACKAGE_SCOPES;
  const scopes = header.split(/[\s,]+/).filter((scope) => known.includes(scope));
  return scopes as PackageScope[];
}

function refused(answer: GitHubAnswer, what: string): CredentialsError {
  if (answer.status === 401) {
    return new CredentialsError(
      `GitHub does not accept this ${what}: it is unknown, revoked or expired`,
    );
  }
  const message = (answer.body as { message?: unknown } | null)?.message;
  return new CredentialsError(
    `GitHub refused this ${what}${typeof message === 'string' ? `: ${message}` : ''}`,
  );
}

/** `X-GitHub-SSO: required; url=...`: where the token's owner authorizes it. */
function authorizationUrl(sso: string | undefined): string | undefined {
  return /url=(\S+)/.exec(sso ?? '')?.[1];
}

/**
 * GitHub tells whether an organization refuses a token for SAML SSO only to that token: a
 * 403 with `X-GitHub-SSO: required; url=...` to a request about the organization
 * ("Authenticating to the REST API", SAML SSO). Asked once per token and organization.
 */
class TokenSsoProbe implements SsoProbe {
  // Private fields: a principal printed or serialized (a log's metadata) never shows them.
  readonly #api: GitHubApi;
  readonly #secret: string;

  constructor(api: GitHubApi, secret: string) {
    this.#api = api;
    this.#secret = secret;
  }

  async authorizationUrl(org: string): Promise<string | undefined> {
    const credential = { kind: 'token', secret: this.#secret } as const;
    const answer = await this.#api.get(`/orgs/${encodeURIComponent(org)}`, credential, 'org');
    // GitHub may hide the organization (404) rather than refuse (403); the header says which.
    return answer.sso?.startsWith('required') ? authorizationUrl(answer.sso) : undefined;
  }
}

export class GitHubTokens implements SecretVerifier {
  readonly tracksRevocation = false;

  constructor(
    private readonly api: GitHubApi,
    private readonly oidc: ActionsOidc | undefined,
  ) {}

  async principal(secret: string): Promise<Principal> {
    if (FINE_GRAINED.test(secret)) throw new CredentialsError(FINE_GRAINED_REFUSAL);
    if (JWT.test(secret)) {
      if (!this.oidc) throw new CredentialsError('this crgate does not accept OIDC tokens');
      return this.oidc.principal(secret);
    }
    return INSTALLATION.test(secret) ? this.workflow(secret) : this.user(secret);
  }

  /** crgate keeps no record of GitHub's tokens to read back by id. */
  async principalById(): Promise<Principal | undefined> {
    return undefined;
  }

  async refreshed(): Promise<Principal | undefined> {
    return undefined;
  }

  /**
   * A bearer token from a GitHub token lives its few minutes, and a web session its hours:
   * GitHub tells of a revoke only when asked with the token, which crgate does not keep.
   */
  async isLive(): Promise<boolean> {
    return true;
  }

  private async user(secret: string): Promise<Principal> {
    const credential = { kind: 'token', secret } as const;
    const answer = await this.api.get('/user', credential, 'user-self');
    if (answer.status !== 200) throw refused(answer, 'token');
    // Only a classic token (or an OAuth app's) has scopes; a fine-grained one has no header.
    if (answer.scopes === undefined) throw new CredentialsError(FINE_GRAINED_REFUSAL);
    const { login, type } = answer.body as { login: string; type: string };
    if (type !== 'User') throw new CredentialsError('this token is not a user’s');

    return {
      kind: 'user',
      login: login.toLowerCase(),
      tokenId: githubTokenId('gh', secret),
      scopes: packageScopes(answer.scopes),
      ssoOrgs: [],
      sso: new TokenSsoProbe(this.api, secret),
    };
  }

  private async workflow(secret: string): Promise<Principal> {
    const credential = { kind: 'token', secret } as const;
    const answer = await this.api.get('/installation/repositories', credential, 'installation');
    if (answer.status !== 200) throw refused(answer, 'workflow token');
    const { repositories } = answer.body as { repositories: { full_name: string }[] };
    const [repository] = repositories;
    if (repositories.length !== 1 || !repository) {
      throw new CredentialsError(
        `a workflow's GITHUB_TOKEN is for one repository; this token is for ${repositories.length}`,
      );
    }
    return {
      kind: 'workflow',
      repository: repository.full_name.toLowerCase(),
      tokenId: githubTokenId('ghs', secret),
      // GitHub shows no token its own `packages:` permission; the package's rules still apply.
      permission: 'write',
    };
  }
}
