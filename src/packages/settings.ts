import type { Directory, Visibility } from '../identity/directory';
import { PACKAGE_ROLES, splitRepository } from './package';
import type { Grantee, PackageRole } from './package';

/**
 * The checks a package setting passes before it is stored, whoever changes it: the
 * operator's `crgate package` or an admin through the REST API. Each refusal is a
 * SettingsError whose message says what to give instead.
 */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

export const VISIBILITIES: readonly Visibility[] = ['private', 'internal', 'public'];

/** A visibility the package's namespace can have: internal is for organizations only. */
export async function checkVisibility(
  directory: Directory,
  repository: string,
  value: string,
): Promise<Visibility> {
  const visibility = VISIBILITIES.find((known) => known === value);
  if (!visibility) throw new SettingsError(`visibility is ${VISIBILITIES.join(', ')}`);

  const { namespace } = splitRepository(repository);
  if (visibility === 'internal' && (await directory.namespaceKind(namespace)) !== 'org') {
    throw new SettingsError('internal visibility is for packages of organizations only');
  }
  return visibility;
}

/** The repository to link, lower case: it must exist in the package's own namespace. */
export async function checkLinkTarget(
  directory: Directory,
  repository: string,
  target: string,
): Promise<string> {
  const linked = target.toLowerCase();
  if (!linked.startsWith(`${splitRepository(repository).namespace}/`)) {
    throw new SettingsError(`${target} is not in the namespace of ${repository}`);
  }
  if (!(await directory.repository(linked))) throw new SettingsError(`no repository ${target}`);
  return linked;
}

/** A grantee must exist; a team must be a team of the namespace's organization. */
export async function checkGrantee(
  directory: Directory,
  repository: string,
  grantee: Grantee,
): Promise<void> {
  const { namespace } = splitRepository(repository);
  const exists =
    grantee.kind === 'user'
      ? await directory.userExists(grantee.name)
      : grantee.kind === 'team'
        ? await directory.teamExists(namespace, grantee.name)
        : (await directory.repository(grantee.name)) !== undefined;
  if (!exists) throw new SettingsError(`no ${grantee.kind} ${grantee.name} for ${repository}`);
}

export function isPackageRole(value: unknown): value is PackageRole {
  return PACKAGE_ROLES.some((role) => role === value);
}
