import type { IncomingMessage } from 'node:http';

import type { PasswordChecker } from '../auth/credentials';
import type { TokenStore } from '../auth/token-store';
import type { Directory } from '../identity/directory';
import type { PackageDeletions } from '../packages/deletion';
import type { PackageStore } from '../packages/package-store';
import type { RedisClient } from '../state/redis';

/** What the web origin's API and pages are built on. */
export interface WebParts {
  readonly tokens: TokenStore;
  readonly directory: Directory;
  readonly passwords: PasswordChecker;
  readonly packages: PackageStore;
  readonly deletions: PackageDeletions;
  /** For sessions of signed-in users, which are records of the web origin only. */
  readonly redis: RedisClient;
  readonly addressOf: (req: IncomingMessage) => string;
  /** The configured web origin's host name; the registry is `containers.<hostname>`. */
  readonly hostname: string;
  readonly scheme: 'http' | 'https';
}
