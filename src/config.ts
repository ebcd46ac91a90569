import { readFileSync } from 'node:fs';

import { parse as parseYaml } from 'yaml';

import { ConfigError } from './config-values';
import { SETTINGS } from './config-settings';
import type { Setting } from './config-settings';

export { ConfigError, parseListen } from './config-values';
export { SETTINGS } from './config-settings';

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
  /** The most manifest bytes each replica keeps in memory to answer pulls with. */
  readonly manifestCacheBytes: number;
  /** Who the users, organizations and repositories are: the YAML file, or GitHub. */
  readonly directoryProvider: 'file' | 'github';
  /** `https://api.github.com`, or `https://<ghes-host>/api/v3`. */
  readonly githubApiUrl: URL;
  /** The service credential as a token (classic, `read:org` and `repo`), in a file. */
  readonly githubTokenFile: string;
  /** The service credential as a GitHub App: its id, private key and installation. */
  readonly githubAppId: string;
  readonly githubAppKeyFile: string;
  readonly githubAppInstallationId: string;
  /** How long a GitHub answer is trusted before it is asked again (with its ETag). */
  readonly githubCacheTtlSeconds: number;
  readonly githubTimeoutMs: number;
  /** Below this many requests left in GitHub's rate limit, only conditional requests go out. */
  readonly githubRateLimitReserve: number;
  /** The Actions OIDC issuer whose tokens log workflows in; empty turns OIDC off. */
  readonly githubOidcIssuer: string;
  /** The audience OIDC tokens must name; empty: `containers.<hostname>`. */
  readonly githubOidcAudience: string;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

type Source = Readonly<Record<string, unknown>>;

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
