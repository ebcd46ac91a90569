import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The error codes crgate answers with on the registry origin, each with its HTTP status.
 * The first fourteen are the distribution spec's ("Error Codes", OCI distribution-spec
 * v1.1); UNAVAILABLE, UNKNOWN, TAG_INVALID and PAGINATION_NUMBER_INVALID are registry:2's own
 * (registry/api/errcode and api/v2); NOT_FOUND
 * and MISDIRECTED are crgate's, for paths and hosts that are not the registry API at all,
 * and INVALID_REQUEST for a token request that is malformed (OAuth2's `invalid_request`).
 */
export const ERROR_CODES = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 404,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNAVAILABLE: 503,
  UNKNOWN: 500,
  TAG_INVALID: 400,
  PAGINATION_NUMBER_INVALID: 400,
  NOT_FOUND: 404,
  MISDIRECTED: 421,
  INVALID_REQUEST: 400,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * A failure crgate answers itself. Code throws these; `writeRegistryError` renders them. A
 * code answers with its status of the table, unless the error names another: the spec ties no
 * code to one status, and a layer past the size limit is `SIZE_INVALID` with 413.
 */
export class RegistryError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: unknown,
    /** Extra response headers, such as `Retry-After` or `Allow`. */
    readonly headers: Readonly<Record<string, string>> = {},
    status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
    this.status = status ?? ERROR_CODES[code];
  }
}

export const API_VERSION_HEADER = 'Docker-Distribution-Api-Version';
export const API_VERSION = 'registry/2.0';

/** The one place that makes the `{"errors":[...]}` body. */
export function registryErrorBody(error: RegistryError): string {
  const entry: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.detail !== undefined) entry.detail = error.detail;
  return JSON.stringify({ errors: [entry] });
}

/** Answers with a RegistryError: its status, headers and body. */
export function writeRegistryError(res: ServerResponse, error: RegistryError): void {
  const body = registryErrorBody(error);

  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader(API_VERSION_HEADER, API_VERSION);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

// How long crgate keeps reading (and dropping) the body of a request it has already refused.
const LINGER_MS = 5_000;

/**
 * After answering a request whose body crgate will not use: reads and drops the rest of it
 * for a few seconds, then closes the connection. Closing at once, with the body unread, would
 * reset the connection and could lose the answer before the client reads it (the reason for
 * nginx's lingering close); reading on without a bound would take in a 10 GB body for
 * nothing. A body that ends in time leaves the connection open for the next request.
 */
export function discardBody(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** What a pull of a repository the registry does not know (or crgate hides) answers. */
export function nameUnknown(repository: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', {
    name: repository,
  });
}

/** A 503 for a part crgate cannot do without, with the seconds a client should wait. */
export function unavailable(what: string): RegistryError {
  return new RegistryError('UNAVAILABLE', `${what} is unavailable, retry later`, undefined, {
    'Retry-After': '5',
  });
}

/** Turns anything thrown into a RegistryError; the unexpected become a bare UNKNOWN. */
export function asRegistryError(error: unknown): RegistryError {
  if (error instanceof RegistryError) return error;
  return new RegistryError('UNKNOWN', 'internal error');
}
