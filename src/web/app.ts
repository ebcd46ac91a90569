import express from 'express';
import type { Request, Response } from 'express';

import { createPackagesApi } from '../api/packages';
import { requestFacts } from '../telemetry/access-log';
import { createAdminRouter } from './admin-tokens';
import { createPackagePages } from './pages';
import type { WebParts } from './parts';

/**
 * The web origin (`<hostname>`): the REST API under `/api/v3`, with GitHub-shaped 404s for
 * what it does not serve, and the pages.
 */
const DOCUMENTATION_URL = 'https://docs.github.com/rest/packages/packages';

export interface WebOriginParts extends WebParts {
  /** The public keys that verify crgate's bearer tokens, as a JWK Set. */
  readonly jwks: () => object;
}

/**
 * Headers every answer of the web origin carries: no sniffing, no framing, no scripts or
 * styles from elsewhere, no referrer, no sharing with other origins; HSTS where crgate is
 * served over HTTPS. The origin sets no CORS headers, so browsers keep other sites out.
 */
function securityHeaders(https: boolean): Record<string, string> {
  return {
    'Content-Security-Policy':
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...(https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

export function createWebApp(parts: WebOriginParts) {
  const app = express();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: () => void) => {
    res.set(securityHeaders(requestFacts(req)?.public?.scheme === 'https'));
    next();
  });

  // Anyone may verify a token crgate signed: the keys are public, the path is the usual one.
  app.get('/.well-known/jwks.json', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=300').json(parts.jwks());
  });

  // crgate's own tokens are issued here; GitHub's are GitHub's to issue.
  if (!parts.githubWebUrl) app.use('/api/v3/admin', createAdminRouter(parts));
  app.use('/api/v3', createPackagesApi(parts));

  app.use('/api/v3', (_req: Request, res: Response) => {
    res.status(404).json({ message: 'Not Found', documentation_url: DOCUMENTATION_URL });
  });

  app.use(createPackagePages(parts));

  app.use((_req: Request, res: Response) => {
    res.status(404).type('text').send('Not Found\n');
  });

  return app;
}
