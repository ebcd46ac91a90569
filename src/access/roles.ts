import type { Principal } from '../auth/principal';
import type { Directory, Organization, RepositoryRole } from '../identity/directory';
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

function teamRoles(pkg: Package, org: Organization | undefined, login: string) {
  if (!org) return [];
  return Object.entries(pkg.access.teams)
    .filter(([team]) => org.teams[team]?.includes(login))
    .map(([, role]) => role);
}

async function inheritedRole(directory: Directory, pkg: Package, login: string) {
  const linked = pkg.record.linkedRepository;
  if (!linked || !pkg.record.inheritAccess) return undefined;
  const role = await directory.repositoryRole(linked, login);
  return role && INHERITED[role];
}

/** Who may publish a new package into an organization: its owners, and members unless barred. */
function mayCreateIn(org: Organization, login: string): boolean {
  return org.membersCanCreatePackages && org.members.includes(login);
}

export async function userRole(
  directory: Directory,
  login: string,
  namespace: string,
  pkg: Package | undefined,
): Promise<PackageRole | undefined> {
  if (namespace === login) return 'admin';
  const org = await directory.organization(namespace);
  if (org?.owners.includes(login)) return 'admin';
  if (!pkg) return org && mayCreateIn(org, login) ? 'write' : undefined;

  return highestRole([
    await inheritedRole(directory, pkg, login),
    pkg.access.users[login],
    ...teamRoles(pkg, org, login),
    visibilityRole(pkg, true),
  ]);
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
