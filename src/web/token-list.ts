import type { Request, Response } from 'express';

import type { PatRecord } from '../auth/token-store';
import { csrfInput, csrfToken } from './csrf';
import { formatDate } from './format';
import { noticeNamed } from './forms';
import { html, statusNotice } from './html';
import type { Html } from './html';
import { sendPage } from './layout';

/**
 * `GET /settings/tokens`: the viewer's personal access tokens (classic), as GitHub lists
 * them: note, scopes, when each was made, last used and expires, and a Revoke button.
 * Expired tokens stay listed for a week (TokenStore's grace), marked expired.
 */
const NOTICES: Readonly<Record<string, string>> = {
  revoked: 'The token was revoked. It no longer works.',
};

function expiry(record: PatRecord, now: number): Html {
  if (record.expiresAt === undefined) {
    return html`<span class="muted">This token has no expiration date.</span>`;
  }
  if (Date.parse(record.expiresAt) <= now) {
    return html`<strong class="expired">Expired</strong> on ${formatDate(record.expiresAt)}.`;
  }
  return html`Expires on ${formatDate(record.expiresAt)}.`;
}

interface ItemContext {
  readonly req: Request;
  readonly res: Response;
  readonly now: number;
  readonly signInTokenId: string;
}

function tokenItem({ req, res, now, signInTokenId }: ItemContext, record: PatRecord): Html {
  const expired = record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now;
  // An expired token no longer works: its button only takes it off the list.
  const action = expired ? 'Delete' : 'Revoke';
  const scopes = record.scopes.map((scope, i) => html`${i > 0 && ', '}<code>${scope}</code>`);
  const lastUsed = record.lastUsedAt
    ? html`Last used ${formatDate(record.lastUsedAt)}`
    : html`Never used`;
  return html`<li class="token" id="token-${record.id}">
    <div class="token-facts">
      <strong class="note">${record.note || 'Untitled token'}</strong>
      ${record.id === signInTokenId && html`<span class="badge">signed in with this token</span>`} —
      ${scopes.length > 0 ? scopes : html`<span class="muted">no scopes</span>`}
      <p class="muted">
        Created ${formatDate(record.createdAt)} · ${lastUsed} · ${expiry(record, now)}
      </p>
    </div>
    <form method="post" action="/settings/tokens/${record.id}/revoke">
      ${csrfInput(csrfToken(req, res))}
      <button class="danger" type="submit" aria-label="${action} ${record.note || 'token'}">
        ${action}
      </button>
    </form>
  </li>`;
}

export function sendTokenList(
  req: Request,
  res: Response,
  records: readonly PatRecord[],
  signInTokenId: string,
): void {
  const now = Date.now();
  const notice = noticeNamed(NOTICES, req.query.notice);
  // Newest first, as GitHub lists them.
  const items = [...records]
    .reverse()
    .map((record) => tokenItem({ req, res, now, signInTokenId }, record));
  sendPage(req, res, {
    title: 'Personal access tokens',
    main: html`<div class="heading-row">
        <h1>Personal access tokens (classic)</h1>
        <a class="button" href="/settings/tokens/new">Generate new token</a>
      </div>
      ${statusNotice(notice)}
      <p>
        Tokens you have generated that can be used to access the container registry and the REST
        API. Revoking the token you signed in with signs you out.
      </p>
      ${
        items.length > 0
          ? html`<ul class="tokens">
              ${items}
            </ul>`
          : html`<p class="muted">You have no personal access tokens.</p>`
      } `,
  });
}
