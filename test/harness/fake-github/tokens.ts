import { randomBytes } from 'node:crypto';

import { key } from './directory';

export interface ClassicToken {
  readonly kind: 'classic';
  readonly login: string;
  scopes: readonly string[];
  /** Lower-cased names of the SAML SSO organizations the token was authorized for. */
  readonly ssoAuthorized: ReadonlySet<string>;
  /** crgate's own credential: it reads every organization, team and repository. */
  readonly service: boolean;
  revoked: boolean;
}

export interface FineGrainedToken {
  readonly kind: 'fine-grained';
  readonly login: string;
  revoked: boolean;
}

/** A workflow's GITHUB_TOKEN: an installation token for its one repository. */
export interface InstallationToken {
  readonly kind: 'installation';
  readonly repository: string;
  readonly installationId: number;
  revoked: boolean;
}

export type TokenRecord = ClassicToken | FineGrainedToken | InstallationToken;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random letters and digits; the modulo bias does not matter for a test's tokens. */
export function randomAlnum(length: number): string {
  return Array.from(randomBytes(length), (byte) => ALNUM.charAt(byte % ALNUM.length)).join('');
}

/**
 * Tokens in GitHub's formats (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/):
 * `ghp_` classic, `github_pat_` fine-grained, `ghs_` installation.
 */
export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();
  private nextInstallationId = 3_000_000;

  classic(login: string, scopes: string[], ssoAuthorized: string[], service = false): string {
    const sso = new Set(ssoAuthorized.map(key));
    const record: ClassicToken = {
      kind: 'classic',
      login,
      scopes,
      ssoAuthorized: sso,
      service,
      revoked: false,
    };
    return this.issue(`ghp_${randomAlnum(36)}`, record);
  }

  fineGrained(login: string): string {
    const token = `github_pat_${randomAlnum(22)}_${randomAlnum(59)}`;
    return this.issue(token, { kind: 'fine-grained', login, revoked: false });
  }

  installation(repository: string): string {
    const installationId = this.nextInstallationId++;
    const record = { kind: 'installation', repository, installationId, revoked: false } as const;
    return this.issue(`ghs_${randomAlnum(36)}`, record);
  }

  /** The token's record, or undefined when it is unknown or revoked. */
  find(token: string): TokenRecord | undefined {
    const record = this.tokens.get(token);
    return record?.revoked ? undefined : record;
  }

  setScopes(token: string, scopes: string[]): void {
    const record = this.tokens.get(token);
    if (record?.kind !== 'classic') throw new Error('fake GitHub: only classic tokens have scopes');
    record.scopes = [...scopes];
  }

  revoke(token: string): void {
    const record = this.tokens.get(token);
    if (!record) throw new Error('fake GitHub: revoking a token it never issued');
    record.revoked = true;
  }

  private issue(token: string, record: TokenRecord): string {
    this.tokens.set(token, record);
    return token;
  }
}
