import { randomBytes } from 'node:crypto';

import type { RedisClient } from '../state/redis';
import { deletedNamesIn, indexDeletedName, unindexDeletedName } from './deleted-names';
import { PACKAGE_KEYS, packageKeys } from './package-keys';
import { accessOf, recordOf } from './package-store';
import type { Package, PackageVersion } from './package';
import { UNTAG } from './untag';

/**
 * Deleting and restoring packages and versions, as on ghcr.io. A deletion hides at once and
 * removes nothing from the registry: pulls of the deleted tags and digests are refused, and
 * tags lists and listings leave them out. A restore within the restore window brings back
 * what was deleted, unless its name, tag or digest has been used again since. After the
 * window, the purge (purge.ts) deletes the manifests from the registry.
 *
 * Every change is one script over the package's keys (package-keys.ts, in the order of
 * `packageKeys`), so a deletion or a restore is all or nothing.
 */
export interface DeletedVersion {
  readonly version: PackageVersion;
  /** The tags that pointed at the version when it was deleted. */
  readonly tags: readonly string[];
  readonly deletedAt: string;
  readonly downloads: number;
}

export interface DeletedPackage {
  /** Names this deletion among others of the same package name: the `token` of a restore. */
  readonly token: string;
  readonly deletedAt: string;
  readonly versionCount: number;
}

/** Why a deletion or a restore changed nothing, as a stable code. */
export type DeletionRefusal =
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'NAME_REUSED'
  | 'TAG_REUSED'
  | 'DIGEST_REUSED'
  | 'TOO_MANY_DOWNLOADS'
  | 'VERSION_TOO_MANY_DOWNLOADS';

export type Outcome = { readonly done: true } | { readonly done: false; readonly refusal: Refusal };

export interface Refusal {
  readonly code: DeletionRefusal;
  /** The tag that was reused, for TAG_REUSED. */
  readonly tag?: string;
}

export interface DeletionOptions {
  /** How long a deleted package or version may be restored. */
  readonly restoreWindowMs: number;
  /** A public package with a version pulled more often than this cannot be deleted. */
  readonly publicDeleteMaxDownloads: number;
  /**
   * Pulls counted in memory and not yet in the records (download-counter.ts): a deletion
   * adds them first, so the rule above sees this replica's latest pulls.
   */
  readonly pendingDownloads?: { flush(): Promise<void> };
  readonly now?: () => number;
}

// The deleted version's record: the version's own JSON kept as a string, so it comes back
// byte for byte (cjson would turn an empty list into an object).
const DELETED_VERSION_JSON = `
local function deletedJson(json, tags, at, atMs, downloads)
  local list = '[]'
  if #tags > 0 then list = cjson.encode(tags) end
  return '{"version":' .. cjson.encode(json) .. ',"tags":' .. list .. ',"deletedAt":' ..
    cjson.encode(at) .. ',"deletedAtMs":' .. atMs .. ',"downloads":' .. downloads .. '}'
end`;

// KEYS packageKeys; ARGV version id, deleted_at, deleted_at in ms, the most downloads a public
// package's version may have. Hides the version's digest and tags, and moves it with its
// download count to the deleted versions.
const DELETE_VERSION = `${DELETED_VERSION_JSON}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NOT_FOUND' end
local digest, json
local versions = redis.call('HGETALL', KEYS[3])
for i = 1, #versions, 2 do
  if tostring(cjson.decode(versions[i + 1]).id) == ARGV[1] then
    digest, json = versions[i], versions[i + 1]
  end
end
if not digest then return 'NOT_FOUND' end
local downloads = tonumber(redis.call('HGET', KEYS[7], digest) or '0')
if redis.call('HGET', KEYS[1], 'visibility') == 'public' and downloads > tonumber(ARGV[4]) then
  return 'VERSION_TOO_MANY_DOWNLOADS'
end
local tags = {}
local all = redis.call('HGETALL', KEYS[4])
for i = 1, #all, 2 do
  if all[i + 1] == digest then
    table.insert(tags, all[i])
    redis.call('HDEL', KEYS[4], all[i])
    redis.call('HSET', KEYS[5], 'tag:' .. all[i], digest)
  end
end
redis.call('HSET', KEYS[5], 'digest:' .. digest, ARGV[1])
redis.call('HDEL', KEYS[7], digest)
redis.call('HDEL', KEYS[3], digest)
redis.call('HSET', KEYS[6], ARGV[1], deletedJson(json, tags, ARGV[2], ARGV[3], downloads))
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2])
return 'DONE'`;

// KEYS packageKeys; ARGV version id, now in ms, restore window in ms.
const RESTORE_VERSION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NOT_FOUND' end
local entry = redis.call('HGET', KEYS[6], ARGV[1])
if not entry then return 'NOT_FOUND' end
local deleted = cjson.decode(entry)
if deleted.deletedAtMs + tonumber(ARGV[3]) < tonumber(ARGV[2]) then return 'EXPIRED' end
local digest = cjson.decode(deleted.version).digest
if redis.call('HEXISTS', KEYS[3], digest) == 1 or
   redis.call('HGET', KEYS[5], 'digest:' .. digest) ~= ARGV[1] then
  return 'DIGEST_REUSED'
end
for _, tag in ipairs(deleted.tags) do
  if redis.call('HEXISTS', KEYS[4], tag) == 1 or
     redis.call('HGET', KEYS[5], 'tag:' .. tag) ~= digest then
    return 'TAG_REUSED ' .. tag
  end
end
redis.call('HSET', KEYS[3], digest, deleted.version)
for _, tag in ipairs(deleted.tags) do
  redis.call('HSET', KEYS[4], tag, digest)
  redis.call('HDEL', KEYS[5], 'tag:' .. tag)
end
redis.call('HDEL', KEYS[5], 'digest:' .. digest)
if deleted.downloads > 0 then redis.call('HSET', KEYS[7], digest, deleted.downloads) end
redis.call('HDEL', KEYS[6], ARGV[1])
return 'DONE'`;

// KEYS packageKeys; ARGV token, deleted_at, deleted_at in ms, the most downloads a public
// package's version may have. Hides every tag and digest and the name, and moves all the
// package's records into one snapshot in the trash.
const DELETE_PACKAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'NOT_FOUND' end
local downloads = redis.call('HGETALL', KEYS[7])
if redis.call('HGET', KEYS[1], 'visibility') == 'public' then
  for i = 2, #downloads, 2 do
    if tonumber(downloads[i]) > tonumber(ARGV[4]) then return 'TOO_MANY_DOWNLOADS' end
  end
end
-- Later than every earlier deletion of the name, even within one millisecond: the latest
-- deletion is the one a restore may bring back.
local at = tonumber(ARGV[3])
for _, json in ipairs(redis.call('HVALS', KEYS[8])) do
  local earlier = cjson.decode(json).deletedAtMs
  if earlier >= at then at = earlier + 1 end
end
local snapshot = {
  token = ARGV[1], deletedAt = ARGV[2], deletedAtMs = at,
  record = redis.call('HGETALL', KEYS[1]), access = redis.call('HGETALL', KEYS[2]),
  versions = redis.call('HGETALL', KEYS[3]), tags = redis.call('HGETALL', KEYS[4]),
  deleted = redis.call('HGETALL', KEYS[6]), downloads = downloads
}
for i = 1, #snapshot.tags, 2 do
  redis.call('HSET', KEYS[5], 'tag:' .. snapshot.tags[i], snapshot.tags[i + 1])
end
for i = 1, #snapshot.versions, 2 do
  redis.call('HSET', KEYS[5], 'digest:' .. snapshot.versions[i], ARGV[1])
end
redis.call('HSET', KEYS[5], 'package', ARGV[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6], KEYS[7])
redis.call('HSET', KEYS[8], ARGV[1], cjson.encode(snapshot))
return 'DONE'`;

// KEYS packageKeys; ARGV token ('' for the latest deletion), now in ms, restore window in ms.
// Only the latest deletion of a name can come back, and only while no package has the name.
const RESTORE_PACKAGE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'NAME_REUSED' end
local latest, chosen
local trash = redis.call('HGETALL', KEYS[8])
for i = 1, #trash, 2 do
  local snapshot = cjson.decode(trash[i + 1])
  if not latest or snapshot.deletedAtMs > latest.deletedAtMs then latest = snapshot end
  if trash[i] == ARGV[1] then chosen = snapshot end
end
if ARGV[1] == '' then chosen = latest end
if not chosen then return 'NOT_FOUND' end
if chosen.token ~= latest.token then return 'NAME_REUSED' end
if chosen.deletedAtMs + tonumber(ARGV[3]) < tonumber(ARGV[2]) then return 'EXPIRED' end
for i = 1, #chosen.versions, 2 do
  if redis.call('HGET', KEYS[5], 'digest:' .. chosen.versions[i]) ~= chosen.token then
    return 'DIGEST_REUSED'
  end
end
for i = 1, #chosen.tags, 2 do
  if redis.call('HGET', KEYS[5], 'tag:' .. chosen.tags[i]) ~= chosen.tags[i + 1] then
    return 'TAG_REUSED ' .. chosen.tags[i]
  end
end
local lists = { chosen.record, chosen.access, chosen.versions, chosen.tags }
for k, list in ipairs(lists) do
  if #list > 0 then redis.call('HSET', KEYS[k], unpack(list)) end
end
if #chosen.deleted > 0 then redis.call('HSET', KEYS[6], unpack(chosen.deleted)) end
if #chosen.downloads > 0 then redis.call('HSET', KEYS[7], unpack(chosen.downloads)) end
for i = 1, #chosen.tags, 2 do redis.call('HDEL', KEYS[5], 'tag:' .. chosen.tags[i]) end
for i = 1, #chosen.versions, 2 do
  redis.call('HDEL', KEYS[5], 'digest:' .. chosen.versions[i])
end
redis.call('HDEL', KEYS[5], 'package')
redis.call('HDEL', KEYS[8], chosen.token)
redis.call('HINCRBY', KEYS[1], 'revision', 1)
return 'DONE'`;

/** A member of the purge queue: what was deleted, where, and which deletion. */
export interface PurgeItem {
  readonly kind: 'version' | 'package';
  readonly repository: string;
  /** The version id, or the package deletion's token. */
  readonly key: string;
}

export function purgeMember(item: PurgeItem): string {
  return `${item.kind} ${item.repository} ${item.key}`;
}

export function parsePurgeMember(member: string): PurgeItem {
  const [kind, repository, key] = member.split(' ') as [PurgeItem['kind'], string, string];
  return { kind, repository, key };
}

function outcomeOf(reply: unknown): Outcome {
  const [code, tag] = String(reply).split(' ', 2) as [string, string?];
  if (code === 'DONE') return { done: true };
  return { done: false, refusal: { code: code as DeletionRefusal, ...(tag ? { tag } : {}) } };
}

interface Snapshot {
  readonly token: string;
  readonly deletedAt: string;
  readonly deletedAtMs: number;
  readonly versions: readonly string[] | Record<string, never>;
  readonly deleted: readonly string[] | Record<string, never>;
  /** The package's record and access hashes as they were. */
  readonly record: readonly string[] | Record<string, never>;
  readonly access: readonly string[] | Record<string, never>;
}

/** A Lua list of name/value pairs; cjson writes an empty one as `{}`. */
function pairs(list: readonly string[] | Record<string, never>): [string, string][] {
  const flat = Array.isArray(list) ? (list as string[]) : [];
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i] ?? '', flat[i + 1] ?? '']);
  return result;
}

function parseDeletedVersion(json: string): DeletedVersion & { deletedAtMs: number } {
  const raw = JSON.parse(json) as {
    version: string;
    tags: string[];
    deletedAt: string;
    deletedAtMs: number;
    downloads: number;
  };
  return { ...raw, version: JSON.parse(raw.version) as PackageVersion };
}

export class PackageDeletions {
  private readonly now: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: DeletionOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get restoreWindowMs(): number {
    return this.options.restoreWindowMs;
  }

  get publicDeleteMaxDownloads(): number {
    return this.options.publicDeleteMaxDownloads;
  }

  /**
   * Deletes an active version by id; its digest and tags are hidden from pulls at once. A
   * public package's version pulled more than `publicDeleteMaxDownloads` times stays, as on
   * GitHub.
   */
  async deleteVersion(repository: string, id: number): Promise<Outcome> {
    const at = this.now();
    await this.options.pendingDownloads?.flush();
    // Queued first: a queue entry whose deletion never happened is dropped by the purge.
    await this.queue({ kind: 'version', repository, key: String(id) }, at);
    const args = [String(id), new Date(at).toISOString(), String(at)];
    args.push(String(this.options.publicDeleteMaxDownloads));
    return outcomeOf(await this.run(DELETE_VERSION, repository, args));
  }

  async restoreVersion(repository: string, id: number): Promise<Outcome> {
    const args = [String(id), String(this.now()), String(this.options.restoreWindowMs)];
    const outcome = outcomeOf(await this.run(RESTORE_VERSION, repository, args));
    if (outcome.done) await this.unqueue({ kind: 'version', repository, key: String(id) });
    return outcome;
  }

  /** Hides a tag from pulls and listings and leaves its version; see untag.ts. */
  async untag(repository: string, tag: string, digest: string): Promise<void> {
    const at = new Date(this.now()).toISOString();
    await this.run(UNTAG, repository, [tag, digest, at]);
  }

  /** Deletes a package: its name, tags and digests are hidden from pulls and listings. */
  async deletePackage(repository: string): Promise<Outcome & { token?: string }> {
    const at = this.now();
    const token = randomBytes(12).toString('base64url');
    await this.options.pendingDownloads?.flush();
    await this.queue({ kind: 'package', repository, key: token }, at);
    const args = [token, new Date(at).toISOString(), String(at)];
    args.push(String(this.options.publicDeleteMaxDownloads));
    const outcome = outcomeOf(await this.run(DELETE_PACKAGE, repository, args));
    if (!outcome.done) return outcome;
    await this.redis.zrem(PACKAGE_KEYS.all, repository);
    await indexDeletedName(this.redis, repository);
    return { ...outcome, token };
  }

  /** Restores the latest deletion of a package name; `token` names which one it must be. */
  async restorePackage(repository: string, token = ''): Promise<Outcome> {
    const chosen = token || (await this.deletedPackages(repository))[0]?.token || '';
    const args = [chosen, String(this.now()), String(this.options.restoreWindowMs)];
    const outcome = outcomeOf(await this.run(RESTORE_PACKAGE, repository, args));
    if (!outcome.done) return outcome;

    await this.redis.zadd(PACKAGE_KEYS.all, 0, repository);
    await unindexDeletedName(this.redis, repository);
    await this.unqueue({ kind: 'package', repository, key: chosen });
    // The versions deleted before the package wait for the purge again.
    for (const [id, json] of Object.entries(await this.deletedVersionsHash(repository))) {
      await this.queue(
        { kind: 'version', repository, key: id },
        parseDeletedVersion(json).deletedAtMs,
      );
    }
    return outcome;
  }

  /** The package's deleted versions, most recently deleted first. */
  async deletedVersions(repository: string): Promise<DeletedVersion[]> {
    const hash = await this.deletedVersionsHash(repository);
    return Object.values(hash)
      .map(parseDeletedVersion)
      .sort((a, b) => b.deletedAtMs - a.deletedAtMs)
      .map(({ deletedAtMs: _at, ...deleted }) => deleted);
  }

  /** The deletions of packages with this name, the latest first. */
  async deletedPackages(repository: string): Promise<DeletedPackage[]> {
    const hash = await this.redis.hgetall(PACKAGE_KEYS.trash(repository));
    return Object.values(hash)
      .map((json) => JSON.parse(json) as Snapshot)
      .sort((a, b) => b.deletedAtMs - a.deletedAtMs)
      .map((s) => ({
        token: s.token,
        deletedAt: s.deletedAt,
        versionCount: pairs(s.versions).length,
      }));
  }

  /**
   * The names of the namespace's deleted packages that may still be restored or purged, in
   * name order, from the namespace's index (deleted-names.ts).
   */
  deletedNames(namespace: string): Promise<string[]> {
    return deletedNamesIn(this.redis, namespace);
  }

  /**
   * The settings of the deleted packages named by `tokens` as they were at their deletion:
   * who may restore a package depends on its link and access list.
   */
  async deletedSettings(repository: string, tokens: readonly string[]): Promise<Package[]> {
    if (tokens.length === 0) return [];
    const jsons = await this.redis.hmget(PACKAGE_KEYS.trash(repository), ...tokens);
    return jsons.flatMap((json) => {
      if (json === null) return [];
      const snapshot = JSON.parse(json) as Snapshot;
      const record = Object.fromEntries(pairs(snapshot.record));
      const access = Object.fromEntries(pairs(snapshot.access));
      return [{ record: recordOf(repository, record), access: accessOf(access) }];
    });
  }

  /**
   * Whether pulls must not see a manifest reference (tag or digest) of the repository:
   * `package` when the package is deleted, `reference` when the version or tag is.
   */
  async hidden(
    repository: string,
    reference: string,
  ): Promise<'package' | 'reference' | undefined> {
    const field = reference.includes(':') ? `digest:${reference}` : `tag:${reference}`;
    const [pkg, hiddenReference] = await this.redis.hmget(
      PACKAGE_KEYS.hidden(repository),
      'package',
      field,
    );
    if (pkg !== null) return 'package';
    return hiddenReference !== null ? 'reference' : undefined;
  }

  /** The hidden tags of a repository, and whether the whole package is hidden. */
  async hiddenTags(repository: string): Promise<{ package: boolean; tags: Set<string> }> {
    const hash = await this.redis.hgetall(PACKAGE_KEYS.hidden(repository));
    const tags = Object.keys(hash)
      .filter((field) => field.startsWith('tag:'))
      .map((field) => field.slice('tag:'.length));
    return { package: 'package' in hash, tags: new Set(tags) };
  }

  private deletedVersionsHash(repository: string): Promise<Record<string, string>> {
    return this.redis.hgetall(PACKAGE_KEYS.deletedVersions(repository));
  }

  private run(script: string, repository: string, args: string[]): Promise<unknown> {
    const keys = packageKeys(repository);
    return this.redis.eval(script, keys.length, ...keys, ...args);
  }

  private async queue(item: PurgeItem, at: number): Promise<void> {
    await this.redis.zadd(PACKAGE_KEYS.purgeQueue, at, purgeMember(item));
  }

  private async unqueue(item: PurgeItem): Promise<void> {
    await this.redis.zrem(PACKAGE_KEYS.purgeQueue, purgeMember(item));
  }
}

export type { Snapshot as DeletedPackageSnapshot };
export { pairs as snapshotPairs, parseDeletedVersion };
