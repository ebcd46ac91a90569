import { readFileSync } from 'node:fs';

import { parse as parseYaml } from 'yaml';

import {
  ConfigError,
  parseBoolean,
  parseChoice,
  parseCount,
  parseHostname,
  parseListen,
  parseMs,
  parsePath,
  parsePathList,
  parseRedisUrl,
  parseTokenTtl,
  parseUrl,
  parseWholeNumber,
} from './config-values';

export { ConfigError, parseListen } from './config-values';

/**
 * crgate's configuration: read from `CRGATE_*` environment variables and an optional YAML
 * file (`CRGATE_CONFIG`), validated, defaulted and frozen. Environment variables win over
 * the file. Unknown keys in either place stop the start, so a typo never silently falls
 * back to a default.
 */
export interface Config {
  /** The web origin; the registry origin is `containers.<hostname>`. */
  readonly hostname: string;
  readonly listen: ListenAddress;
  readonly registryUrl: URL;
  readonly redisUrl: string;
  /** The operations listener: `/metrics`, `/healthz`, `/readyz`. */
  readonly metricsListen: ListenAddress;
  readonly publicUrlScheme: 'http' | 'https';
  /** Honour `X-Forwarded-Host` and `X-Forwarded-Proto` from the proxy in front of crgate. */
  readonly trustProxy: boolean;
  /** How long the registry may stay silent on one request before crgate answers 503. */
  readonly registryTimeoutMs: number;
  /** On SIGTERM, how long in-flight requests (uploads included) may take to finish. */
  readonly drainTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** The YAML directory of users, organizations and repositories; empty for none. */
  readonly directory: string;
  /** PKCS#8 PEM of the ES256 key that signs bearer tokens; empty for an ephemeral key. */
  readonly jwtKeyFile: string;
  /** Keys that no longer sign but still verify, during a rotation. */
  readonly jwtPreviousKeyFiles: readonly string[];
  readonly tokenTtlSeconds: number;
  /** Failed sign-ins allowed per client address, and per username, in a minute. */
  readonly authFailuresPerAddress: number;
  readonly authFailuresPerUser: number;
  /** How long a cached authorization decision may be reused while nothing it rests on changes. */
  readonly decisionCacheTtlSeconds: number;
  /** The most one blob upload may carry, over all its requests. */
  readonly maxLayerBytes: number;
  /** How long an upload session may last, from the request that opened it. */
  readonly uploadTimeoutMs: number;
  /** The largest manifest crgate accepts. */
  readonly maxManifestBytes: number;
  /** How many upload sessions one principal may have open at once. */
  readonly maxUploadsPerPrincipal: number;
  /** How long a deleted package or version may be restored; then the purge removes it. */
  readonly restoreWindowSeconds: number;
  /** How often each replica offers to purge expired deletions; 0 leaves it to `crgate purge`. */
  readonly purgeIntervalSeconds: number;
  /** A public package with a version pulled more often than this cannot be deleted. */
  readonly publicDeleteMaxDownloads: number;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

type Source = Readonly<Record<string, unknown>>;

interface Setting<K extends keyof Config> {
  readonly key: K;
  readonly env: string;
  readonly fallback: string;
  readonly parse: (raw: string, name: string) => Config[K];
  readonly describe: string;
}

function setting<K extends keyof Config>(
  key: K,
  env: string,
  fallback: string,
  parse: (raw: string, name: string) => Config[K],
  describe: string,
): Setting<K> {
  return { key, env, fallback, parse, describe };
}

/** Every setting, once: this table drives the environment, the file and the README. */
export const SETTINGS = [
  setting(
    'hostname',
    'CRGATE_HOSTNAME',
    'localhost',
    parseHostname,
    'web origin; the registry is served at containers.<hostname>',
  ),
  setting(
    'listen',
    'CRGATE_LISTEN',
    '127.0.0.1:8080',
    parseListen,
    'host:port the gateway listens on',
  ),
  setting(
    'registryUrl',
    'CRGATE_REGISTRY_URL',
    'http://127.0.0.1:5000',
    parseUrl(['http:', 'https:']),
    'the registry:2 behind crgate',
  ),
  setting(
    'redisUrl',
    'CRGATE_REDIS_URL',
    'redis://127.0.0.1:6379',
    parseRedisUrl,
    'Redis for records and cached decisions',
  ),
  setting(
    'metricsListen',
    'CRGATE_METRICS_LISTEN',
    '127.0.0.1:9090',
    parseListen,
    'host:port for /metrics, /healthz and /readyz',
  ),
  setting(
    'publicUrlScheme',
    'CRGATE_PUBLIC_URL_SCHEME',
    'https',
    parseChoice(['http', 'https'] as const),
    'scheme of the URLs crgate hands out',
  ),
  setting(
    'trustProxy',
    'CRGATE_TRUST_PROXY',
    'false',
    parseBoolean,
    'honour X-Forwarded-Host and X-Forwarded-Proto',
  ),
  setting(
    'registryTimeoutMs',
    'CRGATE_REGISTRY_TIMEOUT_MS',
    '60000',
    parseMs,
    'registry silence, in ms, before crgate answers 503',
  ),
  setting(
    'drainTimeoutMs',
    'CRGATE_DRAIN_TIMEOUT_MS',
    '30000',
    parseMs,
    'on SIGTERM, time in ms for in-flight requests to finish',
  ),
  setting(
    'logLevel',
    'CRGATE_LOG_LEVEL',
    'info',
    parseChoice(['error', 'warn', 'info', 'debug'] as const),
    'error, warn, info or debug',
  ),
  setting('directory', 'CRGATE_DIRECTORY', '', parsePath, 'YAML file of users, orgs and repos'),
  setting(
    'jwtKeyFile',
    'CRGATE_JWT_KEY_FILE',
    '',
    parsePath,
    'PEM (PKCS#8) of the ES256 token signing key; empty: ephemeral',
  ),
  setting(
    'jwtPreviousKeyFiles',
    'CRGATE_JWT_PREVIOUS_KEY_FILES',
    '',
    parsePathList,
    'comma-separated PEM files that still verify tokens during a key rotation',
  ),
  setting(
    'tokenTtlSeconds',
    'CRGATE_TOKEN_TTL_SECONDS',
    '300',
    parseTokenTtl,
    'lifetime of bearer tokens, in seconds (at least 60)',
  ),
  setting(
    'authFailuresPerAddress',
    'CRGATE_AUTH_FAILURES_PER_ADDRESS',
    '60',
    parseCount,
    'failed sign-ins per client address per minute before 429',
  ),
  setting(
    'authFailuresPerUser',
    'CRGATE_AUTH_FAILURES_PER_USER',
    '10',
    parseCount,
    'failed sign-ins per username per minute before 429',
  ),
  setting(
    'decisionCacheTtlSeconds',
    'CRGATE_DECISION_CACHE_TTL_SECONDS',
    '300',
    parseCount,
    'lifetime in Redis of a cached authorization decision, in seconds',
  ),
  setting(
    'maxLayerBytes',
    'CRGATE_MAX_LAYER_BYTES',
    '10000000000',
    parseCount,
    'the most bytes one blob upload may carry (10 GB, as on ghcr.io)',
  ),
  setting(
    'uploadTimeoutMs',
    'CRGATE_UPLOAD_TIMEOUT_MS',
    '600000',
    parseMs,
    'how long, in ms, an upload session may last from its start (10 minutes)',
  ),
  setting(
    'maxManifestBytes',
    'CRGATE_MAX_MANIFEST_BYTES',
    '4194304',
    parseCount,
    'the largest manifest accepted, in bytes (4 MiB)',
  ),
  setting(
    'maxUploadsPerPrincipal',
    'CRGATE_MAX_UPLOADS_PER_PRINCIPAL',
    '100',
    parseCount,
    'how many uploads one user or workflow may have open at once',
  ),
  setting(
    'restoreWindowSeconds',
    'CRGATE_RESTORE_WINDOW_SECONDS',
    '2592000',
    parseWholeNumber,
    'how long a deleted package or version can be restored (30 days)',
  ),
  setting(
    'purgeIntervalSeconds',
    'CRGATE_PURGE_INTERVAL_SECONDS',
    '3600',
    parseWholeNumber,
    'how often expired deletions are purged from the registry; 0: only by crgate purge',
  ),
  setting(
    'publicDeleteMaxDownloads',
    'CRGATE_PUBLIC_DELETE_MAX_DOWNLOADS',
    '5000',
    parseWholeNumber,
    'a public package with a version pulled more often cannot be deleted (as on GitHub)',
  ),
] as const;

const CONFIG_FILE_ENV = 'CRGATE_CONFIG';

function readFile(path: string): Source {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(CONFIG_FILE_ENV, `cannot read ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(CONFIG_FILE_ENV, `${path} must hold a mapping of settings`);
  }
  return parsed as Source;
}

function refuseUnknown(env: NodeJS.ProcessEnv, file: Source): void {
  const envNames = new Set<string>([CONFIG_FILE_ENV, ...SETTINGS.map((s) => s.env)]);
  const unknownEnv = Object.keys(env).find((n) => n.startsWith('CRGATE_') && !envNames.has(n));
  if (unknownEnv) throw new ConfigError(unknownEnv, 'unknown setting');

  const keys = new Set<string>(SETTINGS.map((s) => s.key));
  const unknownKey = Object.keys(file).find((k) => !keys.has(k));
  if (unknownKey) throw new ConfigError(unknownKey, 'unknown setting in the configuration file');
}

function rawValue(s: Setting<keyof Config>, env: NodeJS.ProcessEnv, file: Source): string {
  const fromEnv = env[s.env];
  if (fromEnv !== undefined) return fromEnv;
  const fromFile = file[s.key];
  if (fromFile === undefined || fromFile === null) return s.fallback;
  if (typeof fromFile === 'object') {
    throw new ConfigError(s.key, 'must be a single value in the configuration file');
  }
  return String(fromFile);
}

/** Reads, validates and freezes the configuration; throws ConfigError naming the bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const filePath = env[CONFIG_FILE_ENV];
  const file = filePath ? readFile(filePath) : {};
  refuseUnknown(env, file);

  const values: Record<string, unknown> = {};
  for (const s of SETTINGS as readonly Setting<keyof Config>[]) {
    const name = env[s.env] !== undefined ? s.env : s.key in file ? s.key : s.env;
    values[s.key] = s.parse(rawValue(s, env, file), name);
  }
  return Object.freeze(values as unknown as Config);
}
