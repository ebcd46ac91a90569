import express from 'express';
import type { NextFunction, Request, Response } from 'express';

import { sendFailure } from './layout';
import { createDeletedPackagesRouter } from './deleted-packages';
import { homePage } from './home-page';
import { NAMESPACE_ROUTES } from './package-access';
import { packageList } from './package-list';
import { packagePage, versionRedirect } from './package-page';
import { createPackageSettingsRouter } from './package-settings';
import { RETRY_AFTER_SECONDS, serverFailure } from './parts';
import type { WebParts } from './parts';
import { SessionStore } from './sessions';
import { createSignInRouter } from './sign-in';
import { createStyleRouter } from './style';
import { createCopyScriptRouter } from './copy-script';
import { createTokenPages } from './token-pages';
import { viewerStep } from './viewer';

/**
 * The pages of the web origin: the stylesheet and the copy script, the front page, sign-in and
 * sign-out, the viewer's tokens, and for each namespace its package list, its deleted packages,
 * its packages' pages and settings, and GitHub's version URLs. Paths follow GitHub's, so a link
 * written for github.com works with the host changed.
 */
function failurePage(parts: WebParts) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    // A body Express refused (too big, malformed) is the client's; the rest is ours.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendFailure(req, res, status);
    }
    const failure = serverFailure(parts, error);
    if (failure === 503) res.set('Retry-After', RETRY_AFTER_SECONDS);
    sendFailure(req, res, failure);
  };
}

export function createPackagePages(parts: WebParts): express.Router {
  const router = express.Router();
  const sessions = new SessionStore(parts.redis);

  router.use(createStyleRouter());
  router.use(createCopyScriptRouter());
  router.use(viewerStep(parts.directory, parts.passwords.verifier, sessions));
  router.use(createSignInRouter(parts, sessions));
  router.use(createTokenPages(parts, sessions));
  router.get('/', homePage(parts));
  // Settings pages come before the version URLs, whose paths they share.
  router.use(createPackageSettingsRouter(parts));
  router.use(createDeletedPackagesRouter(parts));

  for (const route of NAMESPACE_ROUTES) {
    router.get(`/${route}/:owner/packages`, packageList(parts, route));
    router.get(`/${route}/:owner/packages/container/package/*name`, packagePage(parts, route));
    router.get(`/${route}/:owner/packages/container/*rest`, versionRedirect(parts, route));
  }

  router.use(failurePage(parts));
  return router;
}
