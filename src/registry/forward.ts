import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

import httpProxy from 'http-proxy';
import type { Logger } from 'winston';

import type { Config } from '../config';
import type { PublicOrigin } from '../hosts';
import type { Metrics } from '../telemetry/metrics';
import { createBlobDownloads } from './blob-download';
import { unavailable, writeRegistryError } from './errors';
import {
  ensureApiVersion,
  forwardingHeaders,
  rewriteLocation,
  stripCors,
  stripRequestHopByHop,
  stripResponseHopByHop,
} from './rewrite';

/**
 * The forward step: streams a request to registry:2 and its response back, with no body
 * buffered in either direction, over a pool of kept-alive upstream connections. Manifests
 * are the exception: crgate reads them before the registry does, and sends the bytes it read.
 * Blob downloads from an `http:` registry, the bulk of the bytes, skip http-proxy and Node's
 * HTTP client for connections of their own (blob-download.ts); everything else goes through
 * http-proxy.
 */
export interface ForwardOptions {
  /** The request body: read by crgate already, or the request's own as a step passes it on. */
  readonly body?: Buffer | Readable;
  /** Runs once the registry has answered, before the client hears the answer. */
  readonly beforeResponse?: (registryResponse: IncomingMessage) => Promise<void>;
  /** Sees the registry's answer as it streams to the client, without holding it back. */
  readonly onResponse?: (registryResponse: IncomingMessage) => void;
}

export interface Forwarder {
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    origin: PublicOrigin,
    options?: ForwardOptions,
  ): void;
  /**
   * Stops sending `req` to the registry, for a step that answers the client itself (a limit
   * reached mid-body): the upstream request is destroyed, and its failure is not a 503.
   */
  abandon(req: IncomingMessage): void;
  readonly agent: http.Agent;
  close(): void;
}

/**
 * How many bytes a stream of a proxied body holds before it pushes back, on both listeners'
 * sockets and the registry's. Node 20's default (16 KiB) is smaller than the 64 KiB one socket
 * read yields, so every chunk of a blob would stop the flow (pause, wait for drain, resume):
 * raising it took blob pulls through crgate from about 320 to 460 MB/s here. Node 22 raised its
 * default to 64 KiB; this keeps a little more in flight. Memory: at most this per direction of
 * each connection, and only while the far end is slower.
 */
export const STREAM_BUFFER_BYTES = 256 * 1024;

/**
 * The size of each socket read of a blob download (blob-download.ts). Measured on a 2-core
 * machine, pulling a 1 GiB blob from filesystem storage with curl, medians of 7 runs interleaved
 * with the registry direct: 256 KiB reads reached 0.66 of direct, 1 MiB 0.71, 2 MiB 0.70 (crgate's CPU:
 * 0.42, 0.39, 0.38 s a GiB). Memory: one buffer per idle registry connection, and up to about
 * three per download whose client is slower than the registry; a fast client's are reused.
 */
export const BLOB_READ_BYTES = 1024 * 1024;

function createAgent(registryUrl: URL): http.Agent {
  const options: http.AgentOptions & { highWaterMark: number } = {
    keepAlive: true,
    scheduling: 'lifo',
    maxFreeSockets: 64,
    // Passed on to each socket the agent opens (net.Socket's stream options).
    highWaterMark: STREAM_BUFFER_BYTES,
  };
  return registryUrl.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

// `GET /v2/<name>/blobs/<digest>`: the path of a blob download (an upload session is deeper).
const BLOB_PATH = /^\/v2\/.+\/blobs\/[^/?]+(?:\?|$)/;

/** A blob GET with nothing for crgate to send or to watch: it goes by `blob-download.ts`. */
function isPlainBlobDownload(req: IncomingMessage, options: ForwardOptions): boolean {
  const { body, beforeResponse, onResponse } = options;
  if (req.method !== 'GET' || body || beforeResponse || onResponse) return false;
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length ?? '0') !== '0';
  return !hasBody && BLOB_PATH.test(req.url ?? '');
}

/** The response steps, in order, on the registry's answer headers. */
function rewriteResponse(
  headers: IncomingMessage['headers'],
  origin: PublicOrigin | undefined,
  registryHost: string,
): void {
  stripResponseHopByHop(headers);
  stripCors(headers);
  if (origin) rewriteLocation(headers, origin, registryHost);
  ensureApiVersion(headers);
}

export function createForwarder(config: Config, logger: Logger, metrics: Metrics): Forwarder {
  const agent = createAgent(config.registryUrl);
  const registryHost = config.registryUrl.host;
  const downloads =
    config.registryUrl.protocol === 'http:'
      ? createBlobDownloads({
          registryUrl: config.registryUrl,
          timeoutMs: config.registryTimeoutMs,
          bufferBytes: BLOB_READ_BYTES,
        })
      : undefined;
  const origins = new WeakMap<IncomingMessage, PublicOrigin>();
  const hooks = new WeakMap<IncomingMessage, NonNullable<ForwardOptions['beforeResponse']>>();
  const watchers = new WeakMap<IncomingMessage, NonNullable<ForwardOptions['onResponse']>>();
  const upstream = new WeakMap<IncomingMessage, http.ClientRequest>();
  const abandoned = new WeakSet<IncomingMessage>();
  const proxy = httpProxy.createProxyServer({
    target: config.registryUrl.origin,
    agent,
    proxyTimeout: config.registryTimeoutMs,
    xfwd: false,
    changeOrigin: false,
    // Registry header names keep their case, as clients would see them without crgate.
    preserveHeaderKeyCase: true,
  });

  proxy.on('proxyReq', (proxyReq, req, res) => {
    if (abandoned.has(req)) {
      proxyReq.destroy();
      return;
    }
    upstream.set(req, proxyReq);
    // A client that goes away mid-upload must not leave the registry waiting for the rest.
    res.on('close', () => {
      if (!res.writableFinished) proxyReq.destroy();
    });
  });

  proxy.on('proxyRes', (proxyRes, req, res) => {
    rewriteResponse(proxyRes.headers, origins.get(req), registryHost);

    watchers.get(req)?.(proxyRes);
    const hook = hooks.get(req);
    if (hook) respondAfter(hook, proxyRes, res, logger).catch(() => res.destroy());
  });

  const onError = (error: Error, req: IncomingMessage, res: ServerResponse): void => {
    if (abandoned.has(req)) return;
    const reason = (error as NodeJS.ErrnoException).code ?? 'ERROR';
    metrics.registryFailures.inc({ reason: reason.startsWith('E') ? reason : 'ERROR' });
    logger.warn('registry unreachable', {
      reason,
      method: req.method,
      path: req.url?.split('?')[0],
    });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    writeRegistryError(res, unavailable('the registry'));
  };

  return {
    agent,
    forward(req, res, origin, options = {}) {
      stripRequestHopByHop(req.headers);
      const headers = forwardingHeaders(origin, req.socket.remoteAddress);
      if (downloads && isPlainBlobDownload(req, options)) {
        downloads.get(req, res, headers, {
          rewrite: (answer) => rewriteResponse(answer, origin, registryHost),
          fail: (error) => onError(error, req, res),
        });
        return;
      }

      origins.set(req, origin);
      if (options.beforeResponse) hooks.set(req, options.beforeResponse);
      if (options.onResponse) watchers.set(req, options.onResponse);
      const web: httpProxy.ServerOptions = {
        headers,
        selfHandleResponse: options.beforeResponse !== undefined,
        ...(options.body ? { buffer: asStream(options.body) } : {}),
      };
      proxy.web(req, res, web, (error) => onError(error, req, res));
    },
    abandon(req) {
      abandoned.add(req);
      upstream.get(req)?.destroy();
    },
    close() {
      proxy.close();
      agent.destroy();
      downloads?.close();
    },
  };
}

function asStream(body: Buffer | Readable): Readable {
  return Buffer.isBuffer(body) ? Readable.from([body]) : body;
}

/** Hands the registry's answer to the client once the hook is done; 503 if the hook failed. */
async function respondAfter(
  hook: NonNullable<ForwardOptions['beforeResponse']>,
  registryResponse: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
): Promise<void> {
  try {
    await hook(registryResponse);
  } catch (error) {
    // What crgate must remember of this answer (a chunk's progress, a package's new version)
    // could not be kept: the client hears 503 and retries, rather than a success that its
    // next request would contradict.
    logger.warn('could not record what the registry answered', { error: String(error) });
    registryResponse.resume();
    if (!res.headersSent) writeRegistryError(res, unavailable('crgate’s state store'));
    return;
  }
  // The rewrite steps blank the headers they drop; writeHead refuses blank values.
  const headers = Object.entries(registryResponse.headers).filter(
    ([, value]) => value !== undefined,
  );
  res.writeHead(registryResponse.statusCode ?? 502, Object.fromEntries(headers));
  registryResponse.pipe(res);
}
