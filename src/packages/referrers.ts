import type { RedisClient } from '../state/redis';
import type { ParsedManifest } from './manifest';
import { OCI_INDEX, OCI_MANIFEST } from './manifest';
import { PACKAGE_KEYS } from './package-keys';

/**
 * Referrers (OCI distribution-spec v1.1, "Listing Referrers"): the manifests of a package
 * pushed with a `subject`, recorded under the subject's digest so that crgate can answer the
 * referrers API that registry 2.8 lacks.
 *
 * One hash per package (PACKAGE_KEYS.referrers), a field per subject holding the JSON of its
 * referrers: a listing reads one field, and every change is one small script in the package's
 * hash slot. A record says only what a manifest's content says (its descriptor and subject),
 * so deleting or restoring a version or a package rewrites nothing here; who is listed is
 * decided when read:
 * - a referrer pushed through crgate is listed while it is one of the package's versions,
 *   which a deletion, a purge or the registry's own delete takes it out of;
 * - a referrer read from the fallback tag (pushed before crgate, never a version) is listed
 *   unless a deletion hides its digest;
 * - nothing is listed for a subject whose version a deletion hides.
 */
export interface ReferrerDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A recorded referrer; `fromTag` when it was read from the referrers tag schema's index. */
type StoredReferrer = ReferrerDescriptor & { readonly fromTag?: boolean };

interface SubjectRecord {
  /** Whether the registry's fallback tag for this subject was read already. */
  readonly tagRead?: boolean;
  /** Referrer digest to its descriptor. */
  readonly referrers: Readonly<Record<string, StoredReferrer>>;
}

// Records a referrer pushed through crgate, once its version is recorded: KEYS referrers,
// versions; ARGV subject, referrer digest, descriptor JSON. Sizes are manifest sizes, far
// below the 14 significant digits cjson keeps.
const RECORD_PUSHED = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return 0 end
local field = 'subject:' .. ARGV[1]
local record = cjson.decode(redis.call('HGET', KEYS[1], field) or '{"referrers":{}}')
record.referrers[ARGV[2]] = cjson.decode(ARGV[3])
redis.call('HSET', KEYS[1], field, cjson.encode(record), 'referrer:' .. ARGV[2], ARGV[1])
return 1`;

// Adds what the fallback tag listed, once per subject, without replacing what pushes through
// crgate recorded: KEYS referrers; ARGV subject, then referrer digest and descriptor pairs.
const RECORD_FROM_TAG = `
local field = 'subject:' .. ARGV[1]
local record = cjson.decode(redis.call('HGET', KEYS[1], field) or '{"referrers":{}}')
if record.tagRead then return 0 end
for i = 2, #ARGV, 2 do
  if record.referrers[ARGV[i]] == nil then
    record.referrers[ARGV[i]] = cjson.decode(ARGV[i + 1])
    redis.call('HSETNX', KEYS[1], 'referrer:' .. ARGV[i], ARGV[1])
  end
end
record.tagRead = true
redis.call('HSET', KEYS[1], field, cjson.encode(record))
return 1`;

// Forgets a manifest the registry no longer holds: KEYS referrers; ARGV its digest.
const FORGET = `
local subject = redis.call('HGET', KEYS[1], 'referrer:' .. ARGV[1])
if not subject then return 0 end
redis.call('HDEL', KEYS[1], 'referrer:' .. ARGV[1])
local json = redis.call('HGET', KEYS[1], 'subject:' .. subject)
if not json then return 1 end
local record = cjson.decode(json)
record.referrers[ARGV[1]] = nil
redis.call('HSET', KEYS[1], 'subject:' .. subject, cjson.encode(record))
return 1`;

// Drops the referrers of a name nothing is left of: KEYS record, trash, referrers. A package
// published again under the name keeps them, and so does a deletion left in the trash, whose
// restore brings its referrers back as versions.
const FORGET_ORPHANED = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return redis.call('DEL', KEYS[3])`;

const REFERRER_TYPES: ReadonlySet<string> = new Set([OCI_MANIFEST, OCI_INDEX]);

/**
 * The descriptor the referrers API lists for a pushed manifest with a subject, or undefined
 * for one without: the manifest's `artifactType`, else an image manifest's config media type
 * (an index without one has none), and its annotations when it has some.
 */
export function referrerDescriptor(
  digest: string,
  bytes: number,
  manifest: ParsedManifest,
): ReferrerDescriptor | undefined {
  if (!manifest.subject || !REFERRER_TYPES.has(manifest.mediaType)) return undefined;
  const artifactType = manifest.artifactType || manifest.config?.mediaType;
  const hasAnnotations = Object.keys(manifest.annotations).length > 0;
  return {
    mediaType: manifest.mediaType,
    digest,
    size: bytes,
    ...(artifactType ? { artifactType } : {}),
    ...(hasAnnotations ? { annotations: manifest.annotations } : {}),
  };
}

/** Only what the spec lists of a descriptor; a stored one also carries where it came from. */
function listed(stored: StoredReferrer): ReferrerDescriptor {
  const { mediaType, digest, size, artifactType, annotations } = stored;
  return {
    mediaType,
    digest,
    size,
    ...(artifactType ? { artifactType } : {}),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

// The referrers tag schema's `<alg>-<64 hex>`, and cosign's `.sig`, `.att` and `.sbom` tags.
const REFERRERS_TAG = /^(sha256|sha512)-[0-9a-f]{64}(\.(sig|att|sbom))?$/;

/**
 * Whether a tag is a client's stand-in for the referrers API: crgate answers that API itself,
 * so the pages and the REST API show referrers with their subject and leave these tags out.
 */
export function isReferrersTag(tag: string): boolean {
  return REFERRERS_TAG.test(tag);
}

const KINDS: readonly (readonly [RegExp, string])[] = [
  [/signature|cosign|notary/i, 'signature'],
  [/spdx|cyclonedx|sbom|syft/i, 'SBOM'],
  [/in-toto|provenance|attestation|dsse/i, 'attestation'],
];

/** What a referrer is, in the word people use for it, else its artifact type as it is. */
export function referrerKind(artifactType: string | undefined): string {
  if (!artifactType) return 'artifact';
  return KINDS.find(([pattern]) => pattern.test(artifactType))?.[1] ?? artifactType;
}

function byDigest(a: ReferrerDescriptor, b: ReferrerDescriptor): number {
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

export class ReferrerStore {
  constructor(private readonly redis: RedisClient) {}

  /**
   * Records a referrer pushed with `subject`; false when its version is not recorded (the
   * observe step failed), since the referrer could then never be listed.
   */
  async recordPushed(
    repository: string,
    subject: string,
    referrer: ReferrerDescriptor,
  ): Promise<boolean> {
    const keys = [PACKAGE_KEYS.referrers(repository), PACKAGE_KEYS.versions(repository)];
    const args = [subject, referrer.digest, JSON.stringify(referrer)];
    return (await this.redis.eval(RECORD_PUSHED, 2, ...keys, ...args)) === 1;
  }

  /** Whether the fallback tag of `subject` was read already. */
  async tagRead(repository: string, subject: string): Promise<boolean> {
    const json = await this.redis.hget(PACKAGE_KEYS.referrers(repository), `subject:${subject}`);
    return json !== null && (JSON.parse(json) as SubjectRecord).tagRead === true;
  }

  /** Records what the fallback tag listed and that it was read, the first time only. */
  async recordFromTag(
    repository: string,
    subject: string,
    referrers: readonly ReferrerDescriptor[],
  ): Promise<void> {
    const args = referrers.flatMap((r) => [
      r.digest,
      JSON.stringify({ ...listed(r), fromTag: true }),
    ]);
    const key = PACKAGE_KEYS.referrers(repository);
    await this.redis.eval(RECORD_FROM_TAG, 1, key, subject, ...args);
  }

  /** Forgets a manifest the registry deleted, wherever it was recorded as a referrer. */
  async forget(repository: string, digest: string): Promise<void> {
    await this.redis.eval(FORGET, 1, PACKAGE_KEYS.referrers(repository), digest);
  }

  /**
   * The referrers of `subject` that pulls may see, in digest order: from the records alone,
   * without reading the registry's fallback tag (the registry origin does that first).
   */
  async referrersOf(repository: string, subject: string): Promise<ReferrerDescriptor[]> {
    return (await this.referrersOfAll(repository, [subject])).get(subject) ?? [];
  }

  /** `referrersOf` for many subjects at once, in four Redis reads whatever their number. */
  async referrersOfAll(
    repository: string,
    subjects: readonly string[],
  ): Promise<Map<string, ReferrerDescriptor[]>> {
    const found = new Map<string, ReferrerDescriptor[]>();
    if (subjects.length === 0) return found;
    const [jsons, hidden] = await Promise.all([
      this.redis.hmget(PACKAGE_KEYS.referrers(repository), ...subjects.map((s) => `subject:${s}`)),
      this.redis.hmget(PACKAGE_KEYS.hidden(repository), ...subjects.map((s) => `digest:${s}`)),
    ]);
    const records = subjects.map((subject, i) => {
      const json = hidden[i] == null ? jsons[i] : null;
      const referrers = json ? Object.values((JSON.parse(json) as SubjectRecord).referrers) : [];
      return { subject, referrers };
    });

    const seen = await this.visibility(
      repository,
      records.flatMap((record) => record.referrers),
    );
    let next = 0;
    for (const { subject, referrers } of records) {
      const shown = referrers.filter(() => seen[next++]).map(listed);
      if (shown.length > 0) found.set(subject, shown.sort(byDigest));
    }
    return found;
  }

  /** The subject of each of `digests` that is a referrer, by the referrer's digest. */
  async subjectsOf(repository: string, digests: readonly string[]): Promise<Map<string, string>> {
    if (digests.length === 0) return new Map();
    const fields = digests.map((digest) => `referrer:${digest}`);
    const subjects = await this.redis.hmget(PACKAGE_KEYS.referrers(repository), ...fields);
    return new Map(
      digests.flatMap((digest, i) => (subjects[i] ? [[digest, subjects[i]] as const] : [])),
    );
  }

  /** Whether each referrer may be listed; see the rules at the top of this file. */
  private async visibility(
    repository: string,
    stored: readonly StoredReferrer[],
  ): Promise<boolean[]> {
    if (stored.length === 0) return [];
    const digests = stored.map((r) => r.digest);
    const [versions, hidden] = await Promise.all([
      this.redis.hmget(PACKAGE_KEYS.versions(repository), ...digests),
      this.redis.hmget(PACKAGE_KEYS.hidden(repository), ...digests.map((d) => `digest:${d}`)),
    ]);
    return stored.map(
      (referrer, i) => versions[i] != null || (referrer.fromTag === true && hidden[i] == null),
    );
  }
}

/**
 * Once the purge forgot a package deletion, drops the package's referrers if no live package
 * and no other deletion has the name, since nothing could list them again. A referrer read from
 * a fallback tag the registry still holds is read again on the next listing.
 */
export async function forgetOrphanedReferrers(
  redis: RedisClient,
  repository: string,
): Promise<void> {
  const keys = [
    PACKAGE_KEYS.record(repository),
    PACKAGE_KEYS.trash(repository),
    PACKAGE_KEYS.referrers(repository),
  ];
  await redis.eval(FORGET_ORPHANED, keys.length, ...keys);
}
