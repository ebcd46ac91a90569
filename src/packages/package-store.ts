import type { Visibility } from '../identity/directory';
import type { RedisClient } from '../state/redis';
import { PACKAGE_KEYS } from './package-keys';
import { splitRepository } from './package';
import type {
  Grantee,
  NewVersion,
  LinkNote,
  Package,
  PackageAccess,
  PackageRecord,
  PackageRole,
  PackageVersion,
} from './package';

export { PACKAGE_KEYS } from './package-keys';

/** The settings a package admin changes; each change bumps the package's revision. */
export interface PackageSettings {
  readonly visibility?: Visibility;
  /** `null` unlinks. */
  readonly linkedRepository?: string | null;
  readonly linkNote?: LinkNote | null;
  readonly inheritAccess?: boolean;
  readonly description?: { readonly value: string; readonly truncated: boolean } | null;
  readonly license?: { readonly value: string; readonly truncated: boolean } | null;
}

export interface NewPackage {
  readonly createdBy: string;
  /** Entries the package starts with, such as admin for the workflow that published it. */
  readonly access?: readonly (readonly [Grantee, PackageRole])[];
}

// Creates the package only if it does not exist: KEYS record, access, hidden; ARGV the
// record's fields as name/value pairs, then the access entries as field/value pairs after a
// '--'. A package published again under a deleted one's name is new: the name shows again,
// while the deleted package's tags and digests stay hidden until pushed anew.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local split = 0
for i, arg in ipairs(ARGV) do if arg == '--' then split = i end end
redis.call('HSET', KEYS[1], unpack(ARGV, 1, split - 1))
if split < #ARGV then redis.call('HSET', KEYS[2], unpack(ARGV, split + 1)) end
redis.call('HDEL', KEYS[3], 'package')
return 1`;

// Records a pushed version unless it is recorded already, points the tag at it, and shows
// what a deletion hid under that digest and tag: a push starts them fresh. KEYS versions,
// tags, record, hidden; ARGV digest, version JSON, tag ('' for none), updated_at.
const RECORD_VERSION = `
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[4], 'digest:' .. ARGV[1])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
  redis.call('HDEL', KEYS[4], 'tag:' .. ARGV[3])
end
redis.call('HSET', KEYS[3], 'updated_at', ARGV[4])
return 1`;

// Records a version crgate finds in the registry without a record of its own (pushed before
// crgate was installed), in a package crgate keeps: KEYS versions, tags, record, hidden; ARGV
// digest, version JSON, tag or ''. Nothing is replaced: a version recorded since keeps its
// record, a tag recorded since keeps its digest, and nothing hidden comes back.
const RECORD_FOUND = `
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[4], 'package') == 1 then return 0 end
if redis.call('HEXISTS', KEYS[4], 'digest:' .. ARGV[1]) == 1 then return 0 end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
local tag = ARGV[3]
if tag ~= '' and redis.call('HEXISTS', KEYS[4], 'tag:' .. tag) == 0 then
  redis.call('HSETNX', KEYS[2], tag, ARGV[1])
end
return 1`;

/** The keys RECORD_VERSION and RECORD_FOUND take, in their order. */
function versionKeys(repository: string): string[] {
  return [
    PACKAGE_KEYS.versions(repository),
    PACKAGE_KEYS.tags(repository),
    PACKAGE_KEYS.record(repository),
    PACKAGE_KEYS.hidden(repository),
  ];
}

// Gives an id to a package and versions recorded before crgate kept ids: KEYS record,
// versions; ARGV the first of a block of fresh ids, reserved by the caller.
const ASSIGN_IDS = `
local next = tonumber(ARGV[1])
if redis.call('HEXISTS', KEYS[1], 'id') == 0 then
  redis.call('HSET', KEYS[1], 'id', next)
  next = next + 1
end
local versions = redis.call('HGETALL', KEYS[2])
for i = 1, #versions, 2 do
  local version = cjson.decode(versions[i + 1])
  if not version.id then
    version.id = next
    next = next + 1
    redis.call('HSET', KEYS[2], versions[i], cjson.encode(version))
  end
end
return next - tonumber(ARGV[1])`;

// Changes settings of an existing package and bumps its revision: KEYS record; ARGV the
// fields to set as pairs, then '--', then the fields to delete.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local split = #ARGV + 1
for i, arg in ipairs(ARGV) do if arg == '--' then split = i end end
if split > 1 then redis.call('HSET', KEYS[1], unpack(ARGV, 1, split - 1)) end
if split < #ARGV then redis.call('HDEL', KEYS[1], unpack(ARGV, split + 1)) end
redis.call('HINCRBY', KEYS[1], 'revision', 1)
return 1`;

// Sets or removes one access list entry of an existing package and bumps its revision:
// KEYS record, access; ARGV field, role ('' removes), updated_at.
const SET_ROLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '' then redis.call('HDEL', KEYS[2], ARGV[1])
else redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'revision', 1)
return 1`;

// Forgets a version the registry deleted and the tags that pointed at it: KEYS versions,
// tags, downloads; ARGV digest.
const FORGET_VERSION = `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
local tags = redis.call('HGETALL', KEYS[2])
for i = 1, #tags, 2 do
  if tags[i + 1] == ARGV[1] then redis.call('HDEL', KEYS[2], tags[i]) end
end
return 1`;

const GRANTEE_PREFIX = { user: 'user:', team: 'team:', repository: 'repository:' } as const;

function accessField(grantee: Grantee): string {
  return `${GRANTEE_PREFIX[grantee.kind]}${grantee.name.toLowerCase()}`;
}

type Truncatable = PackageSettings['description'];

function settingsFields(settings: PackageSettings): { set: string[]; remove: string[] } {
  const set: string[] = [];
  const remove: string[] = [];
  const put = (field: string, value: string | null | undefined): void => {
    if (value === null) remove.push(field);
    else if (value !== undefined) set.push(field, value);
  };
  const flag = (value: boolean | undefined) =>
    value === undefined ? undefined : value ? '1' : '0';
  const putTruncatable = (field: string, value: Truncatable): void => {
    put(field, value === null ? null : value?.value);
    put(`${field}_truncated`, value === null ? null : flag(value?.truncated));
  };

  put('visibility', settings.visibility);
  put('linked_repository', settings.linkedRepository);
  put('link_note', settings.linkNote && JSON.stringify(settings.linkNote));
  put('inherit_access', flag(settings.inheritAccess));
  putTruncatable('description', settings.description);
  putTruncatable('license', settings.license);
  return { set, remove };
}

export function recordOf(repository: string, hash: Record<string, string>): PackageRecord {
  const { namespace, name } = splitRepository(repository);
  return {
    id: Number(hash.id ?? 0),
    namespace,
    name,
    visibility: (hash.visibility ?? 'private') as Visibility,
    createdAt: hash.created_at ?? '',
    createdBy: hash.created_by ?? '',
    updatedAt: hash.updated_at ?? hash.created_at ?? '',
    revision: Number(hash.revision ?? 0),
    linkedRepository: hash.linked_repository || undefined,
    linkNote: hash.link_note ? (JSON.parse(hash.link_note) as LinkNote) : undefined,
    inheritAccess: hash.inherit_access !== '0',
    description: hash.description || undefined,
    descriptionTruncated: hash.description_truncated === '1',
    license: hash.license || undefined,
    licenseTruncated: hash.license_truncated === '1',
  };
}

export function accessOf(hash: Record<string, string>): PackageAccess {
  const access = { users: {}, teams: {}, actions: {} } as Record<
    'users' | 'teams' | 'actions',
    Record<string, PackageRole>
  >;
  for (const [field, role] of Object.entries(hash)) {
    const [kind, name] = [field.slice(0, field.indexOf(':')), field.slice(field.indexOf(':') + 1)];
    if (kind === 'user') access.users[name] = role as PackageRole;
    else if (kind === 'team') access.teams[name] = role as PackageRole;
    else if (kind === 'repository') access.actions[name] = role as PackageRole;
  }
  return access;
}

export class PackageStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The package and its access list, in one round trip; undefined when there is none. */
  async get(repository: string): Promise<Package | undefined> {
    const replies = await this.redis
      .pipeline()
      .hgetall(PACKAGE_KEYS.record(repository))
      .hgetall(PACKAGE_KEYS.access(repository))
      .exec();
    const [record, access] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as Record<string, string>;
    }) as [Record<string, string>, Record<string, string>];
    if (Object.keys(record).length === 0) return undefined;
    return { record: recordOf(repository, record), access: accessOf(access) };
  }

  /** Creates a private package, unless it exists; true when this call created it. */
  async create(repository: string, creation: NewPackage): Promise<boolean> {
    const at = new Date(this.now()).toISOString();
    const fields = ['visibility', 'private', 'created_at', at, 'updated_at', at];
    // Revisions start at the creation time, so a package deleted and published again never
    // repeats a revision that a cached decision of its predecessor was computed from.
    fields.push('created_by', creation.createdBy, 'revision', String(this.now()));
    fields.push('id', String(await this.redis.incr(PACKAGE_KEYS.nextId)));
    const access = (creation.access ?? []).flatMap(([grantee, role]) => [
      accessField(grantee),
      role,
    ]);
    const keys = [
      PACKAGE_KEYS.record(repository),
      PACKAGE_KEYS.access(repository),
      PACKAGE_KEYS.hidden(repository),
    ];

    const created = (await this.redis.eval(CREATE, 3, ...keys, ...fields, '--', ...access)) === 1;
    if (created) await this.redis.zadd(PACKAGE_KEYS.all, 0, repository);
    return created;
  }

  /** Changes settings; false when there is no such package. */
  async update(repository: string, settings: PackageSettings): Promise<boolean> {
    const { set, remove } = settingsFields(settings);
    set.push('updated_at', new Date(this.now()).toISOString());
    const key = PACKAGE_KEYS.record(repository);
    return (await this.redis.eval(UPDATE, 1, key, ...set, '--', ...remove)) === 1;
  }

  /** Gives a grantee a role on the package, or takes it away (`undefined`). */
  async setRole(repository: string, grantee: Grantee, role: PackageRole | undefined) {
    const keys = [PACKAGE_KEYS.record(repository), PACKAGE_KEYS.access(repository)];
    const at = new Date(this.now()).toISOString();
    return (
      (await this.redis.eval(SET_ROLE, 2, ...keys, accessField(grantee), role ?? '', at)) === 1
    );
  }

  /** Records a pushed version, and points a tag at it when it was pushed by tag. */
  async recordVersion(repository: string, pushed: NewVersion, tag?: string): Promise<void> {
    const version = await this.withId(pushed);
    const args = [version.digest, JSON.stringify(version), tag ?? '', version.createdAt];
    await this.redis.eval(RECORD_VERSION, 4, ...versionKeys(repository), ...args);
  }

  /**
   * Records a version found in the registry, and the tag it was found by, in a package crgate
   * keeps; see RECORD_FOUND. False when there is no such package, or the version is hidden.
   */
  async recordFound(repository: string, found: NewVersion, tag?: string): Promise<boolean> {
    const version = await this.withId(found);
    const args = [version.digest, JSON.stringify(version), tag ?? ''];
    return (await this.redis.eval(RECORD_FOUND, 4, ...versionKeys(repository), ...args)) === 1;
  }

  /** A new version with its id: unique among packages and versions, never given twice. */
  private async withId(version: NewVersion): Promise<PackageVersion> {
    return { id: await this.redis.incr(PACKAGE_KEYS.nextId), ...version };
  }

  /** Forgets a version the registry deleted, with its tags and downloads. */
  async forgetVersion(repository: string, digest: string): Promise<void> {
    const keys = [
      PACKAGE_KEYS.versions(repository),
      PACKAGE_KEYS.tags(repository),
      PACKAGE_KEYS.downloads(repository),
    ];
    await this.redis.eval(FORGET_VERSION, 3, ...keys, digest);
  }

  async versions(repository: string): Promise<PackageVersion[]> {
    const hash = await this.redis.hgetall(PACKAGE_KEYS.versions(repository));
    return Object.values(hash)
      .map((json) => JSON.parse(json) as PackageVersion)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Gives ids to a package and versions recorded before crgate kept them; see ASSIGN_IDS. */
  async assignIds(repository: string): Promise<void> {
    const pkg = await this.get(repository);
    const versions = await this.redis.hvals(PACKAGE_KEYS.versions(repository));
    const missing = versions.filter((json) => !('id' in JSON.parse(json))).length;
    if (!pkg || (pkg.record.id > 0 && missing === 0)) return;
    const count = missing + 1;
    const first = (await this.redis.incrby(PACKAGE_KEYS.nextId, count)) - count + 1;
    const keys = [PACKAGE_KEYS.record(repository), PACKAGE_KEYS.versions(repository)];
    await this.redis.eval(ASSIGN_IDS, 2, ...keys, first);
  }

  /** Counts a pull of a version's manifest. */
  async countDownload(repository: string, digest: string): Promise<void> {
    await this.addDownloads([{ repository, digest, n: 1 }]);
  }

  /** Adds pulls to versions' download counts, in one pipeline. */
  async addDownloads(
    downloads: readonly { repository: string; digest: string; n: number }[],
  ): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const { repository, digest, n } of downloads) {
      pipeline.hincrby(PACKAGE_KEYS.downloads(repository), digest, n);
    }
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }

  /** Digest to how many times the version's manifest was pulled. */
  async downloads(repository: string): Promise<Record<string, number>> {
    const hash = await this.redis.hgetall(PACKAGE_KEYS.downloads(repository));
    return Object.fromEntries(Object.entries(hash).map(([digest, n]) => [digest, Number(n)]));
  }

  /** Tag to digest. */
  async tags(repository: string): Promise<Record<string, string>> {
    return this.redis.hgetall(PACKAGE_KEYS.tags(repository));
  }

  /** Repositories of a namespace's packages, in name order. */
  async inNamespace(namespace: string): Promise<string[]> {
    // `/` sorts just before `0`: the range is exactly the names that start with `namespace/`.
    return this.redis.zrangebylex(PACKAGE_KEYS.all, `[${namespace}/`, `(${namespace}0`);
  }

  /** Repositories of all packages in name order, after `after`, at most `limit`. */
  async list(after: string | undefined, limit: number): Promise<string[]> {
    const start = after ? `(${after}` : '-';
    return this.redis.zrangebylex(PACKAGE_KEYS.all, start, '+', 'LIMIT', 0, limit);
  }
}
