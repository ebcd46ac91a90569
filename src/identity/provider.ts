import { readFileSync } from 'node:fs';

import type { Logger } from 'winston';

import { REGISTRY_SUBDOMAIN } from '../hosts';
import { ConfigError } from '../config';
import type { Config } from '../config';
import type { RedisClient } from '../state/redis';
import type { Metrics } from '../telemetry/metrics';
import type { Directory } from './directory';
import { FileDirectory } from './file-directory';
import { GitHubApi } from './github/api';
import type { ServiceCredential } from './github/api';
import { GitHubDirectory } from './github/github-directory';
import { ActionsOidc } from './github/oidc';
import { GitHubAppCredential, StaticToken } from './github/service-credential';
import { GitHubTokens } from './github/tokens';

/**
 * Where identities come from (CRGATE_DIRECTORY_PROVIDER): the directory file, with tokens
 * crgate issues itself, or GitHub, whose directory and tokens crgate reads through its API.
 */
export type Identity =
  | { readonly provider: 'file'; readonly directory: FileDirectory }
  | {
      readonly provider: 'github';
      readonly directory: Directory;
      readonly tokens: GitHubTokens;
      /** GitHub's web address, where users make and revoke their tokens. */
      readonly webUrl: string;
    };

export interface IdentityDeps {
  readonly redis: RedisClient;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export function openIdentity(config: Config, deps: IdentityDeps): Identity {
  if (config.directoryProvider === 'github') return openGitHub(config, deps);
  if (!config.directory) {
    throw new ConfigError('CRGATE_DIRECTORY', 'required: the YAML file of users, orgs and repos');
  }
  const directory = FileDirectory.load(config.directory);
  directory.watch(deps.logger);
  return { provider: 'file', directory };
}

/** Stops what the identity watches: the directory file's reloads. */
export function closeIdentity(identity: Identity): void {
  if (identity.provider === 'file') identity.directory.close();
}

function openGitHub(config: Config, deps: IdentityDeps): Identity {
  const apiUrl = config.githubApiUrl.href.replace(/\/$/, '');
  const api = new GitHubApi({
    ...deps,
    apiUrl,
    service: serviceCredential(config, apiUrl),
    ttlMs: config.githubCacheTtlSeconds * 1000,
    timeoutMs: config.githubTimeoutMs,
    rateLimitReserve: config.githubRateLimitReserve,
  });
  const oidc = config.githubOidcIssuer
    ? new ActionsOidc({
        issuer: config.githubOidcIssuer,
        audience: config.githubOidcAudience || `${REGISTRY_SUBDOMAIN}.${config.hostname}`,
        timeoutMs: config.githubTimeoutMs,
      })
    : undefined;
  return {
    provider: 'github',
    directory: new GitHubDirectory(api),
    tokens: new GitHubTokens(api, oidc),
    webUrl: githubWebUrl(apiUrl),
  };
}

/** `https://api.github.com` is github.com's API; a GHES instance serves its API at `/api/v3`. */
export function githubWebUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '')}`.replace(/\/$/, '');
}

function readSecretFile(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(key, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`);
  }
}

function serviceCredential(config: Config, apiUrl: string): ServiceCredential {
  const { githubTokenFile, githubAppId, githubAppKeyFile, githubAppInstallationId } = config;
  if (githubTokenFile) {
    return new StaticToken(readSecretFile(githubTokenFile, 'CRGATE_GITHUB_TOKEN_FILE'));
  }
  if (!githubAppId || !githubAppKeyFile || !githubAppInstallationId) {
    throw new ConfigError(
      'CRGATE_GITHUB_TOKEN_FILE',
      'the github provider needs a service credential: CRGATE_GITHUB_TOKEN_FILE, or ' +
        'CRGATE_GITHUB_APP_ID, CRGATE_GITHUB_APP_KEY_FILE and CRGATE_GITHUB_APP_INSTALLATION_ID',
    );
  }
  try {
    return new GitHubAppCredential({
      apiUrl,
      appId: githubAppId,
      privateKeyPem: readSecretFile(githubAppKeyFile, 'CRGATE_GITHUB_APP_KEY_FILE'),
      installationId: githubAppInstallationId,
      timeoutMs: config.githubTimeoutMs,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('CRGATE_GITHUB_APP_KEY_FILE', 'is not a PEM private key');
  }
}
