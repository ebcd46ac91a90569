import { randomBytes, randomUUID } from 'node:crypto';

import { OCI_CONFIG, OCI_MANIFEST, sha256 } from '../harness/registry-client';
import type { RegistryClient } from '../harness/registry-client';

/**
 * Packages for the page tests, pushed through crgate's registry origin as a client pushes
 * them, so the observe step records them: images with a layer and labelled config, and
 * multi-arch indexes of such images.
 */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export const DESCRIPTION = 'org.opencontainers.image.description';
export const LICENSES = 'org.opencontainers.image.licenses';

/** A package name no other test of the run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

async function putManifest(client: RegistryClient, repository: string, ref: string, body: object) {
  const text = JSON.stringify(body);
  const mediaType = (body as { mediaType: string }).mediaType;
  await client
    .put(`/v2/${repository}/manifests/${ref}`)
    .set('Content-Type', mediaType)
    .send(text)
    .expect(201);
  return { digest: sha256(text), size: Buffer.byteLength(text) };
}

/** Pushes one image (a random 2 kB layer, a config with the labels) under a tag. */
export async function publishImage(
  client: RegistryClient,
  repository: string,
  tag: string,
  labels: Record<string, string> = {},
  architecture = 'amd64',
) {
  const layer = randomBytes(2048);
  const layerDigest = await client.pushBlob(repository, layer);
  const config = Buffer.from(
    JSON.stringify({ architecture, os: 'linux', config: { Labels: labels }, rootfs: {} }),
  );
  const configDigest = await client.pushBlob(repository, config);

  return putManifest(client, repository, tag, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
    layers: [{ mediaType: OCI_LAYER, digest: layerDigest, size: layer.length }],
  });
}

/** Pushes an amd64 and an arm64 image by digest, then an index of both under a tag. */
export async function publishIndex(client: RegistryClient, repository: string, tag: string) {
  const entries = [];
  for (const architecture of ['amd64', 'arm64']) {
    const image = await publishImage(client, repository, `build-${architecture}`, {}, architecture);
    entries.push({ mediaType: OCI_MANIFEST, ...image, platform: { os: 'linux', architecture } });
  }
  return putManifest(client, repository, tag, {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: entries,
  });
}
