/**
 * The directory of identities: users, organizations (owners, members, teams) and
 * repositories (visibility, collaborators and teams with roles). crgate asks it questions
 * and never cares where the answers come from: the embedded YAML file today, GitHub's REST
 * API later, so every question is asynchronous.
 */
export type RepositoryRole = 'read' | 'triage' | 'write' | 'maintain' | 'admin';

export const REPOSITORY_ROLES: readonly RepositoryRole[] = [
  'read',
  'triage',
  'write',
  'maintain',
  'admin',
];

export type Visibility = 'private' | 'internal' | 'public';

export interface Organization {
  readonly name: string;
  readonly owners: readonly string[];
  /** Members who are not owners. */
  readonly members: readonly string[];
  /** Team name to its members' logins. */
  readonly teams: Readonly<Record<string, readonly string[]>>;
  /** Tokens must be SSO-authorized for this organization to act in it. */
  readonly requireSso: boolean;
  /** Whether members who are not owners may publish new packages (GitHub's org setting). */
  readonly membersCanCreatePackages: boolean;
}

export interface Repository {
  /** `owner/name`, lower case. */
  readonly fullName: string;
  readonly owner: string;
  readonly name: string;
  readonly visibility: Visibility;
  /** Login to role. */
  readonly collaborators: Readonly<Record<string, RepositoryRole>>;
  /** Team name (of the owning organization) to role. */
  readonly teams: Readonly<Record<string, RepositoryRole>>;
}

export type NamespaceKind = 'user' | 'org';

export interface Directory {
  /**
   * Changes whenever the answers may have changed, and is the same on every replica that
   * holds the same answers: cached decisions, shared in Redis, key on it.
   */
  version(): string;
  userExists(login: string): Promise<boolean>;
  /** Site administrators manage crgate itself: other users' tokens, for one. */
  isSiteAdmin(login: string): Promise<boolean>;
  namespaceKind(name: string): Promise<NamespaceKind | undefined>;
  organization(name: string): Promise<Organization | undefined>;
  repository(fullName: string): Promise<Repository | undefined>;
  /**
   * The highest role a user holds on a repository: admin for the owner of a user's
   * repository and for the owners of an organization's, else the highest of their
   * collaborator role and their teams' roles. Undefined when they hold none.
   */
  repositoryRole(fullName: string, login: string): Promise<RepositoryRole | undefined>;
}

/** Compares roles: positive when `a` is higher than `b`. */
export function compareRoles(a: RepositoryRole, b: RepositoryRole): number {
  return REPOSITORY_ROLES.indexOf(a) - REPOSITORY_ROLES.indexOf(b);
}
