import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import type { Logger } from 'winston';

import { AccessControl } from './access/decide';
import { DecisionCache } from './access/decision-cache';
import { Authenticator } from './auth/authenticate';
import { PasswordChecker, StoredTokens } from './auth/credentials';
import { FailureLimiter } from './auth/rate-limit';
import { TokenSigner } from './auth/jwt';
import { loadSigningKeys } from './auth/signing-keys';
import { createTokenEndpoint } from './auth/token-endpoint';
import { TOKEN_ID_PREFIX, TokenStore } from './auth/token-store';
import { TokenUseRecorder } from './auth/token-use';
import type { Config, ListenAddress } from './config';
import type { Directory } from './identity/directory';
import { closeIdentity, openIdentity } from './identity/provider';
import type { Identity } from './identity/provider';
import { createAddressResolver, createHostRouter, REGISTRY_SUBDOMAIN } from './hosts';
import { drain } from './lifecycle/drain';
import { createOpsApp } from './lifecycle/ops';
import { checkReadiness } from './lifecycle/readiness';
import { PackageDeletions } from './packages/deletion';
import { DownloadCounter } from './packages/download-counter';
import { PackageObserver } from './packages/observe';
import { PackageStore } from './packages/package-store';
import { Purger, registryManifestDeleter } from './packages/purge';
import { markTtlMs, PurgeMarks } from './packages/purge-marks';
import { ReferrerStore } from './packages/referrers';
import { createRegistryHandler } from './registry/app';
import { UploadSessions } from './registry/upload-sessions';
import { createUploadStep } from './registry/uploads';
import { createBlobReader } from './registry/blob-reader';
import { RegistryError, registryErrorBody, writeRegistryError } from './registry/errors';
import { createForwarder, STREAM_BUFFER_BYTES } from './registry/forward';
import { ManifestReads, TRACKED_PREFIXES } from './registry/manifest-reads';
import { RegistryReferrers } from './registry/referrers';
import type { ReferrersPageBounds } from './registry/referrers';
import { createFallbackTagReader } from './registry/referrers-tag';
import { KeyTracker } from './state/key-tracking';
import { connectRedis, isRedisOutage } from './state/redis';
import type { RedisClient } from './state/redis';
import { recordRequest } from './telemetry/access-log';
import { createCrgateLogger } from './telemetry/logger';
import { createMetrics } from './telemetry/metrics';
import type { Metrics } from './telemetry/metrics';
import { createWebApp } from './web/app';

/** A running crgate: the public listener, the operations listener and their dependencies. */
export interface Gateway {
  readonly server: http.Server;
  readonly opsServer: http.Server;
  readonly metrics: Metrics;
  readonly redis: RedisClient;
  readonly tokens: TokenStore;
  readonly directory: Directory;
  readonly packages: PackageStore;
  readonly deletions: PackageDeletions;
  /** Manifests pushed with a subject; `referrersOf` lists a version's referrers. */
  readonly referrers: ReferrerStore;
  readonly purger: Purger;
  /** Download counts not yet added to the records; `flush()` adds them. */
  readonly downloads: DownloadCounter;
  /** Redis's word on changed records, which what this replica keeps in memory relies on. */
  readonly tracker: KeyTracker;
  /** Starts both listeners; resolves with the ports actually bound (port 0 picks one). */
  listen(): Promise<{ port: number; metricsPort: number }>;
  /** Drains in-flight requests (up to the drain time) and releases everything. */
  close(): Promise<boolean>;
}

export interface GatewayOptions {
  readonly logger?: Logger;
  /** Page bounds of the referrers API: defaults that only a test has reason to lower. */
  readonly referrersPage?: Partial<ReferrersPageBounds>;
}

function listenOn(server: http.Server, address: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function misdirected(hostname: string): RegistryError {
  return new RegistryError(
    'MISDIRECTED',
    `this server answers only for ${REGISTRY_SUBDOMAIN}.${hostname} and ${hostname}`,
  );
}

// Refresh tokens stand in for a password on the client; they die with their access token.
const REFRESH_TOKEN_TTL_SECONDS = 90 * 24 * 3600;

async function createAuth(
  config: Config,
  logger: Logger,
  redis: RedisClient,
  metrics: Metrics,
  tracker: KeyTracker,
) {
  const identity = openIdentity(config, { redis, metrics, logger });
  const { directory } = identity;
  const keys = await loadSigningKeys({
    keyFile: config.jwtKeyFile || undefined,
    previousKeyFiles: config.jwtPreviousKeyFiles,
  });
  if (keys.ephemeral) {
    logger.warn('no CRGATE_JWT_KEY_FILE: tokens are signed with a key that dies with this process');
  }
  const service = `${REGISTRY_SUBDOMAIN}.${config.hostname}`;
  const signer = new TokenSigner({ keys, issuer: 'crgate', audience: service });
  const tokens = new TokenStore(redis);
  const limiter = new FailureLimiter(redis, {
    perAddressPerMinute: config.authFailuresPerAddress,
    perUserPerMinute: config.authFailuresPerUser,
  });
  const uses = new TokenUseRecorder(tokens, {
    // The id and the kind of failure only: a message could quote the record it was writing.
    onFailure: (error, tokenId) =>
      logger.debug('last use not recorded', {
        tokenId,
        reason: error instanceof Error ? error.name : typeof error,
      }),
  });
  const verifier =
    identity.provider === 'github'
      ? identity.tokens
      : new StoredTokens(tokens, directory, uses, tracker);
  const passwords = new PasswordChecker(verifier, limiter);
  const addressOf = createAddressResolver(config);
  const packages = new PackageStore(redis);
  const downloads = new DownloadCounter(packages, logger);
  const deletions = new PackageDeletions(redis, {
    restoreWindowMs: config.restoreWindowSeconds * 1000,
    publicDeleteMaxDownloads: config.publicDeleteMaxDownloads,
    pendingDownloads: downloads,
  });
  const cache = new DecisionCache(redis, config.decisionCacheTtlSeconds);
  const access = new AccessControl(directory, packages, cache, metrics, logger);
  const tokenEndpoint = createTokenEndpoint({
    addressOf,
    signer,
    access,
    passwords,
    service,
    tokenTtlSeconds: config.tokenTtlSeconds,
    refreshTokenTtlSeconds: REFRESH_TOKEN_TTL_SECONDS,
  });
  const authenticator = new Authenticator(signer, verifier, passwords, tracker);
  return {
    identity,
    directory,
    tokens,
    packages,
    deletions,
    downloads,
    access,
    service,
    tokenEndpoint,
    authenticator,
    signer,
    passwords,
    addressOf,
  };
}

// The request line and headers together: Node's default, named so the refusal can say it.
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * A request Node could not parse gets an OCI error too: 431 for a request line and headers
 * past MAX_HEADER_BYTES (a URL of 16 KiB included), 400 for anything else malformed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code?.startsWith('HPE_') !== true) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const refusal = tooLarge
    ? new RegistryError(
        'SIZE_INVALID',
        `the request line and headers may be at most ${MAX_HEADER_BYTES} bytes`,
        { limit: MAX_HEADER_BYTES },
        {},
        431,
      )
    : new RegistryError('INVALID_REQUEST', 'malformed HTTP request');
  const body = registryErrorBody(refusal);
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  const headers = [
    `HTTP/1.1 ${refusal.status} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${randomUUID()}`,
    'Connection: close',
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Closes Redis after what the last requests sent it (a session's release, a record) has gone
 * out: cut requests close a moment after drain returns, then QUIT waits for the replies.
 */
async function closeRedis(redis: RedisClient, inFlight: () => number): Promise<void> {
  for (let tries = 0; inFlight() > 0 && tries < 100; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Commands go out in auto-pipelined batches, which QUIT would overtake; a PING goes out
  // behind whatever is queued, and its reply comes after theirs.
  const flushed = redis.ping().then(() => redis.quit());
  const quit = flushed.catch(() => undefined);
  const timeout = new Promise((resolve) => setTimeout(resolve, 2_000).unref());
  await Promise.race([quit, timeout]);
  redis.disconnect();
}

/** Where the directory's repositories live: crgate's web origin, or GitHub's. */
function repositoryOrigin(config: Config, identity: Identity) {
  if (identity.provider === 'file') {
    return { hostname: config.hostname, scheme: config.publicUrlScheme };
  }
  const url = new URL(identity.webUrl);
  return { hostname: url.host, scheme: url.protocol === 'http:' ? 'http' : 'https' } as const;
}

export async function createGateway(
  config: Config,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const logger = options.logger ?? createCrgateLogger(config.logLevel);
  const metrics = createMetrics();
  const redis = connectRedis(config.redisUrl, logger);
  // Redis's word on changed records, for what replicas keep in memory (key-tracking.ts).
  const tracker = new KeyTracker(config.redisUrl, [...TRACKED_PREFIXES, TOKEN_ID_PREFIX], logger);
  const auth = await createAuth(config, logger, redis, metrics, tracker).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  tracker.start();
  const forwarder = createForwarder(config, logger, metrics);
  const routeHost = createHostRouter(config);
  const observer = new PackageObserver({
    store: auth.packages,
    directory: auth.directory,
    readBlob: createBlobReader(config.registryUrl, config.registryTimeoutMs),
    ...repositoryOrigin(config, auth.identity),
    logger,
  });
  const uploads = createUploadStep({
    forwarder,
    sessions: new UploadSessions(redis, config.uploadTimeoutMs),
    limits: config,
    registryUrl: config.registryUrl,
    registryTimeoutMs: config.registryTimeoutMs,
    logger,
  });
  const referrerStore = new ReferrerStore(redis);
  const purgeMarks = new PurgeMarks(redis, { ttlMs: markTtlMs(config.registryTimeoutMs) });
  const referrers = new RegistryReferrers({
    store: referrerStore,
    deletions: auth.deletions,
    packages: auth.packages,
    fallback: createFallbackTagReader(
      config.registryUrl,
      config.registryTimeoutMs,
      config.maxManifestBytes,
    ),
    logger,
    page: options.referrersPage,
  });
  const manifestReads = new ManifestReads({
    redis,
    registry: config,
    tracker,
    maxBytes: config.manifestCacheBytes,
    onFound: (found) => void observer.manifestFound(found),
  });
  const { downloads } = auth;
  const handleRegistry = createRegistryHandler({
    referrers,
    manifestReads,
    forwarder,
    uploads,
    maxManifestBytes: config.maxManifestBytes,
    tagsSource: config,
    metrics,
    logger,
    observer,
    purgeMarks,
    isStateOutage: (error) => isRedisOutage(error, redis),
    ...auth,
  });
  const webApp = createWebApp({
    ...auth,
    githubWebUrl: auth.identity.provider === 'github' ? auth.identity.webUrl : undefined,
    referrers: referrerStore,
    redis,
    hostname: config.hostname,
    scheme: config.publicUrlScheme,
    logger,
    jwks: () => auth.signer.jwks(),
  });
  const purger = new Purger(
    redis,
    registryManifestDeleter(config.registryUrl, config.registryTimeoutMs),
    config.restoreWindowSeconds * 1000,
    logger,
    purgeMarks,
  );
  const stopPurging =
    config.purgeIntervalSeconds > 0 ? purger.every(config.purgeIntervalSeconds * 1000) : () => {};
  let inFlight = 0;
  let draining = false;

  const serverOptions = { highWaterMark: STREAM_BUFFER_BYTES, maxHeaderSize: MAX_HEADER_BYTES };
  const server = http.createServer(serverOptions, (req, res) => {
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    const facts = recordRequest(req, res, logger, metrics);

    const match = routeHost(req);
    if (!match) return writeRegistryError(res, misdirected(config.hostname));
    facts.origin = match.origin;
    facts.public = match.public;
    if (match.origin === 'registry') handleRegistry(req, res, facts);
    else webApp(req, res);
  });
  server.on('clientError', answerClientError);
  // Uploads may stream for the whole upload time; Node's default would cut them at 5 minutes.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  const opsServer = http.createServer(
    createOpsApp({
      metrics,
      readiness: () => checkReadiness(config.registryUrl, forwarder.agent, redis),
      draining: () => draining,
    }),
  );

  return {
    server,
    opsServer,
    metrics,
    redis,
    tokens: auth.tokens,
    directory: auth.directory,
    packages: auth.packages,
    deletions: auth.deletions,
    referrers: referrerStore,
    purger,
    downloads,
    tracker,
    async listen() {
      const port = await listenOn(server, config.listen);
      const metricsPort = await listenOn(opsServer, config.metricsListen);
      logger.info('crgate listening', {
        port,
        metrics_port: metricsPort,
        hostname: config.hostname,
      });
      return { port, metricsPort };
    },
    async close() {
      draining = true;
      stopPurging();
      const drained = await drain(server, () => inFlight, config.drainTimeoutMs);
      opsServer.close();
      opsServer.closeAllConnections();
      forwarder.close();
      tracker.stop();
      await downloads.close();
      closeIdentity(auth.identity);
      await closeRedis(redis, () => inFlight);
      logger.info('crgate stopped', { drained });
      return drained;
    },
  };
}
