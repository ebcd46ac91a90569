import type { IncomingMessage } from 'node:http';

import type { Request } from 'express';
import type { Logger } from 'winston';

import { REGISTRY_SUBDOMAIN } from '../hosts';
import { requestFacts } from '../telemetry/access-log';
import type { PasswordChecker } from '../auth/credentials';
import type { TokenStore } from '../auth/token-store';
import type { Directory } from '../identity/directory';
import type { PackageDeletions } from '../packages/deletion';
import type { PackageStore } from '../packages/package-store';
import type { ReferrerStore } from '../packages/referrers';
import { DirectoryUnavailableError } from '../identity/directory';
import { isRedisOutage } from '../state/redis';
import type { RedisClient } from '../state/redis';

/** What the web origin's API and pages are built on. */
export interface WebParts {
  readonly tokens: TokenStore;
  readonly directory: Directory;
  readonly passwords: PasswordChecker;
  readonly packages: PackageStore;
  readonly deletions: PackageDeletions;
  /** Signatures, SBOMs and attestations pushed with a subject, shown with their subject. */
  readonly referrers: ReferrerStore;
  /** For sessions of signed-in users, which are records of the web origin only. */
  readonly redis: RedisClient;
  readonly addressOf: (req: IncomingMessage) => string;
  /** The configured web origin's host name; the registry is `containers.<hostname>`. */
  readonly hostname: string;
  readonly scheme: 'http' | 'https';
  readonly logger: Logger;
  /**
   * When identities come from GitHub: its web address. Tokens are GitHub's then, made and
   * revoked there, and crgate's token pages send the browser to GitHub's.
   */
  readonly githubWebUrl?: string;
}

/**
 * The status of a failure that is crgate's, logged once: 503 while Redis or the directory is
 * away (the client may retry), 500 for the unexpected.
 */
export function serverFailure(
  parts: Pick<WebParts, 'logger' | 'redis'>,
  error: unknown,
): 500 | 503 {
  if (isRedisOutage(error, parts.redis)) {
    parts.logger.warn('redis unavailable; refusing', { error: String(error) });
    return 503;
  }
  // GitHubApi logged why, once, as it happened.
  if (error instanceof DirectoryUnavailableError) return 503;
  parts.logger.error('unexpected error', { error: String(error) });
  return 500;
}

/** Seconds a client waits before it asks again after a 503. */
export const RETRY_AFTER_SECONDS = '5';

/** The registry host as the viewer addresses this origin: `containers.<host>[:port]`. */
export function registryHostOf(req: Request, parts: WebParts): string {
  // The host router accepted this Host, so it is a plain host[:port].
  return `${REGISTRY_SUBDOMAIN}.${requestFacts(req)?.public?.host ?? parts.hostname}`;
}
