import {
  parseBoolean,
  parseChoice,
  parseCount,
  parseHostname,
  parseListen,
  parseMs,
  parseOptionalId,
  parseOptionalUrl,
  parsePath,
  parsePathList,
  parseRedisUrl,
  parseTokenTtl,
  parseUrl,
  parseWholeNumber,
} from './config-values';
import type { Config } from './config';

/** One setting: its key in the configuration file, its environment variable, its default. */
export interface Setting<K extends keyof Config> {
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
  setting(
    'directoryProvider',
    'CRGATE_DIRECTORY_PROVIDER',
    'file',
    parseChoice(['file', 'github'] as const),
    'file (CRGATE_DIRECTORY) or github (the GitHub or GHES API)',
  ),
  setting(
    'githubApiUrl',
    'CRGATE_GITHUB_API_URL',
    'https://api.github.com',
    parseUrl(['http:', 'https:']),
    'GitHub API base: https://api.github.com or https://<ghes-host>/api/v3',
  ),
  setting(
    'githubTokenFile',
    'CRGATE_GITHUB_TOKEN_FILE',
    '',
    parsePath,
    'file holding the service token (classic, read:org and repo) for the github provider',
  ),
  setting(
    'githubAppId',
    'CRGATE_GITHUB_APP_ID',
    '',
    parseOptionalId,
    'GitHub App id, instead of a token',
  ),
  setting(
    'githubAppKeyFile',
    'CRGATE_GITHUB_APP_KEY_FILE',
    '',
    parsePath,
    'PEM file of the GitHub App private key',
  ),
  setting(
    'githubAppInstallationId',
    'CRGATE_GITHUB_APP_INSTALLATION_ID',
    '',
    parseOptionalId,
    'the GitHub App installation crgate reads through',
  ),
  setting(
    'githubCacheTtlSeconds',
    'CRGATE_GITHUB_CACHE_TTL_SECONDS',
    '300',
    parseCount,
    'seconds a GitHub answer is trusted before it is revalidated with its ETag',
  ),
  setting(
    'githubTimeoutMs',
    'CRGATE_GITHUB_TIMEOUT_MS',
    '10000',
    parseMs,
    'time in ms GitHub may take to answer before crgate answers 503',
  ),
  setting(
    'githubRateLimitReserve',
    'CRGATE_GITHUB_RATE_LIMIT_RESERVE',
    '100',
    parseWholeNumber,
    'below this many requests left, only conditional (free) requests go to GitHub',
  ),
  setting(
    'githubOidcIssuer',
    'CRGATE_GITHUB_OIDC_ISSUER',
    'https://token.actions.githubusercontent.com',
    parseOptionalUrl,
    'Actions OIDC issuer (GHES: https://<host>/_services/token); empty: no OIDC logins',
  ),
  setting(
    'githubOidcAudience',
    'CRGATE_GITHUB_OIDC_AUDIENCE',
    '',
    parsePath,
    'audience OIDC tokens must carry; empty: containers.<hostname>',
  ),
] as const;
