import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'winston';

import { requestFacts } from '../telemetry/access-log';
import type { Metrics } from '../telemetry/metrics';
import { classify } from './classify';
import { API_VERSION, API_VERSION_HEADER, asRegistryError, writeRegistryError } from './errors';
import type { Forwarder } from './forward';

/**
 * The registry origin (`containers.<hostname>`): classify, then forward. Later steps of
 * DESIGN.md's chain (authenticate, authorize, limits, observe) slot in between.
 */
export function createRegistryApp(forwarder: Forwarder, metrics: Metrics, logger: Logger) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader(API_VERSION_HEADER, API_VERSION);
    const facts = requestFacts(req);
    const route = classify(req.method, req.url);
    if (facts) facts.route = route;
    if (route.kind === 'upload' && req.method !== 'GET' && req.method !== 'DELETE') {
      countUpload(res, metrics);
    }
    next();
  });

  app.use((req: Request, res: Response) => {
    const origin = requestFacts(req)?.public;
    if (!origin) throw new Error('registry request without a public origin');
    forwarder.forward(req, res, origin);
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const registryError = asRegistryError(error);
    if (registryError !== error) logger.error('unexpected error', { error: String(error) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    writeRegistryError(res, registryError);
  });

  return app;
}

function countUpload(res: Response, metrics: Metrics): void {
  metrics.uploadsInFlight.inc();
  res.once('close', () => metrics.uploadsInFlight.dec());
}
