import type {
  Directory,
  Membership,
  NamespaceKind,
  Organization,
  Repository,
  RepositoryRole,
  Visibility,
} from '../directory';
import { REPOSITORY_ROLES } from '../directory';
import type { GitHubApi } from './api';

/**
 * The directory as GitHub (or GitHub Enterprise Server) keeps it, read through crgate's
 * service credential: users and organizations (`/users/{login}`, `/orgs/{org}`), membership
 * and its role (`/orgs/{org}/memberships/{user}`), teams, repositories and the role a user
 * holds on one (`/repos/{owner}/{repo}/collaborators/{user}/permission`). Each answer is
 * cached and revalidated by GitHubApi; decisions made from them expire with the decision
 * cache, so the version never changes.
 */
const SERVICE = { kind: 'service' } as const;

/** GitHub's names may hold capitals; crgate's are lower case, and GitHub's compare without case. */
const segment = (name: string) => encodeURIComponent(name.toLowerCase());

interface Account {
  readonly login: string;
  readonly type: 'User' | 'Organization' | string;
  readonly site_admin?: boolean;
}

interface RepositoryJson {
  readonly full_name: string;
  readonly private: boolean;
  readonly visibility?: Visibility;
  readonly owner: { readonly login: string };
}

function isRole(value: unknown): value is RepositoryRole {
  return REPOSITORY_ROLES.some((role) => role === value);
}

export class GitHubDirectory implements Directory {
  constructor(private readonly api: GitHubApi) {}

  version(): string {
    return 'github';
  }

  async userExists(login: string): Promise<boolean> {
    return (await this.account(login))?.type === 'User';
  }

  /** GitHub Enterprise Server's site administrators; github.com has none for crgate. */
  async isSiteAdmin(login: string): Promise<boolean> {
    const account = await this.account(login);
    return account?.type === 'User' && account.site_admin === true;
  }

  async namespaceKind(name: string): Promise<NamespaceKind | undefined> {
    const type = (await this.account(name))?.type;
    if (type === 'User') return 'user';
    return type === 'Organization' ? 'org' : undefined;
  }

  async organization(name: string): Promise<Organization | undefined> {
    const answer = await this.api.get(`/orgs/${segment(name)}`, SERVICE, 'org');
    if (answer.status !== 200) return undefined;
    // GitHub's REST API does not show whether members may publish packages, nor whether
    // SAML SSO is enforced: each token learns that from GitHub itself (GitHubTokens).
    return { name: name.toLowerCase(), requireSso: false, membersCanCreatePackages: true };
  }

  async membership(org: string, login: string): Promise<Membership | undefined> {
    const path = `/orgs/${segment(org)}/memberships/${segment(login)}`;
    const answer = await this.api.get(path, SERVICE, 'org-membership');
    const body = answer.body as { state?: string; role?: string } | null;
    // A pending invitation is not membership yet.
    if (answer.status !== 200 || body?.state !== 'active') return undefined;
    return body.role === 'admin' ? 'owner' : 'member';
  }

  async teamExists(org: string, team: string): Promise<boolean> {
    const path = `/orgs/${segment(org)}/teams/${segment(team)}`;
    return (await this.api.get(path, SERVICE, 'team')).status === 200;
  }

  async isTeamMember(org: string, team: string, login: string): Promise<boolean> {
    const path = `/orgs/${segment(org)}/teams/${segment(team)}/memberships/${segment(login)}`;
    const answer = await this.api.get(path, SERVICE, 'team-membership');
    return answer.status === 200 && (answer.body as { state?: string }).state === 'active';
  }

  async repository(fullName: string): Promise<Repository | undefined> {
    const [owner = '', name = ''] = fullName.toLowerCase().split('/');
    const answer = await this.api.get(`/repos/${segment(owner)}/${segment(name)}`, SERVICE, 'repo');
    if (answer.status !== 200) return undefined;
    const repo = answer.body as RepositoryJson;
    const visibility = repo.visibility ?? (repo.private ? 'private' : 'public');
    return { fullName: repo.full_name.toLowerCase(), owner, name, visibility };
  }

  async repositoryRole(fullName: string, login: string): Promise<RepositoryRole | undefined> {
    const [owner = '', name = ''] = fullName.toLowerCase().split('/');
    const repo = `/repos/${segment(owner)}/${segment(name)}`;
    const answer = await this.api.get(
      `${repo}/collaborators/${segment(login)}/permission`,
      SERVICE,
      'repo-permission',
    );
    if (answer.status !== 200) return undefined;
    // role_name tells triage and maintain apart, which `permission` folds into read and write.
    const { role_name: role } = answer.body as { role_name?: string };
    if (!isRole(role)) return undefined;
    return role === 'read' ? this.grantedRead(repo, fullName, login) : role;
  }

  /**
   * Everyone reads a public repository, and every member an internal one, and the permission
   * endpoint says `read` for them all. Only a read someone was given counts: a package linked
   * to a public repository stays private (`GET .../collaborators/{user}`: 204 for one).
   */
  private async grantedRead(repo: string, fullName: string, login: string) {
    if ((await this.repository(fullName))?.visibility === 'private') return 'read';
    const path = `${repo}/collaborators/${segment(login)}`;
    const answer = await this.api.get(path, SERVICE, 'repo-collaborator');
    return answer.status === 204 ? 'read' : undefined;
  }

  private async account(login: string): Promise<Account | undefined> {
    const answer = await this.api.get(`/users/${segment(login)}`, SERVICE, 'user');
    return answer.status === 200 ? (answer.body as Account) : undefined;
  }
}
