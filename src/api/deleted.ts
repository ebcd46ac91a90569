import { packageRole } from '../access/roles';
import type { Principal } from '../auth/principal';
import { snapshotPairs } from '../packages/deletion';
import { highestRole } from '../packages/package';
import type { PackageRole } from '../packages/package';
import { PACKAGE_KEYS } from '../packages/package-keys';
import { isPackageRole } from '../packages/settings';
import { requireRole } from './access';
import type { Caller } from './access';
import type { ApiParts } from './parts';

/**
 * Who may restore a deleted package, or see its deletions: an admin of a package that is no
 * longer there. A user holds the role as on a new package of the namespace (its owner, the
 * organization's owners), as GitHub asks; a workflow through the deleted package's own link
 * or Actions access, kept in the deletion's snapshot. A live package of the same name counts
 * too, though a restore over it is refused.
 */
type Workflow = Principal & { kind: 'workflow' };

// The snapshot keeps the package's record and access hashes as name/value lists; the field
// names are those of package-store.ts.
interface SnapshotAccess {
  readonly record: readonly string[] | Record<string, never>;
  readonly access: readonly string[] | Record<string, never>;
}

function snapshotRole(workflow: Workflow, json: string): PackageRole | undefined {
  const snapshot = JSON.parse(json) as SnapshotAccess;
  const record = new Map(snapshotPairs(snapshot.record));
  const listed = new Map(snapshotPairs(snapshot.access)).get(`repository:${workflow.repository}`);
  const role =
    record.get('linked_repository') === workflow.repository
      ? 'admin'
      : isPackageRole(listed)
        ? listed
        : undefined;
  // A GITHUB_TOKEN with `packages: read` reads, whatever its repository may do.
  return workflow.permission === 'read' && role ? 'read' : role;
}

async function snapshotRoles(
  parts: ApiParts,
  workflow: Workflow,
  repository: string,
  tokens: readonly string[],
) {
  if (tokens.length === 0) return [];
  const jsons = await parts.redis.hmget(PACKAGE_KEYS.trash(repository), ...tokens);
  return jsons.flatMap((json) => (json === null ? [] : [snapshotRole(workflow, json)]));
}

/** Refuses a caller who is not an admin of the deletions named by `tokens`. */
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
    roles.push(...(await snapshotRoles(parts, principal, repository, tokens)));
  }
  requireRole(highestRole(roles), 'admin');
}
