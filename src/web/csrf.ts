import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { Request, Response } from 'express';

import { requestFacts } from '../telemetry/access-log';
import { readCookie, setCookie } from './cookies';
import { html } from './html';
import type { Html } from './html';

/**
 * Cross-site request forgery defences for every form of the web origin: the form carries the
 * token of the browser's `crgate_csrf` cookie in a hidden field (the double-submit pattern),
 * and the browser's own word on where the request came from, `Sec-Fetch-Site` and `Origin`,
 * must not name another origin. A sibling subdomain could plant a cookie of its own, but its
 * form would still carry its own `Origin`.
 */
export const CSRF_COOKIE = 'crgate_csrf';
export const CSRF_FIELD = 'csrf_token';

const issued = new WeakMap<Request, string>();

/** Whether the client reached crgate over HTTPS, so cookies must be `Secure`. */
export function isSecure(req: Request): boolean {
  return requestFacts(req)?.public?.scheme === 'https';
}

function issue(req: Request, res: Response): string {
  const token = randomBytes(32).toString('base64url');
  // SameSite=Strict: the cookie never goes along with a request another site started.
  setCookie(res, CSRF_COOKIE, token, { sameSite: 'Strict', secure: isSecure(req) });
  issued.set(req, token);
  return token;
}

/** The token a form of this page carries: the browser's, or a new one set with the answer. */
export function csrfToken(req: Request, res: Response): string {
  return issued.get(req) ?? readCookie(req, CSRF_COOKIE) ?? issue(req, res);
}

/** The hidden field that carries a form's CSRF token. */
export function csrfInput(token: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}" />`;
}

/** A fresh token, so none known before a sign-in stays valid after it. */
export function renewCsrfToken(req: Request, res: Response): string {
  return issue(req, res);
}

function sameValue(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Whether the browser says the request came from another origin. `Sec-Fetch-Site` (Fetch
 * Metadata) must say `same-origin` where a browser sends it; a sibling subdomain is
 * `same-site`, and refused too. The web origin answers with `Referrer-Policy: no-referrer`,
 * under which browsers send `Origin: null` even for a form of the same origin (Fetch, "append a
 * request Origin header"), so `null` counts only where Fetch Metadata vouches for it.
 */
function crossOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (origin === 'null') return site !== 'same-origin';
  return origin !== undefined && origin !== requestFacts(req)?.public?.base;
}

/** Whether a form submission may be acted on. */
export function formAccepted(req: Request, submitted: unknown): boolean {
  if (crossOrigin(req)) return false;
  const cookie = readCookie(req, CSRF_COOKIE);
  return typeof submitted === 'string' && cookie !== undefined && sameValue(cookie, submitted);
}
