import type { Request, Response } from 'express';

import { SCOPES_TO } from '../access/package-scopes';
import type { Grantee } from '../packages/package';
import type { PackageSettings } from '../packages/package-store';
import { PACKAGE_NOT_FOUND } from '../packages/refusal-messages';
import {
  checkGrantee,
  checkLinkTarget,
  checkVisibility,
  isPackageRole,
  SettingsError,
} from '../packages/settings';
import { openPackage, refuseWorkflow, requireScopes } from './access';
import type { Caller, OpenPackage } from './access';
import { ApiError } from './errors';
import { settingsJson } from './json';
import { PACKAGE_PATH, packageName } from './parts';
import type { ApiParts, Route } from './parts';

/**
 * crgate's settings endpoints, for what GitHub keeps in its web interface: visibility, the
 * linked repository and inheritance, and the access lists. A package admin's, through a
 * personal access token; a workflow token is refused, as GitHub refuses integrations.
 */
const SETTINGS_PATH = `${PACKAGE_PATH}/settings`;
const SETTINGS_FIELDS = ['visibility', 'repository', 'inherit_access'];

async function openSettings(
  parts: ApiParts,
  caller: Caller,
  req: Request,
  change: boolean,
): Promise<OpenPackage> {
  refuseWorkflow(caller.principal);
  requireScopes(
    caller.principal,
    change ? SCOPES_TO.change : SCOPES_TO.read,
    `${change ? 'change' : 'read'} package settings`,
  );
  return openPackage(parts, caller, packageName(req), 'admin');
}

async function answerSettings(parts: ApiParts, repository: string, res: Response) {
  const pkg = await parts.packages.get(repository);
  if (!pkg) throw new ApiError(404, PACKAGE_NOT_FOUND);
  res.json(settingsJson(pkg));
}

async function getSettings(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  const { pkg } = await openSettings(parts, caller, req, false);
  res.json(settingsJson(pkg));
}

function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'The body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** The settings a PATCH body asks for, each checked as the command line checks it. */
async function settingsOf(parts: ApiParts, repository: string, body: Record<string, unknown>) {
  const unknown = Object.keys(body).filter((field) => !SETTINGS_FIELDS.includes(field));
  if (unknown.length > 0) throw new SettingsError(`unknown fields: ${unknown.join(', ')}`);
  const { visibility, repository: linked, inherit_access: inherit } = body;

  const settings: { -readonly [K in keyof PackageSettings]: PackageSettings[K] } = {};
  if (visibility !== undefined) {
    if (typeof visibility !== 'string') throw new SettingsError('visibility must be a string');
    settings.visibility = await checkVisibility(parts.directory, repository, visibility);
  }
  if (linked === null) settings.linkedRepository = null;
  else if (linked !== undefined) {
    if (typeof linked !== 'string') throw new SettingsError('repository must be a string or null');
    settings.linkedRepository = await checkLinkTarget(parts.directory, repository, linked);
    settings.linkNote = null;
  }
  if (inherit !== undefined) {
    if (typeof inherit !== 'boolean') throw new SettingsError('inherit_access must be a boolean');
    settings.inheritAccess = inherit;
  }
  return settings;
}

async function patchSettings(parts: ApiParts, caller: Caller, req: Request, res: Response) {
  const { repository } = await openSettings(parts, caller, req, true);
  const settings = await settingsOf(parts, repository, bodyOf(req));

  if (Object.keys(settings).length > 0 && !(await parts.packages.update(repository, settings))) {
    throw new ApiError(404, PACKAGE_NOT_FOUND);
  }
  await answerSettings(parts, repository, res);
}

type GranteeKind = Grantee['kind'];

function granteeOf(kind: GranteeKind, req: Request): Grantee {
  const name =
    kind === 'repository'
      ? `${String(req.params.repoOwner)}/${String(req.params.repoName)}`
      : String(req.params.grantee);
  return { kind, name: name.toLowerCase() };
}

function putAccess(kind: GranteeKind): Route['handler'] {
  return async (parts, caller, req, res) => {
    const { repository } = await openSettings(parts, caller, req, true);
    const { role } = bodyOf(req);
    if (!isPackageRole(role)) throw new SettingsError('role must be read, write or admin');
    const grantee = granteeOf(kind, req);
    await checkGrantee(parts.directory, repository, grantee);

    if (!(await parts.packages.setRole(repository, grantee, role)))
      throw new ApiError(404, PACKAGE_NOT_FOUND);
    await answerSettings(parts, repository, res);
  };
}

function deleteAccess(kind: GranteeKind): Route['handler'] {
  return async (parts, caller, req, res) => {
    const { repository } = await openSettings(parts, caller, req, true);
    const grantee = granteeOf(kind, req);

    if (!(await parts.packages.setRole(repository, grantee, undefined))) {
      throw new ApiError(404, PACKAGE_NOT_FOUND);
    }
    res.status(204).end();
  };
}

const GRANTEE_PATHS: readonly (readonly [GranteeKind, string])[] = [
  ['user', `${SETTINGS_PATH}/access/users/:grantee`],
  ['team', `${SETTINGS_PATH}/access/teams/:grantee`],
  // `:owner` is taken: it names the package's owner in `/users/:owner` and `/orgs/:owner`.
  ['repository', `${SETTINGS_PATH}/actions/:repoOwner/:repoName`],
];

export const SETTINGS_ROUTES: readonly Route[] = [
  { method: 'get', path: SETTINGS_PATH, handler: getSettings },
  { method: 'patch', path: SETTINGS_PATH, handler: patchSettings, body: true },
  ...GRANTEE_PATHS.flatMap(([kind, path]): Route[] => [
    { method: 'put', path, handler: putAccess(kind), body: true },
    { method: 'delete', path, handler: deleteAccess(kind) },
  ]),
];
