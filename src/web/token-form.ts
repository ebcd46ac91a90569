import type { Request, Response } from 'express';

import { MAX_NOTE_LENGTH } from '../auth/token-store';
import type { PackageScope } from '../auth/token-store';
import { csrfInput, csrfToken } from './csrf';
import { formatDate } from './format';
import { fields } from './forms';
import { errorAlert, html } from './html';
import type { Html } from './html';
import { sendPage } from './layout';

/**
 * The form for a new personal access token (classic), as GitHub's: a note, an expiration and
 * the package scopes. `?scopes=a,b` preselects exactly the named scopes crgate offers and
 * `?description=` fills in the note, so GitHub's documented link works with the host changed.
 */
export interface OfferedScope {
  readonly scope: PackageScope;
  readonly allows: string;
}

// crgate's store also accepts `repo` (GitHub's link adds it), but it allows nothing here.
export const OFFERED_SCOPES: readonly OfferedScope[] = [
  { scope: 'read:packages', allows: 'Download (pull) packages and read their metadata.' },
  {
    scope: 'write:packages',
    allows:
      'Upload (push) packages and restore deleted ones. Includes everything read:packages allows: crgate, like GitHub, lets write:packages pull.',
  },
  {
    scope: 'delete:packages',
    allows:
      'Delete packages and versions you are an admin of. The REST API also wants read:packages or write:packages for it.',
  },
];

export const EXPIRATION_DAYS = [7, 30, 60, 90] as const;
const DEFAULT_DAYS = 30;
export const DAY_MS = 24 * 3600 * 1000;
/** The latest custom date: a year from today, as GitHub allows. */
export const CUSTOM_MAX_DAYS = 366;

/** What the form holds: from the query on first sight, from the submission after that. */
export interface TokenFormValues {
  readonly note: string;
  readonly scopes: readonly string[];
  /** `7`, `30`, `60`, `90`, `custom` or `none`. */
  readonly expiration: string;
  /** `YYYY-MM-DD`, for `custom`. */
  readonly expiresOn: string;
}

/** What the viewer's session allows a new token: the sign-in token's scopes and expiry. */
export interface SessionLimit {
  readonly scopes: readonly PackageScope[];
  readonly expiresAt?: number;
}

export interface TokenFormState {
  readonly status: number;
  readonly values: TokenFormValues;
  readonly limit: SessionLimit;
  /** Scopes of the query that crgate does not offer, said on the page. */
  readonly ignored?: readonly string[];
  readonly error?: string;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The longest expiration in days the limit allows, up to the default; else a custom date. */
function defaultExpiration(limit: SessionLimit, now: number): string {
  if (limit.expiresAt === undefined) return String(DEFAULT_DAYS);
  const fits = EXPIRATION_DAYS.filter((days) => now + days * DAY_MS <= (limit.expiresAt ?? 0));
  const best = fits.filter((days) => days <= DEFAULT_DAYS).pop();
  return best === undefined ? 'custom' : String(best);
}

/** The form's first values from `?scopes=` and `?description=`, and the scopes it ignored. */
export function valuesFromQuery(req: Request, limit: SessionLimit, now: number) {
  const named = fields(req.query, 'scopes')
    .flatMap((list) => list.split(/[\s,]+/))
    .filter(Boolean);
  const offered = OFFERED_SCOPES.map((offer) => offer.scope as string);
  const ignored = [...new Set(named.filter((scope) => !offered.includes(scope)))]
    .slice(0, 10)
    .map((scope) => (scope.length > 40 ? `${scope.slice(0, 40)}…` : scope));
  const expiration = defaultExpiration(limit, now);
  const values: TokenFormValues = {
    note: [...(fields(req.query, 'description')[0] ?? '')].slice(0, MAX_NOTE_LENGTH).join(''),
    scopes: named.filter((scope) => offered.includes(scope)),
    expiration,
    expiresOn: expiration === 'custom' && limit.expiresAt ? dayOf(limit.expiresAt) : '',
  };
  return { values, ignored };
}

function expirationOptions(values: TokenFormValues, limit: SessionLimit, now: number): Html[] {
  const within = (ms: number | undefined) =>
    limit.expiresAt === undefined || (ms !== undefined && ms <= limit.expiresAt);
  const option = (value: string, words: string, allowed: boolean) =>
    html`<option
      value="${value}"
      ${values.expiration === value && 'selected'}
      ${!allowed && 'disabled'}
    >
      ${words}
    </option>`;
  return [
    ...EXPIRATION_DAYS.map((days) =>
      option(String(days), `${days} days`, within(now + days * DAY_MS)),
    ),
    option('custom', 'Custom…', true),
    option('none', 'No expiration', within(undefined)),
  ];
}

function expirationFields(values: TokenFormValues, limit: SessionLimit, now: number): Html {
  const latest = Math.min(
    now + CUSTOM_MAX_DAYS * DAY_MS,
    limit.expiresAt ?? Number.POSITIVE_INFINITY,
  );
  return html`<label for="expiration">Expiration</label>
    <select id="expiration" name="expiration" aria-describedby="expiration-help">
      ${expirationOptions(values, limit, now)}
    </select>
    <label for="expires_on">Custom expiration date</label>
    <input
      id="expires_on"
      name="expires_on"
      type="date"
      min="${dayOf(now + DAY_MS)}"
      max="${dayOf(latest)}"
      value="${values.expiresOn}"
      aria-describedby="expiration-help"
    />
    <p id="expiration-help" class="muted">
      The date counts when Expiration is Custom; the token then expires at 00:00 UTC that day.
      ${
        values.expiration === 'none' &&
        html`crgate strongly recommends that you set an expiration date for your token.`
      }
    </p>`;
}

function scopeBox(offer: OfferedScope, checked: boolean): Html {
  const id = `scope-${offer.scope.replace(':', '-')}`;
  return html`<div class="scope">
    <input
      type="checkbox"
      id="${id}"
      name="scopes"
      value="${offer.scope}"
      aria-describedby="${id}-help"
      ${checked && 'checked'}
    />
    <label for="${id}"><code>${offer.scope}</code></label>
    <p id="${id}-help" class="muted">${offer.allows}</p>
  </div>`;
}

/** The one sentence that says what a session may give a new token. */
function limitSentence(limit: SessionLimit): Html {
  const scopes = limit.scopes.length > 0 ? limit.scopes.join(', ') : 'none';
  const until =
    limit.expiresAt === undefined
      ? html``
      : html`, and it cannot expire after that token does
        (${formatDate(new Date(limit.expiresAt).toISOString())})`;
  return html`<p>
    A token made here can have only the scopes of the token you signed in with (${scopes})${until}.
  </p>`;
}

function ignoredNotice(ignored: readonly string[] | undefined): Html | false {
  if (!ignored || ignored.length === 0) return false;
  return html`<p class="notice" role="status">
    Ignored scopes crgate does not offer:
    ${ignored.map((scope, i) => html`${i > 0 && ', '}<code>${scope}</code>`)}.
  </p>`;
}

export function sendTokenForm(req: Request, res: Response, state: TokenFormState): void {
  const now = Date.now();
  const { values, limit } = state;
  sendPage(req, res, {
    status: state.status,
    title: 'New personal access token',
    main: html`<h1>New personal access token (classic)</h1>
      ${ignoredNotice(state.ignored)} ${errorAlert(state.error)}
      <form class="token-form" method="post" action="/settings/tokens">
        ${csrfInput(csrfToken(req, res))}
        <label for="note">Note</label>
        <input
          id="note"
          name="note"
          required
          maxlength="${MAX_NOTE_LENGTH}"
          placeholder="What’s this token for?"
          value="${values.note}"
        />
        ${expirationFields(values, limit, now)}
        <fieldset>
          <legend>Select scopes</legend>
          ${limitSentence(limit)}
          ${OFFERED_SCOPES.map((offer) => scopeBox(offer, values.scopes.includes(offer.scope)))}
        </fieldset>
        <button type="submit">Generate token</button>
        <p><a href="/settings/tokens">Cancel</a></p>
      </form>`,
  });
}
