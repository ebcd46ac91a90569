import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from 'winston';

import type { RequestFacts } from '../telemetry/access-log';
import type { Metrics } from '../telemetry/metrics';
import { classify } from './classify';
import { API_VERSION, API_VERSION_HEADER, asRegistryError, writeRegistryError } from './errors';
import type { Forwarder } from './forward';

/**
 * The registry origin (`containers.<hostname>`): classify, then forward. Later steps of
 * DESIGN.md's chain (authenticate, authorize, limits, observe) slot in between. This is the
 * hot path of every pull, so it is a plain function over Node's request and response rather
 * than an Express app: routing here is classification, and Express would only add cost.
 */
export type RegistryHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  facts: RequestFacts,
) => void;

export function createRegistryHandler(
  forwarder: Forwarder,
  metrics: Metrics,
  logger: Logger,
): RegistryHandler {
  return (req, res, facts) => {
    res.setHeader(API_VERSION_HEADER, API_VERSION);
    try {
      facts.route = classify(req.method ?? 'GET', req.url ?? '/');
      if (facts.route.kind === 'upload' && req.method !== 'GET' && req.method !== 'DELETE') {
        countUpload(res, metrics);
      }
      if (!facts.public) throw new Error('registry request without a public origin');
      forwarder.forward(req, res, facts.public);
    } catch (error) {
      const registryError = asRegistryError(error);
      if (registryError !== error) logger.error('unexpected error', { error: String(error) });
      writeRegistryError(res, registryError);
    }
  };
}

function countUpload(res: ServerResponse, metrics: Metrics): void {
  metrics.uploadsInFlight.inc();
  res.once('close', () => metrics.uploadsInFlight.dec());
}
