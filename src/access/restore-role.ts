import type { Principal } from '../auth/principal';
import type { Directory } from '../identity/directory';
import type { PackageDeletions } from '../packages/deletion';
import { highestRole, splitRepository } from '../packages/package';
import type { PackageRole } from '../packages/package';
import type { PackageStore } from '../packages/package-store';
import { packageRole, workflowRole } from './roles';

/**
 * A principal's role on the deletions of a package name (`tokens` names which): who may
 * restore a package that is no longer there, or see its deletions. A user holds the role as
 * on a new package of the namespace (its owner, the organization's owners), as GitHub asks;
 * a workflow through the deleted package's own link or Actions access, as they were at its
 * deletion. A live package of the same name counts too, though a restore over it is refused.
 */
export interface RestoreRoleParts {
  readonly packages: PackageStore;
  readonly directory: Directory;
  readonly deletions: PackageDeletions;
}

export async function restoreRole(
  parts: RestoreRoleParts,
  principal: Principal,
  repository: string,
  tokens: readonly string[],
): Promise<PackageRole | undefined> {
  const { namespace } = splitRepository(repository);
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
  return highestRole(roles);
}
