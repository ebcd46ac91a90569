import type { ErrorRequestHandler } from 'express';

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

/** Writes ApiErrors, and the 4xx of Express's own steps (a body that is not JSON: 400). */
export function apiErrorHandler(documentationUrl: string): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    const status = apiStatus(error);
    if (status === undefined) return next(error);
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
