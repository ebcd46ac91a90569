import type { Account, Directory, Org, Repo, RepoRole, Team } from './directory';
import { atLeast } from './directory';

type Json = Record<string, unknown>;

/** GitHub's legacy base permission for a role: maintain reads as write, triage as read. */
export function basePermission(role: RepoRole | undefined): 'admin' | 'write' | 'read' | 'none' {
  if (role === 'maintain') return 'write';
  if (role === 'triage') return 'read';
  return role ?? 'none';
}

/** The `permissions` hash GitHub puts beside a role. */
function permissionFlags(role: RepoRole | undefined): Json {
  return {
    admin: atLeast(role, 'admin'),
    maintain: atLeast(role, 'maintain'),
    push: atLeast(role, 'write'),
    triage: atLeast(role, 'triage'),
    pull: atLeast(role, 'read'),
  };
}

/** GitHub's global node id: base64 of `<type length>:<Type><id>`. */
function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

/**
 * The JSON bodies, shaped as the REST API reference documents them
 * (https://docs.github.com/rest), trimmed of fields crgate has no use for.
 */
export class Resources {
  constructor(
    private readonly apiUrl: string,
    private readonly webUrl: string,
    private readonly directory: Directory,
  ) {}

  /** simple-user (or an organization in its user form, as `/users/{login}` gives it). */
  user(account: Account): Json {
    const url = `${this.apiUrl}/users/${account.login}`;
    return {
      login: account.login,
      id: account.id,
      node_id: nodeId(account.type, account.id),
      avatar_url: `${this.webUrl}/avatars/u/${account.id}`,
      gravatar_id: '',
      url,
      html_url: `${this.webUrl}/${account.login}`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      type: account.type,
      site_admin: account.siteAdmin,
    };
  }

  /** public-user, as `/users/{login}` answers. */
  publicUser(account: Account): Json {
    const publicRepos = this.directory.publicRepoCount(account);
    return {
      ...this.user(account),
      name: null,
      company: null,
      public_repos: publicRepos,
      ...this.dates(account),
    };
  }

  orgSimple(org: Org): Json {
    const { login, id } = org.account;
    const url = `${this.apiUrl}/orgs/${login}`;
    return {
      login,
      id,
      node_id: nodeId('Organization', id),
      url,
      repos_url: `${url}/repos`,
      hooks_url: `${url}/hooks`,
      issues_url: `${url}/issues`,
      members_url: `${url}/members{/member}`,
      public_members_url: `${url}/public_members{/member}`,
      avatar_url: `${this.webUrl}/avatars/u/${id}`,
      description: null,
    };
  }

  /** organization-full, as `/orgs/{org}` answers anyone (no owner-only fields). */
  org(org: Org): Json {
    return {
      ...this.orgSimple(org),
      name: org.account.login,
      html_url: `${this.webUrl}/${org.account.login}`,
      is_verified: false,
      public_repos: this.directory.publicRepoCount(org.account),
      type: 'Organization',
      ...this.dates(org.account),
    };
  }

  /** full-repository; `role` adds the caller's `permissions` as GitHub does for a signed-in user. */
  repo(repo: Repo, role?: RepoRole): Json {
    const url = `${this.apiUrl}/repos/${repo.fullName}`;
    return {
      id: repo.id,
      node_id: nodeId('Repository', repo.id),
      name: repo.name,
      full_name: repo.fullName,
      private: repo.visibility !== 'public',
      visibility: repo.visibility,
      owner: this.user(repo.owner),
      html_url: `${this.webUrl}/${repo.fullName}`,
      description: null,
      fork: false,
      url,
      archived: false,
      disabled: false,
      default_branch: 'main',
      created_at: repo.createdAt,
      ...(role === undefined ? {} : { permissions: permissionFlags(role) }),
    };
  }

  team(org: Org, team: Team): Json {
    const url = `${this.apiUrl}/organizations/${org.account.id}/team/${team.id}`;
    return {
      id: team.id,
      node_id: nodeId('Team', team.id),
      url,
      html_url: `${this.webUrl}/orgs/${org.account.login}/teams/${team.slug}`,
      name: team.name,
      slug: team.slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${url}/members{/member}`,
      repositories_url: `${url}/repos`,
      parent: null,
      members_count: team.members.size,
      created_at: team.createdAt,
      organization: this.orgSimple(org),
    };
  }

  /** org-membership. */
  membership(org: Org, user: Account, role: 'admin' | 'member'): Json {
    const orgUrl = `${this.apiUrl}/orgs/${org.account.login}`;
    return {
      url: `${orgUrl}/memberships/${user.login}`,
      state: 'active',
      role,
      organization_url: orgUrl,
      organization: this.orgSimple(org),
      user: this.user(user),
    };
  }

  /** team-membership: crgate's teams have no maintainers, so the role is always member. */
  teamMembership(org: Org, team: Team, user: Account): Json {
    const url = `${this.apiUrl}/organizations/${org.account.id}/team/${team.id}/memberships/${user.login}`;
    return { url, role: 'member', state: 'active' };
  }

  /** repository-collaborator-permission. */
  permission(user: Account, role: RepoRole | undefined): Json {
    const roleName = role ?? 'none';
    return {
      permission: basePermission(role),
      role_name: roleName,
      user: { ...this.user(user), permissions: permissionFlags(role), role_name: roleName },
    };
  }

  private dates(account: Account): Json {
    return { created_at: account.createdAt, updated_at: account.createdAt };
  }
}
