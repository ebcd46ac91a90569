import { restoreRole } from '../access/restore-role';
import { requireRole } from './access';
import type { Caller } from './access';
import type { ApiParts } from './parts';

/**
 * Refuses a caller who is not an admin of the deletions named by `tokens` (restore-role.ts
 * says who is): 404 to one without a role, as for a package they cannot see.
 */
export async function requireRestoreRole(
  parts: ApiParts,
  caller: Caller,
  repository: string,
  tokens: readonly string[],
): Promise<void> {
  requireRole(await restoreRole(parts, caller.principal, repository, tokens), 'admin');
}
