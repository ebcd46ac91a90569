import type { Principal } from '../auth/principal';
import type { PackageScope } from '../auth/token-store';
import type { Directory } from '../identity/directory';

/**
 * What a principal may do on a repository (DESIGN.md, "Who may do what"): a role from
 * ownership, capped by the token's scopes, intersected with what was asked.
 *
 * TODO: this is the identity issue's share of the rules (namespace ownership, organization
 * membership, a workflow on its own repository's packages). Package records, visibility,
 * linked repositories and access lists arrive with the access-control issue and replace the
 * role computation below; the scope cap and the intersection stay as they are.
 */
export type RegistryAction = 'pull' | 'push' | 'delete';

export type PackageRole = 'read' | 'write' | 'admin';

export interface Decision {
  readonly granted: readonly RegistryAction[];
  /** Why something asked for was not granted, in words the user can act on. */
  readonly refusal?: string;
}

const ROLE_ACTIONS: Readonly<Record<PackageRole, readonly RegistryAction[]>> = {
  read: ['pull'],
  write: ['pull', 'push'],
  admin: ['pull', 'push', 'delete'],
};

const SCOPE_FOR: Readonly<Record<RegistryAction, PackageScope>> = {
  pull: 'read:packages',
  push: 'write:packages',
  delete: 'delete:packages',
};

function scopeAllows(scopes: readonly PackageScope[], action: RegistryAction): boolean {
  // write:packages implies read:packages, as on GitHub.
  if (action === 'pull')
    return scopes.includes('read:packages') || scopes.includes('write:packages');
  return scopes.includes(SCOPE_FOR[action]);
}

function namespaceOf(repository: string): string {
  return repository.split('/', 1)[0] as string;
}

async function userRole(directory: Directory, login: string, namespace: string) {
  if (namespace === login) return 'admin';
  const org = await directory.organization(namespace);
  if (!org) return undefined;
  if (org.owners.includes(login)) return 'admin';
  return org.members.includes(login) ? 'write' : undefined;
}

function workflowRole(repository: string, principal: Principal & { kind: 'workflow' }) {
  // A workflow publishes the packages named after its repository, in its owner's namespace.
  const [owner, name] = principal.repository.split('/') as [string, string];
  const own = repository === `${owner}/${name}` || repository.startsWith(`${owner}/${name}/`);
  if (!own) return undefined;
  return principal.permission === 'write' ? 'admin' : 'read';
}

async function ssoRefusal(directory: Directory, principal: Principal, namespace: string) {
  if (principal.kind !== 'user') return undefined;
  const org = await directory.organization(namespace);
  if (!org?.requireSso || principal.ssoOrgs.includes(org.name)) return undefined;
  return `organization ${org.name} requires SSO authorization for this token; authorize it for ${org.name} and try again`;
}

export async function decide(
  directory: Directory,
  principal: Principal,
  repository: string,
  asked: readonly RegistryAction[],
): Promise<Decision> {
  const namespace = namespaceOf(repository);
  if (principal.kind === 'anonymous') {
    return { granted: [], refusal: 'sign in to use this package' };
  }
  const sso = await ssoRefusal(directory, principal, namespace);
  if (sso) return { granted: [], refusal: sso };

  const role =
    principal.kind === 'user'
      ? await userRole(directory, principal.login, namespace)
      : workflowRole(repository, principal);
  const byRole = role ? asked.filter((action) => ROLE_ACTIONS[role].includes(action)) : [];
  const granted =
    principal.kind === 'user'
      ? byRole.filter((action) => scopeAllows(principal.scopes, action))
      : byRole;
  return { granted, refusal: refusalFor(repository, asked, byRole, granted) };
}

function refusalFor(
  repository: string,
  asked: readonly RegistryAction[],
  byRole: readonly RegistryAction[],
  granted: readonly RegistryAction[],
): string | undefined {
  const lacking = byRole.find((action) => !granted.includes(action));
  if (lacking) return `this token lacks the ${SCOPE_FOR[lacking]} scope, needed to ${lacking}`;
  return granted.length < asked.length ? `permission denied on ${repository}` : undefined;
}
