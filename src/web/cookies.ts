import type { IncomingMessage } from 'node:http';

import type { Response } from 'express';

/**
 * The web origin's cookies (RFC 6265). Each is host-only (no Domain attribute), so the
 * registry origin `containers.<hostname>` never receives one; `Secure` wherever crgate is
 * served over HTTPS. Values are crgate's own random tokens, so no encoding is needed.
 */
export interface CookieOptions {
  readonly sameSite: 'Lax' | 'Strict';
  readonly secure: boolean;
  /** Absent: a cookie for the browser session. 0 removes the cookie. */
  readonly maxAgeSeconds?: number;
}

// What crgate's tokens are made of (base64url); a value of another shape is not ours.
const TOKEN_VALUE = /^[A-Za-z0-9_-]{16,128}$/;

/** The value of one cookie of the request, when it has the shape of crgate's tokens. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    if (TOKEN_VALUE.test(value)) return value;
  }
  return undefined;
}

export function setCookie(res: Response, name: string, value: string, options: CookieOptions) {
  const attributes = [`${name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.maxAgeSeconds !== undefined) attributes.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.secure) attributes.push('Secure');
  res.append('Set-Cookie', attributes.join('; '));
}

export function clearCookie(res: Response, name: string, options: CookieOptions) {
  setCookie(res, name, '', { ...options, maxAgeSeconds: 0 });
}
