import http from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where the benchmark sends registry API requests: registry:2 itself, nginx in front of it
 * (bench/nginx.conf), or crgate in front of it. All listen on loopback; the Host header
 * differs, because crgate serves the registry API on `containers.<hostname>` alone, and so do
 * credentials: registry:2 and nginx ask for none, crgate wants a bearer token or Basic
 * credentials on every request.
 */
export type TargetName = 'direct' | 'nginx' | 'crgate';

export const TARGET_NAMES: readonly TargetName[] = ['direct', 'nginx', 'crgate'];

export interface Target {
  readonly name: TargetName;
  readonly port: number;
  readonly host: string;
  readonly agent: http.Agent;
  /** The `Authorization` header of every request; a secret, so never printed. */
  readonly authorization?: string;
}

export function createTarget(name: TargetName, port: number, host: string): Target {
  return { name, port, host, agent: new http.Agent({ keepAlive: true }) };
}

/** The same target, its requests carrying `authorization`. */
export function withAuthorization(target: Target, authorization: string): Target {
  return { ...target, authorization };
}

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer | Readable;
  /** Sees each chunk of the response body (to hash it); the body is never kept. */
  readonly onData?: (chunk: Buffer) => void;
}

export interface Exchange {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: number;
  /** The first bytes of the body, enough to explain an error response. */
  readonly excerpt: string;
}

const EXCERPT_BYTES = 1024;

function receive(res: http.IncomingMessage, onData?: (chunk: Buffer) => void): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let excerpt = '';
    res.on('data', (chunk: Buffer) => {
      if (bytes < EXCERPT_BYTES) excerpt += chunk.subarray(0, EXCERPT_BYTES - bytes).toString();
      bytes += chunk.length;
      onData?.(chunk);
    });
    res.once('error', reject);
    res.once('end', () =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, excerpt }),
    );
  });
}

/** One request, its body streamed from `body` and its response body streamed away. */
export function send(target: Target, request: Request): Promise<Exchange> {
  const { body } = request;
  const headers: OutgoingHttpHeaders = { Host: target.host, ...request.headers };
  if (target.authorization) headers.Authorization = target.authorization;
  if (Buffer.isBuffer(body)) headers['Content-Length'] = body.length;

  return new Promise<Exchange>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: target.port, method: request.method, path: request.path, headers },
      (res) => receive(res, request.onData).then(resolve, reject),
    );
    req.once('error', reject);
    if (body === undefined || Buffer.isBuffer(body)) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

/** Fails the benchmark on an unexpected answer: a number measured on an error is no number. */
export function expectStatus(exchange: Exchange, status: number, what: string): Exchange {
  if (exchange.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${exchange.status}: ${exchange.excerpt}`);
  }
  return exchange;
}

/**
 * The path and query of an upload session's `Location`, to send back to the same target.
 * An absolute `Location` must name the host the client used; anything else would send a
 * real client elsewhere, which makes the run fail rather than measure.
 */
export function locationPath(target: Target, exchange: Exchange): string {
  const location = exchange.headers.location;
  if (!location) throw new Error(`${target.name}: upload response without Location`);
  const url = new URL(location, `http://${target.host}`);
  if (url.host !== target.host) {
    throw new Error(`${target.name}: Location ${location} does not point at ${target.host}`);
  }
  return url.pathname + url.search;
}
