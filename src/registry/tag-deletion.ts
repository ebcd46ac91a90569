import type { ServerResponse } from 'node:http';

import type { PackageDeletions } from '../packages/deletion';
import { nameUnknown, RegistryError, unavailable } from './errors';
import { MANIFEST_ACCEPT } from './manifest-accept';
import { fetchFromRegistry } from './registry-fetch';
import type { RegistrySource } from './registry-fetch';

/**
 * `DELETE /v2/<name>/manifests/<tag>`, distribution spec 1.1 "Deleting tags": 202, and the
 * manifest stays. Registry 2.8 refuses every tag deletion with `400 DIGEST_INVALID`, so crgate
 * answers it without the registry: it untags in its own records (packages/untag.ts), as a
 * version deletion hides tags. The registry keeps its tag until the tag is pushed again or
 * the version is purged; crgate hides it meanwhile. The route asks for `delete`, so this needs
 * what deleting a version needs: admin on the package and `delete:packages`.
 */
export interface TagDeletion {
  /** Where crgate asks the registry which digest the tag names. */
  readonly registry: RegistrySource;
  readonly deletions: PackageDeletions;
}

function manifestUnknown(tag: string): RegistryError {
  return new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { Tag: tag });
}

/** The digest the registry's tag names, or undefined when the registry has no such tag. */
async function taggedDigest(
  source: RegistrySource,
  repository: string,
  tag: string,
): Promise<string | undefined> {
  const answer = await fetchFromRegistry(source, `/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    accept: MANIFEST_ACCEPT,
  });
  if (answer.status === 404) return undefined;

  const digest = answer.headers.get('docker-content-digest');
  if (answer.status !== 200 || !digest) throw unavailable('the registry');
  return digest;
}

/** Untags, or answers as a pull of the tag would: NAME_UNKNOWN or MANIFEST_UNKNOWN. */
export async function deleteTag(
  parts: TagDeletion,
  repository: string,
  tag: string,
  res: ServerResponse,
): Promise<void> {
  const hidden = await parts.deletions.hidden(repository, tag);
  if (hidden === 'package') {
    throw nameUnknown(repository);
  }
  // A tag already hidden (untagged, or of a deleted version) is gone as far as clients know.
  const digest = hidden ? undefined : await taggedDigest(parts.registry, repository, tag);
  if (!digest) throw manifestUnknown(tag);

  await parts.deletions.untag(repository, tag, digest);
  res.statusCode = 202;
  res.setHeader('Content-Length', '0');
  res.end();
}
