import type { PackageScope } from './token-store';

/**
 * Who is asking (DESIGN.md, "Domain terms"): a user through a personal access token, the
 * workflow of one repository through its GITHUB_TOKEN, or nobody in particular.
 */
export type Principal =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly login: string;
      readonly tokenId: string;
      readonly scopes: readonly PackageScope[];
      readonly ssoOrgs: readonly string[];
      /** Asks GitHub whether an organization refuses this token until it is SSO-authorized. */
      readonly sso?: SsoProbe;
    }
  | {
      readonly kind: 'workflow';
      /** `owner/name` of the workflow's repository. */
      readonly repository: string;
      readonly tokenId: string;
      readonly permission: 'read' | 'write';
    };

/** What GitHub says of one token in one organization that enforces SAML single sign-on. */
export interface SsoProbe {
  /** The URL that authorizes the token for `org`, while `org` refuses it; else undefined. */
  authorizationUrl(org: string): Promise<string | undefined>;
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });

/** The id logs and metrics may carry: never a secret, never more than needed to find it. */
export function principalId(principal: Principal): string {
  if (principal.kind === 'user') return `user:${principal.login}`;
  if (principal.kind === 'workflow') return `workflow:${principal.repository}`;
  return 'anonymous';
}
