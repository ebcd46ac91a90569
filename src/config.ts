import { readFileSync } from 'node:fs';

import { parse as parseYaml } from 'yaml';

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
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

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

// Hostnames per RFC 1123, lower case, at least one label.
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function parseHostname(raw: string, name: string): string {
  const value = raw.trim().toLowerCase();
  if (!HOSTNAME.test(value)) {
    throw new ConfigError(name, `"${raw}" is not a hostname (example: registry.example.com)`);
  }
  return value;
}

export function parseListen(raw: string, name: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(raw.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(name, `"${raw}" is not host:port (example: 127.0.0.1:8080)`);
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

function parseUrl(protocols: readonly string[]) {
  return (raw: string, name: string): URL => {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new ConfigError(name, `"${raw}" is not a URL`);
    }
    if (!protocols.includes(url.protocol)) {
      throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return url;
  };
}

function parseRedisUrl(raw: string, name: string): string {
  return parseUrl(['redis:', 'rediss:'])(raw, name).toString();
}

function parseChoice<T extends string>(choices: readonly T[]) {
  return (raw: string, name: string): T => {
    const value = raw.trim().toLowerCase();
    if (!(choices as readonly string[]).includes(value)) {
      throw new ConfigError(name, `"${raw}" is not one of ${choices.join(', ')}`);
    }
    return value as T;
  };
}

function parseBoolean(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no', ''].includes(value)) return false;
  throw new ConfigError(name, `"${raw}" is not true or false`);
}

function parseMs(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, `"${raw}" is not a positive whole number of milliseconds`);
  }
  return value;
}

function parsePath(raw: string): string {
  return raw.trim();
}

function parsePathList(raw: string): readonly string[] {
  return Object.freeze(
    raw
      .split(',')
      .map((path) => path.trim())
      .filter(Boolean),
  );
}

function parseCount(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, `"${raw}" is not a positive whole number`);
  }
  return value;
}

// distribution's token spec asks clients to expect at least 60 seconds.
const MIN_TOKEN_TTL_SECONDS = 60;

function parseTokenTtl(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < MIN_TOKEN_TTL_SECONDS) {
    throw new ConfigError(name, `"${raw}" is not a whole number of seconds, at least 60`);
  }
  return value;
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
