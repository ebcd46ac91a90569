import type { IncomingHttpHeaders } from 'node:http';

import type { PublicOrigin } from '../hosts';
import { API_VERSION, API_VERSION_HEADER } from './errors';

/**
 * The rewriting steps of the forward step, each small and named. Request steps run on the
 * outgoing request to the registry; response steps on the registry's response headers
 * before they are copied to the client.
 */

// RFC 9110, section 7.6.1: connection-specific headers are not forwarded by a proxy.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
];

/**
 * Strips hop-by-hop headers from the client's request before http-proxy copies them to the
 * registry, so keep-alive is ours. It runs before the request is sent: a body already
 * flowing would have sent the headers by the time http-proxy's `proxyReq` event fires.
 */
export function stripRequestHopByHop(headers: IncomingHttpHeaders): void {
  const listed = headers.connection;
  // Deleting only what is there keeps the headers object's shape on the hot path.
  for (const name of HOP_BY_HOP) {
    if (headers[name] !== undefined) Reflect.deleteProperty(headers, name);
  }
  if (listed) {
    for (const name of listed.split(','))
      Reflect.deleteProperty(headers, name.trim().toLowerCase());
  }
}

/** Tells the registry the public origin, so the URLs it builds already point at crgate. */
export function forwardingHeaders(
  origin: PublicOrigin,
  clientAddress: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Forwarded-Proto': origin.scheme,
    'X-Forwarded-Host': origin.host,
  };
  if (clientAddress) headers['X-Forwarded-For'] = clientAddress;
  return headers;
}

/**
 * Strips hop-by-hop headers from the registry's response; Node frames the body itself.
 * A header set to undefined is one http-proxy does not copy to the client.
 */
export function stripResponseHopByHop(headers: IncomingHttpHeaders): void {
  const listed = headers.connection;
  for (const name of HOP_BY_HOP) headers[name] = undefined;
  if (listed) for (const name of listed.split(',')) headers[name.trim().toLowerCase()] = undefined;
}

/**
 * The registry origin answers no cross-origin requests: a registry configured to send CORS
 * headers (its `http.headers`) would let every web page read what a signed-in browser may pull.
 */
export function stripCors(headers: IncomingHttpHeaders): void {
  for (const name of Object.keys(headers)) {
    if (name.startsWith('access-control-')) headers[name] = undefined;
  }
}

/**
 * Rewrites a `Location` that points at the registry (relative, or absolute on the registry's
 * own or the public host) to crgate's public origin. Redirects elsewhere, such as presigned
 * object-storage URLs for blob downloads, are left as they are.
 */
export function rewriteLocation(
  headers: IncomingHttpHeaders,
  origin: PublicOrigin,
  registryHost: string,
): void {
  const location = headers.location;
  if (!location) return;

  if (location.startsWith('/') && !location.startsWith('//')) {
    headers.location = origin.base + location;
    return;
  }
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return;
  }
  if (url.host === registryHost || url.host === origin.host) {
    headers.location = origin.base + url.pathname + url.search;
  }
}

/** Every `/v2` response carries the API version header, even where the registry left it out. */
export function ensureApiVersion(headers: IncomingHttpHeaders): void {
  const lower = API_VERSION_HEADER.toLowerCase();
  if (!headers[lower]) headers[lower] = API_VERSION;
}
