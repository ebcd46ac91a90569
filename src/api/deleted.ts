import { packageRole, workflowRole } from '../access/roles';
import { highestRole } from '../packages/package';
import { requireRole } from './access';
import type { Caller } from './access';
import type { ApiParts } from './parts';

/**
 * Refuses a caller who is not an admin of the deletions named by `tokens`: who may restore a
 * package that is no longer there, or see its deletions. A user holds the role as on a new
 * package of the namespace (its owner, the organization's owners), as GitHub asks; a workflow
 * through the deleted package's own link or Actions access, as they were at its deletion. A
 * live package of the same name counts too, though a restore over it is refused.
 */
export async function requireRestoreRole(
  parts: ApiParts,
  caller: Caller,
  repository: string,
  tokens: readonly string[],
): Promise<void> {
  const { principal, namespace } = caller;
  const live = await parts.packages.get(repository);
  // For a package that does not exist, packageRole answers who may create one: right for
  // users, too wide for workflows, which may create every package of their namespace.
  const roles =
    live || principal.kind === 'user'
      ? [await packageRole(parts.directory, principal, namespace, live)]
      : [];
  if (principal.kind === 'workflow') {
    const deleted = await parts.deletions.deletedSettings(repository, tokens);
    roles.push(...deleted.map((pkg) => workflowRole(principal, namespace, pkg)));
  }
  requireRole(highestRole(roles), 'admin');
}
