import type { Request, Response } from 'express';

import { csrfInput, csrfToken } from './csrf';
import { html } from './html';
import type { Html } from './html';
import { STYLESHEET_PATH } from './style';
import { viewerOf } from './viewer';

/**
 * The frame of every page: a header that says who is signed in, the page's own content in
 * `main`, one stylesheet from the origin itself and no scripts. Pages may differ by viewer,
 * so no cache keeps them.
 */
export interface PageContent {
  readonly title: string;
  readonly main: Html;
  readonly status?: number;
}

/** `/login?return_to=` this page, so signing in brings the viewer back. */
export function signInHref(req: Request): string {
  if (req.path === '/login') return '/login';
  return `/login?return_to=${encodeURIComponent(req.originalUrl)}`;
}

function sessionBar(req: Request, res: Response): Html {
  const viewer = viewerOf(req);
  if (!viewer) return html`<a href="${signInHref(req)}">Sign in</a>`;
  return html`<form class="session" method="post" action="/logout">
    <span>Signed in as <strong>${viewer.login}</strong></span>
    <span aria-hidden="true">·</span>
    <a href="/settings/tokens">Tokens</a>
    <span aria-hidden="true">·</span>
    ${csrfInput(csrfToken(req, res))}
    <button class="link-button" type="submit">Sign out</button>
  </form>`;
}

function documentOf(req: Request, res: Response, content: PageContent): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${content.title} · crgate</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site-header">
          <a class="brand" href="/">crgate</a>
          ${sessionBar(req, res)}
        </header>
        <main id="main">${content.main}</main>
      </body>
    </html> `;
}

export function sendPage(req: Request, res: Response, content: PageContent): void {
  const page = documentOf(req, res, content);
  res
    .status(content.status ?? 200)
    .set({ 'Cache-Control': 'no-store', Vary: 'Cookie' })
    .type('html')
    .send(page.text);
}

/** What every missing or hidden page answers alike, so a private package's name stays private. */
export function sendNotFound(req: Request, res: Response): void {
  sendPage(req, res, {
    status: 404,
    title: 'Page not found',
    main: html`<h1>Page not found</h1>
      <p>There is no page here, or you are not allowed to see it.</p>
      ${!viewerOf(req) && html`<p>Private packages show once you <a href="${signInHref(req)}">sign in</a>.</p>`}`,
  });
}

const FAILURE_WORDS: Readonly<Record<number, string>> = {
  500: 'Something failed on our side.',
  503: 'crgate cannot reach its state right now.',
};

/** A page that could not be built: 503 while Redis is away, a 4xx for a bad request, else 500. */
export function sendFailure(req: Request, res: Response, status: number): void {
  const words = FAILURE_WORDS[status] ?? 'The request could not be read.';
  sendPage(req, res, {
    status,
    title: 'Error',
    main: html`<h1>This page could not be shown</h1>
      <p>${words} Try again in a moment.</p>`,
  });
}
