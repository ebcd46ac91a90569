import { PACKAGE_KEYS } from '../packages/package-keys';
import type { RedisClient } from '../state/redis';
import type { RegistryAction } from './decide';

/**
 * Authorization decisions cached in Redis (DESIGN.md, "State"). An entry remembers the
 * package revision and directory version it was computed from; a lookup reads the entry and
 * the package's current revision in one round trip, and an entry whose versions no longer
 * match is a miss. So a settings change or a directory reload invalidates every affected
 * decision on every replica at once, without scanning or deleting keys.
 */
export interface FullDecision {
  readonly granted: readonly RegistryAction[];
  /** For each action not granted, why, in words the user can act on. */
  readonly refusals: Readonly<Partial<Record<RegistryAction, string>>>;
}

interface Entry extends FullDecision {
  /** Package revision, or null when the package did not exist. */
  readonly r: number | null;
  /** Directory version. */
  readonly d: string;
}

export interface Lookup {
  /** The package's current revision, or null when there is no such package. */
  readonly revision: number | null;
  readonly hit?: FullDecision;
}

const decisionKey = (principal: string, repository: string) =>
  `crgate:cache:decision:{${repository}}:${principal}`;

export class DecisionCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  /** `principal` names the principal and everything its decisions rest on (its token). */
  async lookup(principal: string, repository: string, directoryVersion: string): Promise<Lookup> {
    const replies = await this.redis
      .pipeline()
      .hget(PACKAGE_KEYS.record(repository), 'revision')
      .get(decisionKey(principal, repository))
      .exec();
    const [revisionReply, entryReply] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as string | null;
    });
    const revision = revisionReply ? Number(revisionReply) : null;

    const entry = entryReply ? (JSON.parse(entryReply) as Entry) : undefined;
    const fresh = entry && entry.r === revision && entry.d === directoryVersion;
    return fresh
      ? { revision, hit: { granted: entry.granted, refusals: entry.refusals } }
      : { revision };
  }

  async store(
    principal: string,
    repository: string,
    versions: { revision: number | null; directoryVersion: string },
    decision: FullDecision,
  ): Promise<void> {
    const entry: Entry = { ...decision, r: versions.revision, d: versions.directoryVersion };
    await this.redis.set(
      decisionKey(principal, repository),
      JSON.stringify(entry),
      'EX',
      this.ttlSeconds,
    );
  }
}
