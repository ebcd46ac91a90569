import { randomUUID } from 'node:crypto';

import type { Logger } from 'winston';

import { fetchFromRegistry } from '../registry/registry-fetch';
import type { RedisClient } from '../state/redis';
import { parseDeletedVersion, parsePurgeMember, snapshotPairs } from './deletion';
import type { DeletedPackageSnapshot, PurgeItem } from './deletion';
import { unindexDeletedName } from './deleted-names';
import { PACKAGE_KEYS } from './package-keys';
import type { PurgeMark, PurgeMarks } from './purge-marks';
import { forgetOrphanedReferrers, ReferrerStore } from './referrers';

/**
 * The purge: once a deletion's restore window has passed, its manifests are deleted from the
 * registry (which needs `storage.delete.enabled`), and crgate forgets the deletion. The
 * registry's garbage collection then frees the blobs that no manifest references. A
 * digest that was pushed again since stays in the registry, and so does one whose push is in
 * flight: purge-marks.ts keeps a push and the purge of one digest from crossing.
 */
export type ManifestDeleter = (repository: string, digest: string) => Promise<boolean>;

/** Deletes a manifest through the registry API; true when it is gone (202, or 404 already). */
export function registryManifestDeleter(registryUrl: URL, timeoutMs: number): ManifestDeleter {
  const source = { registryUrl, registryTimeoutMs: timeoutMs };
  return async (repository, digest) => {
    const path = `/v2/${repository}/manifests/${digest}`;
    const answer = await fetchFromRegistry(source, path, { method: 'DELETE' });
    await answer.arrayBuffer();
    return answer.status === 202 || answer.status === 404;
  };
}

// Forgets a purged deletion: KEYS deleted versions or trash, hidden; ARGV the field to drop,
// the hidden value that marks this deletion's package, then the digests the registry deleted
// (with them went the registry's tags that named them).
const FORGET_PURGED = `
redis.call('HDEL', KEYS[1], ARGV[1])
local purged = {}
for i = 3, #ARGV do purged[ARGV[i]] = true end
local hidden = redis.call('HGETALL', KEYS[2])
for i = 1, #hidden, 2 do
  local field, value = hidden[i], hidden[i + 1]
  local digest = string.match(field, '^digest:(.*)$')
  if (digest and purged[digest]) or (string.sub(field, 1, 4) == 'tag:' and purged[value]) or
     (field == 'package' and value == ARGV[2]) then
    redis.call('HDEL', KEYS[2], field)
  end
end
return 1`;

const LOCK_KEY = 'crgate:cache:purge-lock';
const BATCH = 100;

export interface PurgeReport {
  /** Deletions whose manifests are gone from the registry and whose records are forgotten. */
  readonly purged: number;
  /**
   * Deletions left for the next run: the registry refused or could not be reached, or a push
   * of one of their digests was in flight.
   */
  readonly failed: number;
}

export class Purger {
  constructor(
    private readonly redis: RedisClient,
    private readonly deleteManifest: ManifestDeleter,
    private readonly restoreWindowMs: number,
    private readonly logger: Logger,
    private readonly marks: PurgeMarks,
  ) {}

  /**
   * Purges every deletion older than the restore window. One replica at a time: the others
   * skip a run while its lock is held, and an empty report says so.
   */
  async purgeDue(now = Date.now()): Promise<PurgeReport> {
    const owner = randomUUID();
    const locked = await this.redis.set(LOCK_KEY, owner, 'PX', 10 * 60_000, 'NX');
    if (!locked) return { purged: 0, failed: 0 };
    try {
      return await this.purgeBatches(now - this.restoreWindowMs);
    } finally {
      if ((await this.redis.get(LOCK_KEY)) === owner) await this.redis.del(LOCK_KEY);
    }
  }

  /** Runs `purgeDue` every `intervalMs` until the returned function is called. */
  every(intervalMs: number): () => void {
    const timer = setInterval(() => {
      this.purgeDue().catch((error: unknown) =>
        this.logger.warn('purge failed; it runs again later', { error: String(error) }),
      );
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async purgeBatches(dueBefore: number): Promise<PurgeReport> {
    let purged = 0;
    let failed = 0;
    for (let offset = 0; ;) {
      const members = await this.redis.zrangebyscore(
        PACKAGE_KEYS.purgeQueue,
        '-inf',
        dueBefore,
        'LIMIT',
        offset,
        BATCH,
      );
      for (const member of members) {
        if (await this.purge(parsePurgeMember(member))) {
          await this.redis.zrem(PACKAGE_KEYS.purgeQueue, member);
          purged += 1;
        } else {
          failed += 1;
        }
      }
      // What failed stays queued, ahead of what comes next.
      offset = failed;
      if (members.length < BATCH) return { purged, failed };
    }
  }

  /** Purges one deletion; true when nothing of it is left to purge. */
  private async purge(item: PurgeItem): Promise<boolean> {
    if (item.kind === 'version') {
      const json = await this.redis.hget(PACKAGE_KEYS.deletedVersions(item.repository), item.key);
      if (json === null) return true;
      const digest = parseDeletedVersion(json).version.digest;
      const key = PACKAGE_KEYS.deletedVersions(item.repository);
      return this.purgeDigests(item, [digest], key, item.key);
    }
    const json = await this.redis.hget(PACKAGE_KEYS.trash(item.repository), item.key);
    if (json === null) return this.forgetName(item.repository);
    const snapshot = JSON.parse(json) as DeletedPackageSnapshot;
    const digests = [
      ...snapshotPairs(snapshot.versions).map(([digest]) => digest),
      ...snapshotPairs(snapshot.deleted).map(([, v]) => parseDeletedVersion(v).version.digest),
    ];
    const trash = PACKAGE_KEYS.trash(item.repository);
    if (!(await this.purgeDigests(item, digests, trash, item.key))) return false;
    return this.forgetName(item.repository);
  }

  /** After a package deletion left the trash: what the name kept only for its deletions. */
  private async forgetName(repository: string): Promise<true> {
    await unindexDeletedName(this.redis, repository);
    await forgetOrphanedReferrers(this.redis, repository);
    return true;
  }

  /** Deletes the digests no live version holds from the registry, then forgets the deletion. */
  private async purgeDigests(
    item: PurgeItem,
    digests: readonly string[],
    recordKey: string,
    field: string,
  ): Promise<boolean> {
    const deleted: string[] = [];
    for (const digest of digests) {
      const start = await this.marks.beginPurge(item.repository, digest);
      if (start === 'live') continue;
      if (start === 'pushing') {
        this.logger.info('purge: a push of a manifest is in flight; its deletion waits', {
          repository: item.repository,
          digest,
        });
        return false;
      }
      deleted.push(digest);
      if (!(await this.deleteMarked(start))) {
        this.logger.warn('purge: the registry did not delete a manifest', {
          repository: item.repository,
          digest,
        });
        return false;
      }
    }
    const hiddenKey = PACKAGE_KEYS.hidden(item.repository);
    await this.redis.eval(FORGET_PURGED, 2, recordKey, hiddenKey, field, item.key, ...deleted);
    this.logger.info('purged a deletion', {
      repository: item.repository,
      kind: item.kind,
      manifests: deleted.length,
    });
    return true;
  }

  /**
   * Deletes a digest marked as purging, and clears the mark once the registry has answered.
   * After a timeout or a lost connection the registry may still delete, so the mark stays
   * until it expires, and pushes of the digest wait for it.
   */
  private async deleteMarked(mark: PurgeMark): Promise<boolean> {
    const gone = await this.deleteManifest(mark.repository, mark.digest).catch(() => undefined);
    if (gone === undefined) return false;
    await this.marks.endPurge(mark);
    // The deletion's hidden digests go with it, after which a referrer read from the fallback
    // tag would be listed again although the registry no longer holds it.
    if (gone) await new ReferrerStore(this.redis).forget(mark.repository, mark.digest);
    return gone;
  }
}
