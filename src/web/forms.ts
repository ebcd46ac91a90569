import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { CSRF_FIELD, formAccepted } from './csrf';
import { html } from './html';
import type { Html } from './html';
import { sendPage, signInHref } from './layout';
import { viewerOf } from './viewer';
import type { Viewer } from './viewer';

/**
 * What every form of the web origin shares: a small urlencoded body, its fields read as
 * strings, the CSRF check before anything is acted on, and pages that need a signed-in viewer.
 */
const REFUSED_FORM = 'This form was sent from another site, or has expired. Please try again.';

/** A parser for a form of a few short fields; a bigger body is not one of crgate's forms. */
export function formBody(limit = '4kb', fields = 8) {
  return express.urlencoded({ extended: false, limit, parameterLimit: fields });
}

/** A field of a parsed form, or '' when it is missing or repeated. */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** Every field of that name, for checkbox groups and repeated query parameters. */
export function fields(body: unknown, name: string): string[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function refuseForm(req: Request, res: Response): void {
  sendPage(req, res, {
    status: 403,
    title: 'Form refused',
    main: html`<h1>Form refused</h1>
      <p>${REFUSED_FORM}</p>
      <p><a href="/login">Sign in</a></p>`,
  });
}

/**
 * The notice a redirect after a form asked for by name, from the page's own sentences; a name
 * the page did not write shows nothing, so a link cannot put words on the page.
 */
export function noticeNamed(
  notices: Readonly<Record<string, string>>,
  name: unknown,
): string | undefined {
  return typeof name === 'string' && Object.hasOwn(notices, name) ? notices[name] : undefined;
}

/** Refuses (403) a form that fails the CSRF checks; else lets the handler act on it. */
export function csrfChecked(req: Request, res: Response, next: NextFunction): void {
  if (formAccepted(req, field(req.body, CSRF_FIELD))) next();
  else refuseForm(req, res);
}

/** The signed-in viewer, or a redirect to sign in that comes back to this page. */
export function signedIn(req: Request, res: Response): Viewer | undefined {
  const viewer = viewerOf(req);
  if (!viewer) res.redirect(303, signInHref(req));
  return viewer;
}

/**
 * A text field for a name (a user, team, repository or package): typed exactly as it is, so
 * the browser neither completes, capitalizes nor corrects it.
 */
export function nameInput(
  id: string,
  name: string,
  options: { readonly required?: boolean; readonly value?: string } = {},
): Html {
  return html`<input
    id="${id}"
    name="${name}"
    ${options.required && html`required`}
    ${options.value !== undefined && html`value="${options.value}"`}
    autocomplete="off"
    autocapitalize="none"
    spellcheck="false"
  />`;
}
