import type { Principal } from '../auth/principal';
import type { Directory, Membership, RepositoryRole } from '../identity/directory';
import { highestRole } from '../packages/package';
import type { Package, PackageRole } from '../packages/package';

/**
 * A principal's role on a package (DESIGN.md, "Who may do what"): the highest of ownership,
 * the linked repository when the package inherits access, the package's access list, the
 * Actions access list for workflows, and what visibility gives everyone. For a package that
 * does not exist yet, the role is what publishing it would need: who may create it.
 */
const INHERITED: Readonly<Record<RepositoryRole, PackageRole>> = {
  read: 'read',
  triage: 'read',
  write: 'write',
  maintain: 'write',
  admin: 'admin',
};

function visibilityRole(pkg: Package, signedIn: boolean): PackageRole | undefined {
  const { visibility } = pkg.record;
  if (visibility === 'public') return 'read';
  return visibility === 'internal' && signedIn ? 'read' : undefined;
}

async function teamRoles(directory: Directory, pkg: Package, org: string, login: string) {
  const entries = Object.entries(pkg.access.teams);
  const members = await Promise.all(
    entries.map(([team]) => directory.isTeamMember(org, team, login)),
  );
  return entries.filter((_, i) => members[i]).map(([, role]) => role);
}

async function inheritedRole(directory: Directory, pkg: Package, login: string) {
  const linked = pkg.record.linkedRepository;
  if (!linked || !pkg.record.inheritAccess) return undefined;
  const role = await directory.repositoryRole(linked, login);
  return role && INHERITED[role];
}

/** Who may publish a new package into an organization: its owners, and members unless barred. */
async function mayCreateIn(directory: Directory, namespace: string, membership?: Membership) {
  if (membership !== 'member') return false;
  return (await directory.organization(namespace))?.membersCanCreatePackages === true;
}

export async function userRole(
  directory: Directory,
  login: string,
  namespace: string,
  pkg: Package | undefined,
): Promise<PackageRole | undefined> {
  if (namespace === login) return 'admin';
  const membership = await directory.membership(namespace, login);
  if (membership === 'owner') return 'admin';
  if (!pkg) return (await mayCreateIn(directory, namespace, membership)) ? 'write' : undefined;

  // Teams are an organization's, and only its members are in them.
  const [inherited, teams] = await Promise.all([
    inheritedRole(directory, pkg, login),
    membership ? teamRoles(directory, pkg, namespace, login) : [],
  ]);
  return highestRole([inherited, pkg.access.users[login], ...teams, visibilityRole(pkg, true)]);
}

export function workflowRole(
  principal: Principal & { kind: 'workflow' },
  namespace: string,
  pkg: Package | undefined,
): PackageRole | undefined {
  const owner = principal.repository.slice(0, principal.repository.indexOf('/'));
  // A workflow publishes new packages into its repository's namespace, linked to it.
  const role = pkg
    ? highestRole([
        pkg.record.linkedRepository === principal.repository ? 'admin' : undefined,
        pkg.access.actions[principal.repository],
        visibilityRole(pkg, true),
      ])
    : namespace === owner
      ? 'admin'
      : undefined;
  // A GITHUB_TOKEN with `packages: read` reads, whatever its repository may do.
  return principal.permission === 'read' && role ? 'read' : role;
}

export function anonymousRole(pkg: Package | undefined): PackageRole | undefined {
  return pkg && visibilityRole(pkg, false);
}

/**
 * The role of a principal on a package of `namespace`, before scopes cap it: what access
 * decisions start from, and what the observe step asks before a push may re-link a package.
 */
export async function packageRole(
  directory: Directory,
  principal: Principal,
  namespace: string,
  pkg: Package | undefined,
): Promise<PackageRole | undefined> {
  if (principal.kind === 'user') return userRole(directory, principal.login, namespace, pkg);
  if (principal.kind === 'workflow') return workflowRole(principal, namespace, pkg);
  return anonymousRole(pkg);
}
