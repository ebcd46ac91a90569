import { OCI_INDEX, parseManifest } from '../packages/manifest';
import type { ReferrerDescriptor } from '../packages/referrers';
import { unavailable } from './errors';
import { fetchFromRegistry } from './registry-fetch';

/**
 * Reads the referrers a client recorded itself before crgate served the referrers API: the
 * image index it pushed to the subject's tag of the referrers tag schema (distribution-spec
 * v1.1, "Referrers Tag Schema"), straight from the registry, as the observe step reads
 * configurations.
 */
export type FallbackTag =
  | { readonly found: 'index'; readonly referrers: readonly ReferrerDescriptor[] }
  /** No such tag, or it is not an image index: no referrers to take from it. */
  | { readonly found: 'nothing' };

export interface FallbackTagReader {
  read(repository: string, subject: string): Promise<FallbackTag>;
  /**
   * Whether the registry knows the repository, for one crgate has no record of. Registry 2.8
   * answers a manifest of an unknown repository with MANIFEST_UNKNOWN; only its tags list
   * says NAME_UNKNOWN.
   */
  repositoryKnown(repository: string): Promise<boolean>;
}

const NOTHING: FallbackTag = { found: 'nothing' };

/** `<algorithm>-<encoded>`, each cut to the schema's length; our digests need no other change. */
function referrersTag(digest: string): string {
  const [algorithm = '', encoded = ''] = digest.split(':', 2);
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`;
}

function isNameUnknown(text: string): boolean {
  try {
    const body = JSON.parse(text) as { errors?: { code?: unknown }[] };
    return body.errors?.some((error) => error.code === 'NAME_UNKNOWN') ?? false;
  } catch {
    return false;
  }
}

/**
 * The index's entries, which the referrer store trims to what the referrers API lists; a
 * malformed index lists nothing.
 */
function referrersIn(body: Buffer, contentType: string | null): FallbackTag {
  try {
    const index = parseManifest(body, contentType ?? undefined);
    if (index.mediaType !== OCI_INDEX) return NOTHING;
    return { found: 'index', referrers: index.manifests };
  } catch {
    return NOTHING;
  }
}

/** The index of the tag, or nothing; a body past `maxBytes` is not read. */
async function fallbackTag(answer: Response, maxBytes: number): Promise<FallbackTag> {
  if (answer.status >= 500) throw unavailable('the registry');
  const length = Number(answer.headers.get('content-length') ?? 0);
  if (answer.status !== 200 || length > maxBytes) {
    await answer.body?.cancel();
    return NOTHING;
  }
  const body = Buffer.from(await answer.arrayBuffer());
  if (body.length > maxBytes) return NOTHING;
  return referrersIn(body, answer.headers.get('content-type'));
}

export function createFallbackTagReader(
  registryUrl: URL,
  timeoutMs: number,
  maxBytes: number,
): FallbackTagReader {
  const source = { registryUrl, registryTimeoutMs: timeoutMs };
  return {
    async read(repository, subject) {
      const path = `/v2/${repository}/manifests/${referrersTag(subject)}`;
      return fallbackTag(await fetchFromRegistry(source, path, { accept: OCI_INDEX }), maxBytes);
    },
    async repositoryKnown(repository) {
      const answer = await fetchFromRegistry(source, `/v2/${repository}/tags/list`);
      const text = await answer.text();
      if (answer.status >= 500) throw unavailable('the registry');
      return !(answer.status === 404 && isNameUnknown(text));
    },
  };
}
