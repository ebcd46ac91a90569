import type { Request, Response } from 'express';

import { SCOPES_TO } from '../access/package-scopes';
import { compareRoles } from '../packages/package';
import { LAST_VERSION, VERSION_NOT_FOUND } from '../packages/refusal-messages';
import { openPackage, requireScopes } from './access';
import type { Caller, OpenPackage } from './access';
import { ApiError } from './errors';
import { packageUrls, versionJson } from './json';
import type { PackageUrls } from './json';
import { paginate, queryValue } from './pagination';
import { PACKAGE_PATH, packageName } from './parts';
import type { ApiParts, Route } from './parts';
import { current, tagsByDigest } from './records';
import { settle } from './refusals';

/**
 * A package's versions: the active ones, and for its admins the deleted ones still in the
 * restore window. Deleting and restoring a version takes the package's admin role.
 */
const VERSION_PATH = `${PACKAGE_PATH}/versions/:id`;

async function activeJson(parts: ApiParts, open: OpenPackage, urls: PackageUrls) {
  const { versions } = await current(parts, open.repository, open.pkg);
  const digests = versions.map((version) => version.digest);
  const [tags, referrers] = await Promise.all([
    tagsByDigest(parts, open.repository),
    parts.referrers.referrersOfAll(open.repository, digests),
  ]);
  // Newest first; versions pushed within one millisecond in the order they were recorded.
  const newestFirst = [...versions].sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id,
  );
  return newestFirst.map((version) =>
    versionJson(urls, version, {
      tags: tags.get(version.digest) ?? [],
      referrers: referrers.get(version.digest),
    }),
  );
}

async function deletedJson(parts: ApiParts, open: OpenPackage, urls: PackageUrls) {
  const deleted = await parts.deletions.deletedVersions(open.repository);
  return deleted.map((d) => versionJson(urls, d.version, { tags: d.tags, deletedAt: d.deletedAt }));
}

function isAdmin(open: OpenPackage): boolean {
  return compareRoles(open.role, 'admin') >= 0;
}

async function listVersions(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, ['read:packages'], 'list package versions');
  const state = queryValue(req, 'state') ?? 'active';
  if (state !== 'active' && state !== 'deleted') {
    throw new ApiError(400, 'state must be active or deleted');
  }
  const open = await openPackage(
    parts,
    caller,
    packageName(req),
    state === 'active' ? 'read' : 'admin',
  );

  const urls = packageUrls(caller, open.pkg.record.name);
  const all =
    state === 'active' ? await activeJson(parts, open, urls) : await deletedJson(parts, open, urls);
  res.json(paginate(req, res, caller.base, all));
}

/** The id in the path; a path that names no whole number names no version. */
function versionId(req: Request): number {
  const raw = String(req.params.id);
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw new ApiError(404, VERSION_NOT_FOUND);
  return Number(raw);
}

async function getVersion(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, ['read:packages'], 'read package versions');
  const id = versionId(req);
  const open = await openPackage(parts, caller, packageName(req), 'read');

  // Deleted versions are for the admins who may restore them; to others they are gone.
  const urls = packageUrls(caller, open.pkg.record.name);
  const found =
    (await activeJson(parts, open, urls)).find((v) => v.id === id) ??
    (isAdmin(open) ? (await deletedJson(parts, open, urls)).find((v) => v.id === id) : undefined);
  if (!found) throw new ApiError(404, VERSION_NOT_FOUND);
  res.json(found);
}

async function deleteVersion(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, SCOPES_TO.delete, 'delete package versions');
  const id = versionId(req);
  const open = await openPackage(parts, caller, packageName(req), 'admin');

  const { versions } = await current(parts, open.repository, open.pkg);
  if (versions.length === 1 && versions[0]?.id === id) {
    throw new ApiError(LAST_VERSION.status, LAST_VERSION.message);
  }
  settle(
    await parts.deletions.deleteVersion(open.repository, id),
    parts.deletions,
    VERSION_NOT_FOUND,
  );
  res.status(204).end();
}

async function restoreVersion(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, SCOPES_TO.restore, 'restore package versions');
  const id = versionId(req);
  const open = await openPackage(parts, caller, packageName(req), 'admin');

  settle(
    await parts.deletions.restoreVersion(open.repository, id),
    parts.deletions,
    VERSION_NOT_FOUND,
  );
  res.status(204).end();
}

export const VERSION_ROUTES: readonly Route[] = [
  { method: 'get', path: `${PACKAGE_PATH}/versions`, handler: listVersions },
  { method: 'get', path: VERSION_PATH, handler: getVersion },
  { method: 'delete', path: VERSION_PATH, handler: deleteVersion },
  { method: 'post', path: `${VERSION_PATH}/restore`, handler: restoreVersion },
];
