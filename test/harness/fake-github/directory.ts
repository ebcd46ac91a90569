export type RepoRole = 'read' | 'triage' | 'write' | 'maintain' | 'admin';
export type OrgRole = 'admin' | 'member';
export type Visibility = 'public' | 'private' | 'internal';

export interface Account {
  readonly id: number;
  readonly login: string;
  readonly type: 'User' | 'Organization';
  readonly siteAdmin: boolean;
  readonly createdAt: string;
}

export interface Team {
  readonly id: number;
  readonly name: string;
  readonly slug: string;
  /** Member logins, lower-cased. */
  readonly members: Set<string>;
  readonly createdAt: string;
}

export interface Org {
  readonly account: Account;
  /** Lower-cased login → role. */
  readonly members: Map<string, OrgRole>;
  /** Lower-cased slug → team. */
  readonly teams: Map<string, Team>;
  readonly samlSso: boolean;
}

export interface Repo {
  readonly id: number;
  readonly name: string;
  readonly fullName: string;
  readonly owner: Account;
  readonly visibility: Visibility;
  /** Lower-cased login → role granted on this repository alone. */
  readonly collaborators: Map<string, RepoRole>;
  /** Lower-cased team slug (of the owning organization) → role. */
  readonly teams: Map<string, RepoRole>;
  readonly createdAt: string;
}

export interface OrgOptions {
  owners?: string[];
  members?: string[];
  teams?: Record<string, string[]>;
  samlSso?: boolean;
}

export interface RepoOptions {
  visibility?: Visibility;
  collaborators?: Record<string, RepoRole>;
  teams?: Record<string, RepoRole>;
}

const ROLES: readonly RepoRole[] = ['read', 'triage', 'write', 'maintain', 'admin'];

/** GitHub matches logins and names whatever their case, and answers in the case they were made. */
export function key(name: string): string {
  return name.toLowerCase();
}

/** The highest of the roles given, or undefined when none is. */
export function highestRole(roles: Iterable<RepoRole | undefined>): RepoRole | undefined {
  let best = -1;
  for (const role of roles) if (role) best = Math.max(best, ROLES.indexOf(role));
  return ROLES[best];
}

export function atLeast(role: RepoRole | undefined, minimum: RepoRole): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** Team slugs as GitHub makes them from names: lower case, runs of other characters as `-`. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-|-$/g, '');
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Users, organizations, their teams and repositories, as the fake GitHub knows them. */
export class Directory {
  private readonly accounts = new Map<string, Account>();
  private readonly orgs = new Map<string, Org>();
  private readonly repos = new Map<string, Repo>();
  // Distinct ranges make a repository id passed where an account id belongs visible in a test.
  private nextAccountId = 1000;
  private nextTeamId = 2_000_000;
  private nextRepoId = 5_000_000;

  addUser(login: string, siteAdmin = false): Account {
    return this.newAccount(login, 'User', siteAdmin);
  }

  addOrg(name: string, options: OrgOptions = {}): void {
    const account = this.newAccount(name, 'Organization', false);
    const org: Org = { account, members: new Map(), teams: new Map(), samlSso: !!options.samlSso };
    this.orgs.set(key(name), org);

    for (const login of options.owners ?? []) this.setMembership(name, login, 'admin');
    for (const login of options.members ?? []) this.setMembership(name, login, 'member');
    for (const [team, members] of Object.entries(options.teams ?? {})) {
      this.setTeamMembers(name, team, members);
    }
  }

  /** Removing a member also removes them from the organization's teams, as GitHub does. */
  setMembership(orgName: string, login: string, role: OrgRole | undefined): void {
    const org = this.requireOrg(orgName);
    const user = this.requireUser(login);

    if (role) return void org.members.set(key(user.login), role);
    org.members.delete(key(user.login));
    for (const team of org.teams.values()) team.members.delete(key(user.login));
  }

  /** Creates the team when it is new; people not yet in the organization join it as members. */
  setTeamMembers(orgName: string, teamName: string, members: string[]): void {
    const org = this.requireOrg(orgName);
    const team = org.teams.get(slugify(teamName)) ?? this.newTeam(org, teamName);

    team.members.clear();
    for (const login of members) {
      const user = this.requireUser(login);
      if (!org.members.has(key(user.login))) org.members.set(key(user.login), 'member');
      team.members.add(key(user.login));
    }
  }

  addRepo(fullName: string, options: RepoOptions = {}): void {
    const [ownerLogin = '', name = '', ...rest] = fullName.split('/');
    const owner = this.accounts.get(key(ownerLogin));
    if (!owner || !name || rest.length) throw new Error(`fake GitHub: no owner for ${fullName}`);
    if (this.repos.has(key(fullName))) throw new Error(`fake GitHub: ${fullName} exists`);
    if (options.teams && owner.type !== 'Organization') {
      throw new Error(`fake GitHub: ${fullName} belongs to a user, it has no teams`);
    }

    const collaborators = Object.entries(options.collaborators ?? {});
    const teams = Object.entries(options.teams ?? {});
    this.repos.set(key(fullName), {
      id: this.nextRepoId++,
      name,
      fullName: `${owner.login}/${name}`,
      owner,
      visibility: options.visibility ?? 'public',
      collaborators: new Map(collaborators.map(([login, role]) => [key(login), role])),
      teams: new Map(teams.map(([team, role]) => [slugify(team), role])),
      createdAt: timestamp(),
    });
  }

  account(login: string): Account | undefined {
    return this.accounts.get(key(login));
  }

  user(login: string): Account | undefined {
    const account = this.account(login);
    return account?.type === 'User' ? account : undefined;
  }

  org(name: string): Org | undefined {
    return this.orgs.get(key(name));
  }

  orgById(id: number): Org | undefined {
    return this.allOrgs().find((org) => org.account.id === id);
  }

  allOrgs(): Org[] {
    return [...this.orgs.values()];
  }

  orgsOf(login: string): Org[] {
    return this.allOrgs().filter((org) => org.members.has(key(login)));
  }

  repo(owner: string, name: string): Repo | undefined {
    return this.repos.get(key(`${owner}/${name}`));
  }

  repoByFullName(fullName: string): Repo | undefined {
    return this.repos.get(key(fullName));
  }

  /** Public repositories an account owns, for its `public_repos` count. */
  publicRepoCount(owner: Account): number {
    return [...this.repos.values()].filter((r) => r.owner === owner && r.visibility === 'public')
      .length;
  }

  /**
   * The user's role on the repository, the highest of every grant as GitHub computes it
   * (https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user):
   * the owner and the owning organization's owners are admins; then direct collaborator and team
   * grants; then anyone may read a public repository, and the organization's members an internal
   * one (GitHub gives all enterprise members read there; an organization stands in for the
   * enterprise here).
   */
  roleOn(repo: Repo, login: string): RepoRole | undefined {
    const member = this.org(repo.owner.login)?.members.has(key(login)) ?? false;
    const baseline =
      repo.visibility === 'public' || (repo.visibility === 'internal' && member)
        ? 'read'
        : undefined;
    return highestRole([this.grantedRoleOn(repo, login), baseline]);
  }

  /** The role someone was given: ownership, as a collaborator, or through a team. */
  grantedRoleOn(repo: Repo, login: string): RepoRole | undefined {
    const org = this.org(repo.owner.login);
    if (key(repo.owner.login) === key(login) || org?.members.get(key(login)) === 'admin') {
      return 'admin';
    }
    const teamGrants = [...repo.teams].map(([slug, role]) =>
      org?.teams.get(slug)?.members.has(key(login)) ? role : undefined,
    );
    return highestRole([repo.collaborators.get(key(login)), ...teamGrants]);
  }

  private newAccount(login: string, type: Account['type'], siteAdmin: boolean): Account {
    if (this.accounts.has(key(login))) throw new Error(`fake GitHub: ${login} exists`);

    const account = { id: this.nextAccountId++, login, type, siteAdmin, createdAt: timestamp() };
    this.accounts.set(key(login), account);
    return account;
  }

  private newTeam(org: Org, name: string): Team {
    const team = {
      id: this.nextTeamId++,
      name,
      slug: slugify(name),
      members: new Set<string>(),
      createdAt: timestamp(),
    };
    org.teams.set(team.slug, team);
    return team;
  }

  private requireOrg(name: string): Org {
    const org = this.org(name);
    if (!org) throw new Error(`fake GitHub: no organization ${name}`);
    return org;
  }

  private requireUser(login: string): Account {
    const user = this.user(login);
    if (!user) throw new Error(`fake GitHub: no user ${login} (addUser first)`);
    return user;
  }
}
