import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { FoundManifest } from '../packages/observe';
import { readReference } from '../packages/references';
import type { ReferenceRecord } from '../packages/references';
import type { KeyTracker } from '../state/key-tracking';
import type { RedisClient } from '../state/redis';
import { MANIFEST_ACCEPT } from './manifest-accept';
import { fetchFromRegistry } from './registry-fetch';
import type { RegistrySource } from './registry-fetch';
import { ensureApiVersion, stripCors, stripResponseHopByHop } from './rewrite';

/**
 * Manifest pulls answered from crgate's own records, without the registry: a manifest is
 * immutable by its digest, and a tag moves only when someone pushes through crgate. What a
 * reference names is read from Redis once and kept in memory until Redis says a record of its
 * package changed (KeyTracker); a manifest's bytes and the registry's headers for them are
 * fetched from the registry once and kept, by digest, in a bounded least-recently-used cache.
 * The answer is the registry's own: its bytes and headers, byte for byte.
 *
 * A manifest crgate has no record of (pushed before crgate was installed) is fetched from the
 * registry, checked and kept the same way, and handed to `onFound` to be recorded. Left to the
 * registry: a reference it does not have either, a client whose `Accept` does not name the
 * manifest's type (the registry converts or refuses), and conditional requests
 * (`If-None-Match`).
 */
export interface CachedManifest {
  readonly contentType: string;
  /** The registry's headers for the manifest, less the date and hop-by-hop ones. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type Resolution =
  | { readonly kind: 'package-hidden' }
  | { readonly kind: 'hidden' }
  | { readonly kind: 'manifest'; readonly digest: string; readonly manifest: CachedManifest }
  /** Nothing to answer from: the registry answers, as it would without crgate. */
  | { readonly kind: 'registry' };

export interface ManifestReadsOptions {
  readonly redis: RedisClient;
  readonly registry: RegistrySource;
  readonly tracker: KeyTracker;
  /** The most manifest bytes kept in memory. */
  readonly maxBytes: number;
  /** Hears of a manifest found in the registry that crgate has no record of; not awaited. */
  readonly onFound?: (found: FoundManifest) => void;
}

/** The record keys whose changes can change what a reference names. */
export const TRACKED_PREFIXES = [
  'crgate:rec:package-tags:',
  'crgate:rec:package-versions:',
  'crgate:rec:package-hidden:',
];

/** What a reference named when read, and the generation of its package then. */
interface Remembered {
  readonly generation: string;
  readonly named: { readonly kind: 'package-hidden' | 'hidden' } | { readonly digest: string };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const SKIPPED_HEADERS = new Set(['date', 'transfer-encoding', 'connection', 'keep-alive']);

/** `crgate:rec:package-tags:{octocat/app}` → `octocat/app`. */
function repositoryOfKey(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = key.lastIndexOf('}');
  return open !== -1 && close > open ? key.slice(open + 1, close) : undefined;
}

/** Whether an `Accept` header names `type` (crgate has already named every type for none). */
function accepts(accept: string | undefined, type: string): boolean {
  return (accept ?? '').split(',').some((entry) => entry.split(';')[0]?.trim() === type);
}

export class ManifestReads {
  private readonly references = new Map<string, Remembered>();
  private readonly manifests = new Map<string, CachedManifest>();
  private manifestBytes = 0;
  /** Bumped for everything at once (tracking lost or set up again), and per repository. */
  private generation = 0;
  private readonly repositoryGenerations = new Map<string, number>();

  constructor(private readonly options: ManifestReadsOptions) {
    options.tracker.onInvalidate((keys) => this.invalidate(keys));
  }

  /** What `reference` names in `repository` now, with the manifest to answer it with. */
  async resolve(repository: string, reference: string): Promise<Resolution> {
    const key = `${repository}\n${reference}`;
    const generation = this.generationOf(repository);
    const remembered = this.references.get(key);
    if (remembered?.generation === generation && this.options.tracker.trusted) {
      const { named } = remembered;
      if (!('digest' in named)) return named;
      // The bytes may have left the cache since; the reference still names the same digest.
      const manifest = await this.manifest(repository, named.digest);
      if (manifest) return { kind: 'manifest', digest: named.digest, manifest };
    }

    const trusted = this.options.tracker.trusted;
    const resolution = await this.read(repository, reference);
    // Kept only if no change to the package was heard while it was being read.
    if (trusted && this.generationOf(repository) === generation && resolution.kind !== 'registry') {
      const named = resolution.kind === 'manifest' ? { digest: resolution.digest } : resolution;
      this.remember(key, { generation, named });
    }
    return resolution;
  }

  /** Answers a GET or HEAD with the manifest, as the registry does. */
  send(req: IncomingMessage, res: ServerResponse, manifest: CachedManifest): void {
    res.writeHead(200, manifest.headers);
    res.end(req.method === 'HEAD' ? undefined : manifest.body);
  }

  /** Whether crgate may answer this request itself, rather than leave it to the registry. */
  answerable(req: IncomingMessage, manifest: CachedManifest): boolean {
    return (
      req.headers['if-none-match'] === undefined &&
      accepts(req.headers.accept, manifest.contentType)
    );
  }

  private async read(repository: string, reference: string): Promise<Resolution> {
    const isDigest = DIGEST.test(reference);
    const record = await readReference(this.options.redis, repository, reference, isDigest);
    if (record.kind === 'package-hidden' || record.kind === 'hidden') return record;

    const digest = await this.digestOf(repository, reference, record);
    if (!digest) return { kind: 'registry' };
    // A digest crgate did not record may be gone from the registry, or never in this
    // repository: the registry says, whatever memory holds under the digest.
    const recorded = record.kind === 'digest' && record.recorded;
    const manifest = recorded
      ? await this.manifest(repository, digest)
      : await this.fetch(repository, digest);
    if (!manifest) return { kind: 'registry' };
    if (!recorded) {
      const { body, contentType } = manifest;
      this.options.onFound?.({ repository, reference, digest, body, contentType });
    }
    return { kind: 'manifest', digest, manifest };
  }

  /** The digest a reference names: from the records, or the registry's answer for a tag. */
  private async digestOf(repository: string, reference: string, record: ReferenceRecord) {
    if (record.kind === 'digest') return record.digest;
    const path = `/v2/${repository}/manifests/${reference}`;
    const response = await fetchFromRegistry(this.options.registry, path, {
      method: 'HEAD',
      accept: MANIFEST_ACCEPT,
    });
    const digest = response.headers.get('docker-content-digest');
    return response.status === 200 && digest && DIGEST.test(digest) ? digest : undefined;
  }

  /** The manifest of `digest`: from memory, else the registry's, checked against its digest. */
  private async manifest(repository: string, digest: string): Promise<CachedManifest | undefined> {
    const cached = this.manifests.get(digest);
    if (cached) {
      // To the young end: a Map iterates oldest first, which is what eviction takes.
      this.manifests.delete(digest);
      this.manifests.set(digest, cached);
      return cached;
    }
    return this.fetch(repository, digest);
  }

  /** The registry's manifest of `digest` in `repository`, checked against its digest, and kept. */
  private async fetch(repository: string, digest: string): Promise<CachedManifest | undefined> {
    const path = `/v2/${repository}/manifests/${digest}`;
    const response = await fetchFromRegistry(this.options.registry, path, {
      accept: MANIFEST_ACCEPT,
    });
    const body = Buffer.from(await response.arrayBuffer());
    const contentType = response.headers.get('content-type');
    const actual = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (response.status !== 200 || !contentType || actual !== digest) return undefined;

    const manifest = { contentType, headers: headersOf(response), body };
    this.keep(digest, manifest);
    return manifest;
  }

  private generationOf(repository: string): string {
    return `${this.generation}.${this.repositoryGenerations.get(repository) ?? 0}`;
  }

  private invalidate(keys: readonly string[] | null): void {
    if (keys === null || this.repositoryGenerations.size >= 100_000) {
      this.generation += 1;
      this.references.clear();
      this.repositoryGenerations.clear();
      if (keys === null) return;
    }
    for (const key of keys) {
      const repository = repositoryOfKey(key);
      if (repository === undefined) continue;
      this.repositoryGenerations.set(
        repository,
        (this.repositoryGenerations.get(repository) ?? 0) + 1,
      );
    }
  }

  private remember(key: string, remembered: Remembered): void {
    // A bound on references kept; forgetting them all costs a Redis read each, never memory.
    if (this.references.size >= 100_000) this.references.clear();
    this.references.set(key, remembered);
  }

  private keep(digest: string, manifest: CachedManifest): void {
    if (manifest.body.length > this.options.maxBytes) return;
    this.manifests.set(digest, manifest);
    this.manifestBytes += manifest.body.length;
    for (const [oldest, evicted] of this.manifests) {
      if (this.manifestBytes <= this.options.maxBytes) break;
      this.manifests.delete(oldest);
      this.manifestBytes -= evicted.body.length;
    }
  }
}

/** The registry's headers, as the forward step would pass them on, less its date. */
function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string | undefined> = {};
  response.headers.forEach((value, name) => {
    if (!SKIPPED_HEADERS.has(name)) headers[name] = value;
  });
  stripResponseHopByHop(headers);
  stripCors(headers);
  ensureApiVersion(headers);
  return Object.fromEntries(
    Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
