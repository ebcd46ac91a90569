import type { ErrorRequestHandler } from 'express';

import { RETRY_AFTER_SECONDS, serverFailure } from '../web/parts';
import type { WebParts } from '../web/parts';

/**
 * GitHub's REST errors: a status and `{message, documentation_url}`. Handlers throw ApiError;
 * one handler per router writes the body.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/**
 * Writes ApiErrors, the 4xx of Express's own steps (a body that is not JSON: 400), and
 * crgate's own failures as GitHub does: 503 while Redis is away, else 500, with no detail.
 */
export function apiErrorHandler(
  documentationUrl: string,
  parts: Pick<WebParts, 'logger' | 'redis'>,
): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = apiStatus(error);
    if (status === undefined) {
      const failure = serverFailure(parts, error);
      if (failure === 503) res.set('Retry-After', RETRY_AFTER_SECONDS);
      res.status(failure).json({
        message: failure === 503 ? 'Service Unavailable' : 'Server Error',
        documentation_url: documentationUrl,
      });
      return;
    }
    if (error instanceof ApiError) res.set(error.headers);
    res
      .status(status)
      .json({ message: (error as Error).message, documentation_url: documentationUrl });
  };
}

function apiStatus(error: unknown): number | undefined {
  if (error instanceof ApiError) return error.status;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
