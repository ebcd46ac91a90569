import type { PackageScope } from '../auth/token-store';

/**
 * The scopes a personal access token needs for what the REST API and the pages do with a
 * package, in one table so both ask for the same: reading needs `read:packages`, changing
 * settings and restoring `write:packages`, deleting `delete:packages` with `read:packages`
 * (GitHub's REST API asks for both). A page's session holds its sign-in token's scopes.
 */
export const SCOPES_TO = {
  read: ['read:packages'],
  change: ['write:packages'],
  restore: ['write:packages'],
  delete: ['read:packages', 'delete:packages'],
} as const satisfies Readonly<Record<string, readonly PackageScope[]>>;

export type PackageDoing = keyof typeof SCOPES_TO;

function hasScope(scopes: readonly PackageScope[], scope: PackageScope): boolean {
  // write:packages implies read:packages, as on GitHub.
  return scopes.includes(scope) || (scope === 'read:packages' && scopes.includes('write:packages'));
}

/** The scopes of `needed` that `held` lacks, in the order `needed` names them. */
export function missingScopes(
  held: readonly PackageScope[],
  needed: readonly PackageScope[],
): PackageScope[] {
  return needed.filter((scope) => !hasScope(held, scope));
}
