import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from 'winston';

import type { PublicOrigin } from '../hosts';
import type { RegistryRoute } from '../registry/classify';
import { methodLabel, statusClass } from './metrics';
import type { Metrics } from './metrics';

/** What the steps of one request learn about it, for its log line and metrics. */
export interface RequestFacts {
  readonly id: string;
  origin: 'registry' | 'web' | 'refused';
  /** How the client reached crgate, once the host router has accepted the request. */
  public?: PublicOrigin;
  route?: RegistryRoute;
  /** Who asked, as `principalId` writes it: never a secret. */
  principal?: string;
}

const facts = new WeakMap<IncomingMessage, RequestFacts>();

export function requestFacts(req: IncomingMessage): RequestFacts | undefined {
  return facts.get(req);
}

function pathOnly(url: string | undefined): string {
  // Query strings may carry registry upload state; the path is enough to find a request.
  return (url ?? '').split('?')[0] as string;
}

/**
 * Starts the record of one request; when the response is over, writes its one log line
 * (5xx at error, a response cut short at warn, the rest at info) and its metrics. Headers are never logged.
 */
export function recordRequest(
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
  metrics: Metrics,
): RequestFacts {
  const started = process.hrtime.bigint();
  const bytesReadBefore = req.socket.bytesRead;
  const bytesWrittenBefore = req.socket.bytesWritten;
  const record: RequestFacts = { id: randomUUID(), origin: 'refused' };
  facts.set(req, record);
  res.setHeader('X-Request-Id', record.id);

  res.once('close', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const method = methodLabel(req.method);
    const route = record.route?.kind ?? 'none';
    const status = res.headersSent ? res.statusCode : 0;
    metrics.requests.inc({
      origin: record.origin,
      route,
      method,
      status_class: statusClass(status),
    });
    metrics.requestDuration.observe({ origin: record.origin, route, method }, seconds);

    const level = status >= 500 ? 'error' : res.writableFinished ? 'info' : 'warn';
    // winston formats a line before it checks the level; skip the work for filtered lines.
    if (!logger.isLevelEnabled(level)) return;
    logger.log(level, 'request', {
      request_id: record.id,
      origin: record.origin,
      method: req.method,
      path: pathOnly(req.url),
      status,
      completed: res.writableFinished,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
      bytes_in: req.socket.bytesRead - bytesReadBefore,
      bytes_out: req.socket.bytesWritten - bytesWrittenBefore,
      route,
      repository: record.route?.repository,
      principal: record.principal,
    });
  });
  return record;
}
