import { createHash, randomBytes } from 'node:crypto';

import { openSession, withDigest } from './blob-transfers';
import { expectStatus, send } from './target';
import type { Target } from './target';

/**
 * A small image (OCI image-spec: config, one layer, manifest) for the manifest HEAD load.
 * The registry checks that the blobs exist, not what they hold, so the layer is random bytes.
 */
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function pushSmallBlob(target: Target, repository: string, bytes: Buffer, mediaType: string) {
  const digest = sha256(bytes);
  const session = await openSession(target, repository);

  const path = withDigest(session, digest);
  const headers = { 'Content-Type': 'application/octet-stream' };
  const put = await send(target, { method: 'PUT', path, headers, body: bytes });
  expectStatus(put, 201, `${target.name}: PUT blob ${digest}`);
  return { mediaType, digest, size: bytes.length } satisfies Descriptor;
}

function configFor(layer: Buffer): Buffer {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
  };
  return Buffer.from(JSON.stringify(config));
}

/** Pushes the image under `tag` and returns the manifest's digest. */
export async function pushImage(target: Target, repository: string, tag: string): Promise<string> {
  const layerBytes = randomBytes(4096);
  const layer = await pushSmallBlob(
    target,
    repository,
    layerBytes,
    'application/vnd.oci.image.layer.v1.tar',
  );
  const config = await pushSmallBlob(
    target,
    repository,
    configFor(layerBytes),
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, config, layers: [layer] }),
  );

  const path = `/v2/${repository}/manifests/${tag}`;
  const headers = { 'Content-Type': MANIFEST_MEDIA_TYPE };
  const put = await send(target, { method: 'PUT', path, headers, body: manifest });
  expectStatus(put, 201, `${target.name}: PUT manifest ${tag}`);
  return sha256(manifest);
}
