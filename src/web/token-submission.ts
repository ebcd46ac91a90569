import { missingScopes } from '../access/package-scopes';
import { MAX_NOTE_LENGTH } from '../auth/token-store';
import type { PackageScope } from '../auth/token-store';
import { field, fields } from './forms';
import { CUSTOM_MAX_DAYS, DAY_MS, EXPIRATION_DAYS, OFFERED_SCOPES } from './token-form';
import type { SessionLimit, TokenFormValues } from './token-form';

/**
 * Reading a submitted token form and checking it against what the session may give. A form
 * that is wrong in itself is 422; a token the session may not make (a scope or an expiry
 * beyond the sign-in token's) is 403. Either way nothing is created.
 */
export interface TokenRequest {
  readonly note: string;
  readonly scopes: readonly PackageScope[];
  /** Absent: no expiration. */
  readonly expiresAt?: number;
}

export type Checked =
  { readonly request: TokenRequest } | { readonly status: 403 | 422; readonly error: string };

export function valuesOf(body: unknown): TokenFormValues {
  return {
    note: field(body, 'note'),
    scopes: fields(body, 'scopes'),
    expiration: field(body, 'expiration'),
    expiresOn: field(body, 'expires_on'),
  };
}

function refused(status: 403 | 422, error: string): Checked {
  return { status, error };
}

/** When a token of this expiration choice expires; undefined for none, a string if wrong. */
function expiryOf(values: TokenFormValues, now: number): number | undefined | string {
  if (values.expiration === 'none') return undefined;
  const days = EXPIRATION_DAYS.find((choice) => String(choice) === values.expiration);
  if (days !== undefined) return now + days * DAY_MS;
  if (values.expiration !== 'custom') return 'Choose an expiration.';

  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.expiresOn);
  const at = day ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : NaN;
  if (!day || Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== values.expiresOn) {
    return 'Choose a custom expiration date.';
  }
  if (at <= now || at > now + CUSTOM_MAX_DAYS * DAY_MS) {
    return 'A custom expiration date is after today and within a year.';
  }
  return at;
}

function scopesOf(values: TokenFormValues): PackageScope[] | string {
  const offered = OFFERED_SCOPES.map((offer) => offer.scope);
  const scopes = [...new Set(values.scopes)];
  const unknown = scopes.find((scope) => !(offered as string[]).includes(scope));
  if (unknown !== undefined) return 'Choose scopes from the list.';
  if (scopes.length === 0) return 'Select at least one scope.';
  return scopes as PackageScope[];
}

/** `2025-07-01 12:30 UTC`: a moment in words of the error message, which is text. */
function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The form as a token to create, or why not. */
export function checkSubmission(
  values: TokenFormValues,
  limit: SessionLimit,
  now: number,
): Checked {
  const note = values.note.trim();
  if (note === '') return refused(422, 'Note can’t be blank.');
  if ([...note].length > MAX_NOTE_LENGTH || /\p{Cc}/u.test(note)) {
    return refused(422, `A note is one line of at most ${MAX_NOTE_LENGTH} characters.`);
  }
  const scopes = scopesOf(values);
  if (typeof scopes === 'string') return refused(422, scopes);
  const expiresAt = expiryOf(values, now);
  if (typeof expiresAt === 'string') return refused(422, expiresAt);

  // write:packages covers read:packages, as in every other scope check.
  const missing = missingScopes(limit.scopes, scopes);
  if (missing.length > 0) {
    return refused(
      403,
      `The token you signed in with does not have ${missing.join(', ')}, so this session cannot give it to a new token. Sign in with a token that has it.`,
    );
  }
  if (limit.expiresAt !== undefined && (expiresAt === undefined || expiresAt > limit.expiresAt)) {
    return refused(
      403,
      `The token you signed in with expires ${utcMinute(limit.expiresAt)}; a token made in this session must expire by then.`,
    );
  }
  return { request: { note, scopes, expiresAt } };
}
