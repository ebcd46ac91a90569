import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { authenticate } from '../api/auth';
import type { ApiAuthParts } from '../api/auth';
import { ApiError, apiErrorHandler } from '../api/errors';
import { parseScopes, TokenStoreError } from '../auth/token-store';
import type { PatRecord, TokenRecord, TokenStore } from '../auth/token-store';
import type { Directory } from '../identity/directory';
import type { WebParts } from './parts';

/**
 * The token administration API for site administrators, on the web origin under
 * `/api/v3/admin`: what `crgate token` does on the command line, over HTTP. Authentication
 * is a site administrator's personal access token, sent as GitHub's API takes it
 * (`Authorization: token ghp_...` or `Bearer ghp_...`). Errors are GitHub's JSON.
 */
export interface AdminParts extends ApiAuthParts, Pick<WebParts, 'logger' | 'redis'> {
  readonly tokens: TokenStore;
  readonly directory: Directory;
}

const DOCUMENTATION_URL = 'https://github.com/crgate/crgate#tokens';
const DAY_MS = 24 * 3600 * 1000;
const MINUTE_MS = 60 * 1000;

function requireSiteAdmin(parts: AdminParts) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const principal = await authenticate(parts, req);
    const admin = principal.kind === 'user' && (await parts.directory.isSiteAdmin(principal.login));
    if (!admin) throw new ApiError(403, 'Must be a site administrator');
    next();
  };
}

function describe(record: TokenRecord) {
  const common = {
    id: record.id,
    created_at: record.createdAt,
    expires_at: record.expiresAt ?? null,
  };
  if (record.kind === 'workflow') {
    return { ...common, repository: record.repository, permission: record.permission };
  }
  return {
    ...common,
    user: record.user,
    scopes: record.scopes,
    note: record.note,
    sso_orgs: record.ssoOrgs,
  };
}

function positiveWhole(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ApiError(422, `${name} must be a positive whole number`);
  }
  return value;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new ApiError(422, `${name} must be a list of strings`);
  }
  return value as string[];
}

async function createPat(parts: AdminParts, req: Request, res: Response) {
  const login = String(req.params.login);
  if (!(await parts.directory.userExists(login))) throw new ApiError(404, 'Not Found');
  const body = (req.body ?? {}) as Record<string, unknown>;
  const scopes = parseScopes(stringList(body.scopes, 'scopes').join(','));
  if (scopes.length === 0) throw new ApiError(422, 'scopes must name at least one scope');
  const days = positiveWhole(body.expires_in_days, 'expires_in_days');

  const { secret, record } = await parts.tokens.createPat({
    user: login,
    scopes,
    note: typeof body.note === 'string' ? body.note : '',
    expiresInMs: days === undefined ? undefined : days * DAY_MS,
    ssoOrgs: stringList(body.sso_orgs, 'sso_orgs'),
  });
  res.status(201).json({ ...describe(record), token: secret });
}

async function createWorkflowToken(parts: AdminParts, req: Request, res: Response) {
  const repository = `${req.params.owner}/${req.params.repo}`;
  if (!(await parts.directory.repository(repository))) throw new ApiError(404, 'Not Found');
  const body = (req.body ?? {}) as Record<string, unknown>;
  const permission = body.permission ?? 'write';
  if (permission !== 'read' && permission !== 'write') {
    throw new ApiError(422, 'permission must be read or write');
  }
  const minutes = positiveWhole(body.expires_in_minutes, 'expires_in_minutes') ?? 60;

  const { secret, record } = await parts.tokens.createWorkflowToken({
    repository,
    permission,
    expiresInMs: minutes * MINUTE_MS,
  });
  res.status(201).json({ ...describe(record), token: secret });
}

async function listPats(parts: AdminParts, req: Request, res: Response) {
  const records: PatRecord[] = await parts.tokens.list(String(req.params.login));
  res.json(records.map(describe));
}

async function revoke(parts: AdminParts, req: Request, res: Response) {
  if (!(await parts.tokens.revoke(String(req.params.id)))) throw new ApiError(404, 'Not Found');
  res.status(204).end();
}

export function createAdminRouter(parts: AdminParts) {
  const router = express.Router();
  router.use(express.json({ limit: '16kb' }));
  router.use(requireSiteAdmin(parts));

  router.post('/users/:login/tokens', (req, res) => createPat(parts, req, res));
  router.get('/users/:login/tokens', (req, res) => listPats(parts, req, res));
  router.delete('/tokens/:id', (req, res) => revoke(parts, req, res));
  router.post('/repos/:owner/:repo/workflow-tokens', (req, res) =>
    createWorkflowToken(parts, req, res),
  );

  // What the token store refuses is the request's fault: a scope it does not know, say.
  router.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(error instanceof TokenStoreError ? new ApiError(422, error.message) : error);
  });
  router.use(apiErrorHandler(DOCUMENTATION_URL, parts));
  return router;
}
