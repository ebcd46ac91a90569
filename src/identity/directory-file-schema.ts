import { parseDocument } from 'yaml';

import { REPOSITORY_ROLES } from './directory';
import type { Organization, Repository, RepositoryRole, Visibility } from './directory';

/**
 * The grammar of the directory file: `users` (logins), `site_admins` (users who administer
 * crgate itself), `orgs` (owners, members, teams, sso, members_can_create_packages) and `repos` (visibility,
 * collaborators, teams). Everything is checked before anything is
 * used, so a typo stops crgate from starting, or a reload from taking effect, instead of
 * quietly granting or withholding access. Errors name the entry as a path into the file.
 */
export interface FileOrganization extends Organization {
  readonly owners: readonly string[];
  /** Members who are not owners. */
  readonly members: readonly string[];
  /** Team name to its members' logins. */
  readonly teams: Readonly<Record<string, readonly string[]>>;
}

export interface FileRepository extends Repository {
  /** Login to role. */
  readonly collaborators: Readonly<Record<string, RepositoryRole>>;
  /** Team name (of the owning organization) to role. */
  readonly teams: Readonly<Record<string, RepositoryRole>>;
}

export interface DirectoryData {
  readonly users: ReadonlySet<string>;
  readonly siteAdmins: ReadonlySet<string>;
  readonly organizations: ReadonlyMap<string, FileOrganization>;
  readonly repositories: ReadonlyMap<string, FileRepository>;
}

export class DirectoryError extends Error {
  constructor(
    /** Where in the file, e.g. `orgs.acme.teams.builders[0]`; empty for the whole file. */
    readonly path: string,
    readonly reason: string,
    readonly file?: string,
  ) {
    super([file, path, reason].filter(Boolean).join(': '));
    this.name = 'DirectoryError';
  }
}

// GitHub's grammars, compared in lower case because GitHub treats names case-insensitively.
const LOGIN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$/;
const REPOSITORY_NAME = /^(?!\.\.?$)[a-z0-9._-]{1,100}$/;
const TEAM = /^[a-z0-9][a-z0-9_-]{0,99}$/;

const VISIBILITIES: readonly Visibility[] = ['private', 'internal', 'public'];
const TOP_KEYS = ['users', 'site_admins', 'orgs', 'repos'];
const ORGANIZATION_KEYS = ['owners', 'members', 'teams', 'sso', 'members_can_create_packages'];
const REPOSITORY_KEYS = ['visibility', 'collaborators', 'teams'];

type Mapping = Readonly<Record<string, unknown>>;

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

// The failsafe schema reads every scalar as a string, so `007` stays a login instead of
// becoming 7, and an empty value (`owners:`) arrives as '' and reads as absent.
const absent = (value: unknown): boolean => value === undefined || value === '';

function mapping(value: unknown, path: string, keys?: readonly string[]): Mapping {
  if (absent(value)) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DirectoryError(path, 'must be a mapping');
  }

  const unknown = keys && Object.keys(value).find((key) => !keys.includes(key));
  if (unknown !== undefined) throw new DirectoryError(at(path, unknown), 'unknown key');
  return value as Mapping;
}

function list(value: unknown, path: string): readonly unknown[] {
  if (absent(value)) return [];
  if (!Array.isArray(value)) throw new DirectoryError(path, 'must be a list');
  return value;
}

function name(value: unknown, path: string, grammar: RegExp, what: string): string {
  const lower = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (lower === undefined || !grammar.test(lower)) {
    throw new DirectoryError(path, `${JSON.stringify(value)} is not a valid ${what}`);
  }
  return lower;
}

function choice<T extends string>(value: unknown, choices: readonly T[], path: string): T {
  const lower = typeof value === 'string' ? value.toLowerCase() : '';
  if (!(choices as readonly string[]).includes(lower)) {
    throw new DirectoryError(path, `${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
  }
  return lower as T;
}

function flag(value: unknown, fallback: boolean, path: string): boolean {
  return absent(value) ? fallback : choice(value, ['true', 'false'], path) === 'true';
}

/** A list of names, each once; `check` refuses the ones that may not appear here. */
function names(value: unknown, path: string, check?: (login: string, path: string) => void) {
  const seen = new Set<string>();
  return Object.freeze(
    list(value, path).map((item, index) => {
      const itemPath = `${path}[${index}]`;
      const login = name(item, itemPath, LOGIN, 'login');
      if (seen.has(login)) throw new DirectoryError(itemPath, `"${login}" is listed twice`);
      check?.(login, itemPath);

      seen.add(login);
      return login;
    }),
  );
}

/**
 * A mapping whose keys are names, lower-cased and each given once. The result has no
 * prototype, so a login such as `constructor` never finds something it was not given.
 */
function table<T>(
  value: unknown,
  path: string,
  key: (raw: string, path: string) => string,
  entry: (name: string, raw: unknown, path: string) => T,
): Readonly<Record<string, T>> {
  const out = Object.create(null) as Record<string, T>;
  for (const [raw, inner] of Object.entries(mapping(value, path))) {
    const entryPath = at(path, raw);
    const lower = key(raw, entryPath);
    if (lower in out) throw new DirectoryError(entryPath, `"${lower}" is declared twice`);
    out[lower] = entry(lower, inner, entryPath);
  }
  return Object.freeze(out);
}

const teamName = (raw: string, path: string) => name(raw, path, TEAM, 'team name');
const role = (_key: string, raw: unknown, path: string) =>
  choice<RepositoryRole>(raw, REPOSITORY_ROLES, path);

function declaredUser(users: ReadonlySet<string>) {
  return (raw: string, path: string): string => {
    const login = name(raw, path, LOGIN, 'login');
    if (!users.has(login)) throw new DirectoryError(path, `"${login}" is not a declared user`);
    return login;
  };
}

function parseOrganization(
  org: string,
  value: unknown,
  path: string,
  users: ReadonlySet<string>,
): FileOrganization {
  if (users.has(org)) throw new DirectoryError(path, `"${org}" is already a user`);
  const fields = mapping(value, path, ORGANIZATION_KEYS);
  const declared = declaredUser(users);

  const owners = names(fields.owners, at(path, 'owners'), declared);
  const members = names(fields.members, at(path, 'members'), (login, p) => {
    declared(login, p);
    if (owners.includes(login)) throw new DirectoryError(p, `"${login}" is already an owner`);
  });

  // A team, as on GitHub, holds only people who belong to the organization.
  const teams = table(fields.teams, at(path, 'teams'), teamName, (_team, list, p) =>
    names(list, p, (login, q) => {
      declared(login, q);
      if (!owners.includes(login) && !members.includes(login)) {
        throw new DirectoryError(q, `"${login}" is not an owner or member of ${org}`);
      }
    }),
  );

  return Object.freeze({
    name: org,
    owners,
    members,
    teams,
    requireSso: flag(fields.sso, false, at(path, 'sso')),
    membersCanCreatePackages: flag(
      fields.members_can_create_packages,
      true,
      at(path, 'members_can_create_packages'),
    ),
  });
}

function repositoryName(raw: string, path: string): [owner: string, name: string] {
  const [owner, repo, ...rest] = raw.split('/');
  if (repo === undefined || rest.length > 0) {
    throw new DirectoryError(path, `"${raw}" is not owner/name`);
  }
  return [name(owner, path, LOGIN, 'owner'), name(repo, path, REPOSITORY_NAME, 'repository name')];
}

function teamOf(owner: string, org: FileOrganization | undefined) {
  return (raw: string, path: string): string => {
    const team = teamName(raw, path);
    if (!org || !Object.hasOwn(org.teams, team)) {
      throw new DirectoryError(path, `"${team}" is not a team of ${owner}`);
    }
    return team;
  };
}

function parseRepository(
  fullName: string,
  value: unknown,
  path: string,
  { users, organizations }: Pick<DirectoryData, 'users' | 'organizations'>,
): FileRepository {
  const [owner, repo] = repositoryName(fullName, path);
  const org = organizations.get(owner);
  if (!org && !users.has(owner)) {
    throw new DirectoryError(path, `owner "${owner}" is neither a user nor an organization`);
  }
  const fields = mapping(value, path, REPOSITORY_KEYS);

  const visibility = absent(fields.visibility)
    ? 'private'
    : choice(fields.visibility, VISIBILITIES, at(path, 'visibility'));
  const collaborators = table(
    fields.collaborators,
    at(path, 'collaborators'),
    declaredUser(users),
    role,
  );
  const teams = table(fields.teams, at(path, 'teams'), teamOf(owner, org), role);
  return Object.freeze({ fullName, owner, name: repo, visibility, collaborators, teams });
}

function readYaml(text: string): unknown {
  const document = parseDocument(text, { schema: 'failsafe' });
  const [error] = document.errors;
  if (error) throw new DirectoryError('', `not valid YAML: ${error.message.split('\n')[0]}`);

  // An empty file is refused: it is more often a save caught half-way than an intent.
  const value: unknown = document.toJS();
  if (value === null || value === '') throw new DirectoryError('', 'the file is empty');
  return value;
}

/** Parses and validates the text of a directory file; throws DirectoryError naming the entry. */
export function parseDirectory(text: string): DirectoryData {
  const root = mapping(readYaml(text), '', TOP_KEYS);
  const users: ReadonlySet<string> = new Set(names(root.users, 'users'));

  const orgName = (raw: string, p: string) => name(raw, p, LOGIN, 'organization name');
  const orgs = table(root.orgs, 'orgs', orgName, (org, value, p) =>
    parseOrganization(org, value, p, users),
  );
  const organizations: ReadonlyMap<string, FileOrganization> = new Map(Object.entries(orgs));

  const repoName = (raw: string, p: string) => repositoryName(raw, p).join('/');
  const repos = table(root.repos, 'repos', repoName, (fullName, value, p) =>
    parseRepository(fullName, value, p, { users, organizations }),
  );
  const siteAdmins = new Set(names(root.site_admins, 'site_admins', declaredUser(users)));
  return { users, siteAdmins, organizations, repositories: new Map(Object.entries(repos)) };
}
