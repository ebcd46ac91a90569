import express from 'express';
import type { Request, Response } from 'express';

import { CredentialsError, RateLimitedError } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { principalId } from '../auth/principal';
import { requestFacts } from '../telemetry/access-log';
import { clearCookie, setCookie } from './cookies';
import { csrfInput, csrfToken, isSecure, renewCsrfToken } from './csrf';
import { errorAlert, html } from './html';
import { csrfChecked, field, formBody } from './forms';
import { sendPage } from './layout';
import type { WebParts } from './parts';
import { SESSION_TTL_MS } from './sessions';
import type { SessionStore } from './sessions';
import { SESSION_COOKIE, viewerOf } from './viewer';

/**
 * Signing in on the web origin with a username and a personal access token, and signing out.
 * The token is checked as the registry checks a password, under the same failure limits; it
 * is never stored, logged or written back into a page. A session is a cookie of the web
 * origin only (host-only, HttpOnly, SameSite=Lax), so the registry origin never sees it.
 */
const INCORRECT = 'Incorrect username or token.';
const NOT_FOR_WORKFLOWS = 'A workflow token cannot sign in; use a personal access token.';

/** A local path to go back to: one leading `/`, never `//` or a backslash (another host). */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/';
  if (!/^\/(?![/\\])/.test(value) || /[\\\p{Cc}]/u.test(value)) return '/';
  const url = new URL(value, 'http://crgate.invalid');
  return url.origin === 'http://crgate.invalid' ? url.pathname + url.search + url.hash : '/';
}

interface FormState {
  readonly status: number;
  readonly login?: string;
  readonly error?: string;
}

function sendForm(req: Request, res: Response, returnTo: string, state: FormState) {
  const action = `/login?return_to=${encodeURIComponent(returnTo)}`;
  sendPage(req, res, {
    status: state.status,
    title: 'Sign in',
    main: html`<h1>Sign in to crgate</h1>
      ${errorAlert(state.error)}
      <form class="sign-in" method="post" action="${action}">
        ${csrfInput(csrfToken(req, res))}
        <label for="login">Username</label>
        <input
          id="login"
          name="login"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          value="${state.login ?? ''}"
        />
        <label for="password">Personal access token</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">
        Use a personal access token (classic) of your account, as for <code>docker login</code>.
      </p>`,
  });
}

type SignInCheck =
  | { readonly principal: Principal & { kind: 'user' } }
  | { readonly status: number; readonly error: string; readonly retryAfterSeconds?: number };

/** The user a token and username stand for, or the words that refuse them. */
async function checkSignIn(
  parts: WebParts,
  req: Request,
  login: string,
  token: string,
): Promise<SignInCheck> {
  let principal: Principal;
  try {
    principal = await parts.passwords.check(token, login, parts.addressOf(req));
  } catch (error) {
    if (error instanceof CredentialsError) return { status: 401, error: INCORRECT };
    if (error instanceof RateLimitedError) {
      return { status: 429, error: error.message, retryAfterSeconds: error.retryAfterSeconds };
    }
    throw error;
  }

  if (principal.kind === 'workflow') return { status: 401, error: NOT_FOR_WORKFLOWS };
  // ghcr.io ignores the username of a token; a page that says "Signed in as" cannot.
  if (principal.kind !== 'user' || principal.login.toLowerCase() !== login.trim().toLowerCase()) {
    return { status: 401, error: INCORRECT };
  }
  return { principal };
}

async function signIn(parts: WebParts, sessions: SessionStore, req: Request, res: Response) {
  const returnTo = safeReturnTo(req.query.return_to);
  const login = field(req.body, 'login');

  const checked = await checkSignIn(parts, req, login, field(req.body, 'password'));
  if (!('principal' in checked)) {
    if (checked.retryAfterSeconds) res.set('Retry-After', String(checked.retryAfterSeconds));
    return sendForm(req, res, returnTo, { ...checked, login });
  }

  // A new session id on every sign-in, and the old session gone: no fixation.
  const previous = viewerOf(req);
  if (previous) await sessions.delete(previous.sessionId);
  const { login: user, tokenId, scopes, ssoOrgs } = checked.principal;
  // A token whose revoke crgate cannot see by its id is kept, sealed, to ask about again.
  const kept = parts.passwords.verifier.tracksRevocation ? undefined : field(req.body, 'password');
  const { id } = await sessions.create(user, { tokenId, scopes, ssoOrgs }, kept);
  setCookie(res, SESSION_COOKIE, id, {
    sameSite: 'Lax',
    secure: isSecure(req),
    maxAgeSeconds: SESSION_TTL_MS / 1000,
  });
  renewCsrfToken(req, res);
  const facts = requestFacts(req);
  if (facts) facts.principal = principalId(checked.principal);
  res.redirect(303, returnTo);
}

async function signOut(sessions: SessionStore, req: Request, res: Response) {
  const viewer = viewerOf(req);
  if (viewer) await sessions.delete(viewer.sessionId);
  clearCookie(res, SESSION_COOKIE, { sameSite: 'Lax', secure: isSecure(req) });
  res.redirect(303, '/');
}

export function createSignInRouter(parts: WebParts, sessions: SessionStore): express.Router {
  const router = express.Router();
  // Two short fields and a token: anything bigger is not this form.
  const form = formBody();

  router.get('/login', (req: Request, res: Response) => {
    const returnTo = safeReturnTo(req.query.return_to);
    if (viewerOf(req)) return res.redirect(303, returnTo);
    sendForm(req, res, returnTo, { status: 200 });
  });
  router.post('/login', form, csrfChecked, (req: Request, res: Response) =>
    signIn(parts, sessions, req, res),
  );
  router.post('/logout', form, csrfChecked, (req: Request, res: Response) =>
    signOut(sessions, req, res),
  );
  return router;
}
