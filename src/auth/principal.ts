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
      /**
       * Organizations enforcing SAML SSO that GitHub says this token is not authorized for,
       * each with the URL that authorizes it (the GitHub directory only).
       */
      readonly ssoRequired?: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: 'workflow';
      /** `owner/name` of the workflow's repository. */
      readonly repository: string;
      readonly tokenId: string;
      readonly permission: 'read' | 'write';
    };

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });

/** The id logs and metrics may carry: never a secret, never more than needed to find it. */
export function principalId(principal: Principal): string {
  if (principal.kind === 'user') return `user:${principal.login}`;
  if (principal.kind === 'workflow') return `workflow:${principal.repository}`;
  return 'anonymous';
}
