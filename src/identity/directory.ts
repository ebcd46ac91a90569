/**
 * The directory of identities: users, organizations (owners, members, teams) and
 * repositories (visibility, collaborators and teams with roles). crgate asks it questions
 * and never cares where the answers come from: the embedded YAML file or GitHub's REST API.
 * So every question is asynchronous, and each asks about one person at a time: GitHub
 * answers "is this user a member" in one request, "who are the members" in many.
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
}

export type NamespaceKind = 'user' | 'org';

/** Where a user stands in an organization: its owners and its other members. */
export type Membership = 'owner' | 'member';

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
  membership(org: string, login: string): Promise<Membership | undefined>;
  teamExists(org: string, team: string): Promise<boolean>;
  isTeamMember(org: string, team: string, login: string): Promise<boolean>;
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

/**
 * The directory cannot answer now (GitHub down, slow or out of rate limit, and no answer of
 * its cached recently enough). Never read as "no": the origins answer it with 503.
 */
export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError';
}
