import express from 'express';
import type { Request, Response } from 'express';

import type { PatRecord } from '../auth/token-store';
import { clearCookie } from './cookies';
import { allowOwnScript, COPY_SCRIPT_PATH } from './copy-script';
import { isSecure } from './csrf';
import { csrfChecked, formBody, signedIn } from './forms';
import { html } from './html';
import { sendNotFound, sendPage } from './layout';
import { registryHostOf } from './parts';
import type { WebParts } from './parts';
import type { SessionStore } from './sessions';
import { sendTokenForm, valuesFromQuery } from './token-form';
import type { SessionLimit } from './token-form';
import { sendTokenList } from './token-list';
import { checkSubmission, valuesOf } from './token-submission';
import { SESSION_COOKIE } from './viewer';
import type { Viewer } from './viewer';

/**
 * Personal access tokens on the web origin, at GitHub's paths: `/settings/tokens` lists the
 * viewer's own, `/settings/tokens/new` is the form, a POST creates one and shows its secret
 * once, and each token has a revoke form. A session gives a new token no more than the token
 * it signed in with holds (its scopes, and its expiry), so a leaked read-only token never
 * turns into a write token through these pages.
 */
const TOKEN_ID = /^[0-9a-f]{16}$/;

/** The sign-in token's scopes and expiry; undefined once that token is gone. */
async function sessionLimit(parts: WebParts, viewer: Viewer): Promise<SessionLimit | undefined> {
  const record = await parts.tokens.get(viewer.tokenId);
  if (record?.kind !== 'pat') return undefined;
  const expiresAt = record.expiresAt === undefined ? undefined : Date.parse(record.expiresAt);
  return { scopes: viewer.scopes, expiresAt };
}

function sendCreated(
  req: Request,
  res: Response,
  parts: WebParts,
  secret: string,
  record: PatRecord,
) {
  allowOwnScript(res);
  sendPage(req, res, {
    status: 201,
    title: 'New personal access token',
    main: html`<h1>Personal access tokens (classic)</h1>
      <p class="notice" role="status">
        Make sure to copy your personal access token now. You won’t be able to see it again!
      </p>
      <label for="new-token"> <strong>${record.note}</strong> — ${record.scopes.join(', ')} </label>
      <div class="copy-row">
        <input
          id="new-token"
          class="token-value"
          readonly
          autocomplete="off"
          spellcheck="false"
          value="${secret}"
        />
        <button type="button" hidden data-copy="new-token" data-copy-status="copy-status">
          Copy
        </button>
      </div>
      <p id="copy-status" class="muted" aria-live="polite"></p>
      <p>Sign in to the registry with it as the password:</p>
      <pre
        class="command"
      ><code>docker login ${registryHostOf(req, parts)} -u ${record.user}</code></pre>
      <p><a href="/settings/tokens">Back to personal access tokens</a></p>
      <script src="${COPY_SCRIPT_PATH}"></script>`,
  });
}

async function listTokens(parts: WebParts, req: Request, res: Response) {
  const viewer = signedIn(req, res);
  if (!viewer) return;
  const records = await parts.tokens.list(viewer.login, { includeExpired: true });
  sendTokenList(req, res, records, viewer.tokenId);
}

async function newToken(parts: WebParts, req: Request, res: Response) {
  const viewer = signedIn(req, res);
  if (!viewer) return;
  const limit = await sessionLimit(parts, viewer);
  if (!limit) return res.redirect(303, '/login');
  const { values, ignored } = valuesFromQuery(req, limit, Date.now());
  sendTokenForm(req, res, { status: 200, values, limit, ignored });
}

async function createToken(parts: WebParts, req: Request, res: Response) {
  const viewer = signedIn(req, res);
  if (!viewer) return;
  const limit = await sessionLimit(parts, viewer);
  if (!limit) return res.redirect(303, '/login');
  const values = valuesOf(req.body);
  const checked = checkSubmission(values, limit, Date.now());
  if (!('request' in checked)) {
    return sendTokenForm(req, res, { status: checked.status, values, limit, error: checked.error });
  }

  const { note, scopes, expiresAt } = checked.request;
  const { secret, record } = await parts.tokens.createPat({
    user: viewer.login,
    scopes,
    note,
    expiresInMs: expiresAt === undefined ? undefined : expiresAt - Date.now(),
  });
  parts.logger.info('personal access token created', { user: viewer.login, tokenId: record.id });
  sendCreated(req, res, parts, secret, record);
}

async function revokeToken(parts: WebParts, sessions: SessionStore, req: Request, res: Response) {
  const viewer = signedIn(req, res);
  if (!viewer) return;
  const id = String(req.params.id);
  const record = TOKEN_ID.test(id) ? await parts.tokens.getIncludingExpired(id) : undefined;
  // Another user's token is answered as one that never was.
  if (record?.kind !== 'pat' || record.user !== viewer.login.toLowerCase()) {
    return sendNotFound(req, res);
  }

  await parts.tokens.revoke(id);
  parts.logger.info('personal access token revoked', { user: viewer.login, tokenId: id });
  if (id !== viewer.tokenId) return res.redirect(303, '/settings/tokens?notice=revoked');

  // The session stood on this token, so it ends with it (viewer.ts would end it next request).
  await sessions.delete(viewer.sessionId);
  clearCookie(res, SESSION_COOKIE, { sameSite: 'Lax', secure: isSecure(req) });
  res.redirect(303, `/login?return_to=${encodeURIComponent('/settings/tokens')}`);
}

/** GitHub's token pages are at the same paths, and take the same `scopes` and `description`. */
function githubTokenPages(githubWebUrl: string): express.Router {
  const router = express.Router();
  const toGitHub = (req: Request, res: Response) => {
    const query = new URL(req.originalUrl, 'http://localhost').search;
    res.redirect(302, `${githubWebUrl}${req.path}${query}`);
  };
  router.get('/settings/tokens', toGitHub);
  router.get('/settings/tokens/new', toGitHub);
  return router;
}

export function createTokenPages(parts: WebParts, sessions: SessionStore): express.Router {
  if (parts.githubWebUrl) return githubTokenPages(parts.githubWebUrl);
  const router = express.Router();
  // A note of 255 characters, encoded, and a few short fields.
  const form = formBody('8kb', 8);

  router.get('/settings/tokens', (req, res) => listTokens(parts, req, res));
  router.get('/settings/tokens/new', (req, res) => newToken(parts, req, res));
  router.post('/settings/tokens', form, csrfChecked, (req, res) => createToken(parts, req, res));
  router.post('/settings/tokens/:id/revoke', form, csrfChecked, (req, res) =>
    revokeToken(parts, sessions, req, res),
  );
  return router;
}
