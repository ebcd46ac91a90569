import express from 'express';
import type { Request, Response } from 'express';

import type { Metrics } from '../telemetry/metrics';
import type { Readiness } from './readiness';

/**
 * The operations listener, apart from the public origins so that probes and scrapers need
 * no Host trickery: `/metrics`, `/healthz` (the process lives), `/readyz` (it can serve).
 */
export interface OpsHooks {
  readonly metrics: Metrics;
  readiness(): Promise<Readiness>;
  draining(): boolean;
}

export function createOpsApp(hooks: OpsHooks) {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req: Request, res: Response) => {
    if (hooks.draining()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const readiness = await hooks.readiness();
    res.status(readiness.ready ? 200 : 503).json({
      status: readiness.ready ? 'ready' : 'not ready',
      checks: readiness.checks,
    });
  });

  app.get('/metrics', async (_req: Request, res: Response) => {
    res.type(hooks.metrics.registry.contentType).send(await hooks.metrics.registry.metrics());
  });

  return app;
}
