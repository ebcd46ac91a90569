import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { SCOPES_TO } from '../access/package-scopes';
import { packageRole } from '../access/roles';
import { PACKAGE_NOT_FOUND } from '../packages/refusal-messages';
import { SettingsError, VISIBILITIES } from '../packages/settings';
import type { WebParts } from '../web/parts';
import { callerOf, openPackage, requireScopes } from './access';
import type { Caller, OwnerRoute } from './access';
import { requireRestoreRole } from './deleted';
import { ApiError, apiErrorHandler } from './errors';
import { ownerJson, packageJson } from './json';
import { paginate, queryValue } from './pagination';
import { PACKAGE_PATH, packageName } from './parts';
import type { ApiParts, Route } from './parts';
import { current } from './records';
import { settle } from './refusals';
import { SETTINGS_ROUTES } from './settings';
import { OWNER_IDS_KEY, REPOSITORY_IDS_KEY, StableIds } from './stable-ids';
import { VERSION_ROUTES } from './versions';

/**
 * GitHub's REST "Packages" API for container packages, under `/api/v3`, for the packages of
 * the signed-in user (`/user`), of a user (`/users/:owner`) and of an organization
 * (`/orgs/:owner`); and crgate's own settings endpoints, which GitHub keeps in its web UI.
 */
const DOCUMENTATION_URL = 'https://docs.github.com/rest/packages/packages';

const OWNER_PREFIXES: readonly (readonly [string, OwnerRoute])[] = [
  ['/user', 'self'],
  ['/users/:owner', 'user'],
  ['/orgs/:owner', 'org'],
];

function listFilters(req: Request) {
  const packageType = queryValue(req, 'package_type');
  if (packageType === undefined) throw new ApiError(400, 'package_type is required');
  if (packageType !== 'container') {
    throw new ApiError(400, 'package_type must be container: crgate holds container packages');
  }
  const visibility = queryValue(req, 'visibility');
  if (visibility !== undefined && !VISIBILITIES.some((known) => known === visibility)) {
    throw new ApiError(400, `visibility must be one of ${VISIBILITIES.join(', ')}`);
  }
  return { visibility };
}

/** The namespace's packages the caller can read, in name order. */
async function readable(parts: ApiParts, caller: Caller, visibility: string | undefined) {
  const readableOne = async (repository: string) => {
    const pkg = await parts.packages.get(repository);
    if (!pkg || (visibility && pkg.record.visibility !== visibility)) return [];
    const role = await packageRole(parts.directory, caller.principal, caller.namespace, pkg);
    return role ? [{ repository, pkg }] : [];
  };
  const repositories = await parts.packages.inNamespace(caller.namespace);
  return (await Promise.all(repositories.map(readableOne))).flat();
}

async function listPackages(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, ['read:packages'], 'list packages');
  const { visibility } = listFilters(req);

  const page = paginate(req, res, caller.base, await readable(parts, caller, visibility));
  const owner = await ownerJson(parts, caller.base, caller.namespace, caller.kind);
  const shown = page.map(async ({ repository, pkg }) => {
    const { pkg: withIds, versions } = await current(parts, repository, pkg);
    return packageJson(parts, caller, owner, withIds, versions.length);
  });
  res.json(await Promise.all(shown));
}

async function getPackage(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, ['read:packages'], 'read packages');
  const { repository, pkg } = await openPackage(parts, caller, packageName(req), 'read');

  const { pkg: withIds, versions } = await current(parts, repository, pkg);
  const owner = await ownerJson(parts, caller.base, caller.namespace, caller.kind);
  res.json(await packageJson(parts, caller, owner, withIds, versions.length));
}

async function deletePackage(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, SCOPES_TO.delete, 'delete packages');
  const { repository } = await openPackage(parts, caller, packageName(req), 'admin');

  settle(await parts.deletions.deletePackage(repository), parts.deletions, PACKAGE_NOT_FOUND);
  res.status(204).end();
}

async function restorePackage(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, SCOPES_TO.restore, 'restore packages');
  const repository = `${caller.namespace}/${packageName(req)}`;
  const token =
    queryValue(req, 'token') || (await parts.deletions.deletedPackages(repository))[0]?.token;
  await requireRestoreRole(parts, caller, repository, token ? [token] : []);

  settle(
    await parts.deletions.restorePackage(repository, token),
    parts.deletions,
    PACKAGE_NOT_FOUND,
  );
  res.status(204).end();
}

/** crgate's own: the deletions of this package name, whose tokens a restore may name. */
async function listDeletedPackages(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  requireScopes(caller.principal, ['read:packages'], 'list deleted packages');
  const repository = `${caller.namespace}/${packageName(req)}`;
  const deleted = await parts.deletions.deletedPackages(repository);
  await requireRestoreRole(
    parts,
    caller,
    repository,
    deleted.map((d) => d.token),
  );

  res.json(
    deleted.map((d) => ({
      token: d.token,
      deleted_at: d.deletedAt,
      version_count: d.versionCount,
    })),
  );
}

const PACKAGE_ROUTES: readonly Route[] = [
  { method: 'get', path: '/packages', handler: listPackages },
  { method: 'get', path: PACKAGE_PATH, handler: getPackage },
  { method: 'delete', path: PACKAGE_PATH, handler: deletePackage },
  { method: 'post', path: `${PACKAGE_PATH}/restore`, handler: restorePackage },
  { method: 'get', path: `${PACKAGE_PATH}/deleted`, handler: listDeletedPackages },
];

export function createPackagesApi(web: WebParts): express.Router {
  const parts: ApiParts = {
    ...web,
    ownerIds: new StableIds(web.redis, OWNER_IDS_KEY),
    repositoryIds: new StableIds(web.redis, REPOSITORY_IDS_KEY),
  };
  const router = express.Router();
  const json = express.json({ limit: '16kb' });

  for (const [prefix, owner] of OWNER_PREFIXES) {
    for (const route of [...PACKAGE_ROUTES, ...VERSION_ROUTES, ...SETTINGS_ROUTES]) {
      router[route.method](
        prefix + route.path,
        route.body ? json : [],
        async (req: Request, res: Response) => {
          await route.handler(parts, await callerOf(parts, owner, req), req, res);
        },
      );
    }
  }

  // A setting the checks refuse is the request's fault.
  router.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(error instanceof SettingsError ? new ApiError(422, error.message) : error);
  });
  router.use(apiErrorHandler(DOCUMENTATION_URL, parts));
  return router;
}
