import type { Request } from 'express';

import { packageRole } from '../access/roles';
import type { NamespaceKind } from '../identity/directory';
import type { Package, PackageRole } from '../packages/package';
import type { WebParts } from './parts';
import { principalIn } from './viewer';

/**
 * Which packages a page may show, and where their pages live. Pages follow GitHub's URLs:
 * `/users/NAME/...` for a user's namespace and `/orgs/NAME/...` for an organization's, each
 * only for a namespace of that kind. A package the viewer holds no role on is as missing as
 * one that does not exist: both are 404, so a private package's name stays private.
 */
export type NamespaceRoute = 'users' | 'orgs';

export const NAMESPACE_ROUTES: readonly NamespaceRoute[] = ['users', 'orgs'];

const KIND_OF_ROUTE: Readonly<Record<NamespaceRoute, NamespaceKind>> = {
  users: 'user',
  orgs: 'org',
};

export interface VisiblePackage {
  readonly repository: string;
  readonly pkg: Package;
  readonly role: PackageRole;
}

/** The namespace a path names, when it exists and is of the path's kind. */
export async function namespaceOf(
  parts: WebParts,
  route: NamespaceRoute,
  owner: string,
): Promise<string | undefined> {
  const namespace = owner.toLowerCase();
  const kind = await parts.directory.namespaceKind(namespace);
  return kind === KIND_OF_ROUTE[route] ? namespace : undefined;
}

/** The package, when it exists and the viewer holds a role on it (read at least). */
export async function visiblePackage(
  parts: WebParts,
  req: Request,
  namespace: string,
  name: string,
): Promise<VisiblePackage | undefined> {
  const repository = `${namespace}/${name.toLowerCase()}`;
  const pkg = await parts.packages.get(repository);
  if (!pkg) return undefined;

  const principal = await principalIn(parts.directory, req, namespace);
  const role = await packageRole(parts.directory, principal, namespace, pkg);
  return role ? { repository, pkg, role } : undefined;
}

/** A package's page, with its name in one path segment as GitHub writes it (`app%2Frelease`). */
export function packageHref(route: NamespaceRoute, namespace: string, name: string): string {
  return `/${route}/${encodeURIComponent(namespace)}/packages/container/package/${encodeURIComponent(name)}`;
}

export function namespaceHref(route: NamespaceRoute, namespace: string): string {
  return `/${route}/${encodeURIComponent(namespace)}/packages`;
}

/** A package's settings page, at GitHub's path, the name in one segment as for packageHref. */
export function settingsHref(route: NamespaceRoute, namespace: string, name: string): string {
  return `/${route}/${encodeURIComponent(namespace)}/packages/container/${encodeURIComponent(name)}/settings`;
}

/** The namespace's deleted packages, for those who may restore them. */
export function deletedHref(route: NamespaceRoute, namespace: string): string {
  return `${namespaceHref(route, namespace)}/deleted`;
}

/** A wildcard path parameter, which Express gives as decoded segments, as one name. */
export function joinedSegments(value: unknown): string {
  const segments = Array.isArray(value) ? value : [value];
  return segments.filter((segment) => typeof segment === 'string' && segment !== '').join('/');
}
