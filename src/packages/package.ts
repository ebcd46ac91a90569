import type { Visibility } from '../identity/directory';

/**
 * A package (DESIGN.md, "Domain terms"): a container image repository inside a namespace,
 * what access rules attach to. Its registry repository is `namespace/name`, and `name` may
 * itself hold slashes (`octocat/app/release` is package `app/release` of `octocat`).
 */
export type PackageRole = 'read' | 'write' | 'admin';

export const PACKAGE_ROLES: readonly PackageRole[] = ['read', 'write', 'admin'];

export interface PackageRecord {
  /** A number of crgate's own, unique among packages and versions, as GitHub's REST API gives. */
  readonly id: number;
  readonly namespace: string;
  readonly name: string;
  readonly visibility: Visibility;
  readonly createdAt: string;
  /** The principal id that published the first version: `user:octocat`, `workflow:o/r`. */
  readonly createdBy: string;
  readonly updatedAt: string;
  /** Changes with every setting that can change a decision; cached decisions key on it. */
  readonly revision: number;
  /** `owner/name` of the linked repository, when there is one. */
  readonly linkedRepository?: string;
  /** Why the last source label did not link the package. */
  readonly linkNote?: LinkNote;
  /** Whether the linked repository's collaborators hold roles on the package. */
  readonly inheritAccess: boolean;
  readonly description?: string;
  readonly descriptionTruncated: boolean;
  readonly license?: string;
  readonly licenseTruncated: boolean;
}

/**
 * Why a source label did not link: a stable code, and words for the package's admins. The
 * label may be unusable, or may name a repository the push could not link to: a later push
 * by a principal without admin on the package (`SOURCE_NEEDS_ADMIN`), or a workflow's new
 * package, which is linked to the workflow's repository (`SOURCE_NOT_WORKFLOW_REPOSITORY`).
 */
export interface LinkNote {
  readonly code:
    | 'SOURCE_NOT_A_REPOSITORY'
    | 'SOURCE_OUTSIDE_NAMESPACE'
    | 'SOURCE_UNKNOWN_REPOSITORY'
    | 'SOURCE_NEEDS_ADMIN'
    | 'SOURCE_NOT_WORKFLOW_REPOSITORY';
  readonly message: string;
}

/** The package's own access list: users and teams, and the Actions access list. */
export interface PackageAccess {
  readonly users: Readonly<Record<string, PackageRole>>;
  /** Teams of the namespace's organization, by team name. */
  readonly teams: Readonly<Record<string, PackageRole>>;
  /** Repositories (`owner/name`) whose workflows may use the package. */
  readonly actions: Readonly<Record<string, PackageRole>>;
}

export interface Package {
  readonly record: PackageRecord;
  readonly access: PackageAccess;
}

/** Whom an access list entry names. */
export type Grantee =
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'team'; readonly name: string }
  | { readonly kind: 'repository'; readonly name: string };

/** One version: a manifest, named by its digest. Tags are kept beside versions. */
export interface PackageVersion {
  /** Unique among packages and versions; a digest pushed again after deletion gets a new one. */
  readonly id: number;
  readonly digest: string;
  readonly mediaType: string;
  readonly createdAt: string;
  /** The manifest's own size plus, for images, its config and layers. */
  readonly size: number;
  readonly artifactType?: string;
  /** `os/architecture[/variant]` of each image a multi-arch index holds. */
  readonly platforms: readonly string[];
}

/** A version as the observe step sees it, before the store gives it an id. */
export type NewVersion = Omit<PackageVersion, 'id'>;

/** `octocat/app/release` → namespace `octocat`, name `app/release`. */
export function splitRepository(repository: string): { namespace: string; name: string } {
  const slash = repository.indexOf('/');
  if (slash === -1) return { namespace: repository, name: '' };
  return { namespace: repository.slice(0, slash), name: repository.slice(slash + 1) };
}

export function compareRoles(a: PackageRole, b: PackageRole): number {
  return PACKAGE_ROLES.indexOf(a) - PACKAGE_ROLES.indexOf(b);
}

export function highestRole(roles: readonly (PackageRole | undefined)[]): PackageRole | undefined {
  let best: PackageRole | undefined;
  for (const role of roles) if (role && (!best || compareRoles(role, best) > 0)) best = role;
  return best;
}
