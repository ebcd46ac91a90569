import type { Request } from 'express';

import { missingScopes } from '../access/package-scopes';
import { packageRole } from '../access/roles';
import { ssoRefusal } from '../access/sso';
import type { Principal } from '../auth/principal';
import type { PackageScope } from '../auth/token-store';
import type { NamespaceKind } from '../identity/directory';
import { compareRoles } from '../packages/package';
import { PACKAGE_NOT_FOUND } from '../packages/refusal-messages';
import type { Package, PackageRole } from '../packages/package';
import { requestFacts } from '../telemetry/access-log';
import { authenticate } from './auth';
import { ApiError } from './errors';
import type { ApiParts } from './parts';

/**
 * Who is asking the Packages API, about which namespace, and what they may do there: the
 * token's scopes first, then the caller's role on the package (DESIGN.md, "Who may do what").
 * A package the caller cannot see is not found, never forbidden, so its name stays private.
 */
export type OwnerRoute = 'self' | 'user' | 'org';

export interface Caller {
  readonly principal: Principal;
  readonly namespace: string;
  readonly kind: NamespaceKind;
  /** `scheme://host[:port]` as the client reached the web origin. */
  readonly base: string;
}

export interface OpenPackage {
  readonly repository: string;
  readonly pkg: Package;
  readonly role: PackageRole;
}

const INTEGRATION = 'Resource not accessible by integration';

/** A GITHUB_TOKEN stands for a repository, not a user: user-level endpoints refuse it. */
export function refuseWorkflow(principal: Principal): void {
  if (principal.kind === 'workflow') throw new ApiError(403, INTEGRATION);
}

async function namespaceOf(parts: ApiParts, principal: Principal, route: OwnerRoute, req: Request) {
  if (route === 'self') {
    refuseWorkflow(principal);
    if (principal.kind !== 'user') throw new ApiError(401, 'Requires authentication');
    return { namespace: principal.login, kind: 'user' as const };
  }
  const namespace = String(req.params.owner).toLowerCase();
  const kind = await parts.directory.namespaceKind(namespace);
  if (kind !== route) throw new ApiError(404, 'Not Found');
  return { namespace, kind };
}

/** An organization that requires SSO refuses a token not authorized for it, as the registry does. */
async function checkSso(parts: ApiParts, principal: Principal, namespace: string) {
  const refusal = await ssoRefusal(parts.directory, principal, namespace);
  if (refusal) throw new ApiError(403, refusal);
}

export async function callerOf(parts: ApiParts, route: OwnerRoute, req: Request): Promise<Caller> {
  const principal = await authenticate(parts, req);
  const { namespace, kind } = await namespaceOf(parts, principal, route, req);
  await checkSso(parts, principal, namespace);
  const base = requestFacts(req)?.public?.base ?? `${parts.scheme}://${parts.hostname}`;
  return { principal, namespace, kind, base };
}

/** A user's token must carry the scopes; a workflow's permission is capped by its role. */
export function requireScopes(
  principal: Principal,
  needed: readonly PackageScope[],
  doing: string,
) {
  if (principal.kind !== 'user') return;
  const missing = missingScopes(principal.scopes, needed);
  if (missing.length === 0) return;
  throw new ApiError(403, `This token needs the ${missing.join(' and ')} scope to ${doing}`, {
    'X-Accepted-OAuth-Scopes': needed.join(', '),
  });
}

/** Refuses a caller whose role is below what the endpoint needs. */
export function requireRole(role: PackageRole | undefined, needed: PackageRole): PackageRole {
  if (!role) throw new ApiError(404, PACKAGE_NOT_FOUND);
  if (compareRoles(role, needed) < 0) {
    throw new ApiError(403, `You need the ${needed} role on this package`);
  }
  return role;
}

/** The package named in the path, when the caller holds at least `needed` on it. */
export async function openPackage(
  parts: ApiParts,
  caller: Caller,
  name: string,
  needed: PackageRole,
): Promise<OpenPackage> {
  const repository = `${caller.namespace}/${name}`;
  const pkg = await parts.packages.get(repository);
  if (!pkg) throw new ApiError(404, PACKAGE_NOT_FOUND);
  const role = await packageRole(parts.directory, caller.principal, caller.namespace, pkg);
  return { repository, pkg, role: requireRole(role, needed) };
}
