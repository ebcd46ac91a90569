import { randomUUID } from 'node:crypto';

import request from 'supertest';
import type { Response } from 'supertest';

import { requireEnv } from './gateway';
import { OCI_MANIFEST, sha256 } from './registry-client';
import type { RegistryClient } from './registry-client';

/**
 * OCI 1.1 artifacts for the referrers tests, built by hand: an image, and manifests with a
 * `subject`, pushed through crgate or straight to the registry as before crgate.
 */
export const EMPTY_TYPE = 'application/vnd.oci.empty.v1+json';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

/** Where a test pushes: through crgate, or straight to the registry as before crgate. */
export interface Target {
  blob(repository: string, data: Buffer): Promise<string>;
  manifest(repository: string, reference: string, body: Buffer, type: string): Promise<Response>;
}

export function viaCrgate(client: RegistryClient): Target {
  return {
    blob: (repository, data) => client.pushBlob(repository, data),
    manifest: (repository, reference, body, type) =>
      client
        .put(`/v2/${repository}/manifests/${reference}`)
        .set('Content-Type', type)
        // superagent would JSON-encode a Buffer for a +json type; a string goes out as it is.
        .send(body.toString('utf8')),
  };
}

const registry = () => request(requireEnv('TEST_REGISTRY_URL'));

export const direct: Target = {
  async blob(repository, data) {
    const digest = sha256(data);
    const started = await registry().post(`/v2/${repository}/blobs/uploads/`).expect(202);
    const location = new URL(started.headers.location as string, requireEnv('TEST_REGISTRY_URL'));
    location.searchParams.set('digest', digest);
    await registry()
      .put(location.pathname + location.search)
      .set('Content-Type', 'application/octet-stream')
      .send(data)
      .expect(201);
    return digest;
  },
  manifest: (repository, reference, body, type) =>
    registry()
      .put(`/v2/${repository}/manifests/${reference}`)
      .set('Content-Type', type)
      .send(body.toString('utf8')),
};

export interface Pushed {
  readonly descriptor: Descriptor;
  readonly response: Response;
}

export async function pushManifest(
  target: Target,
  repository: string,
  manifest: Record<string, unknown>,
  reference?: string,
): Promise<Pushed> {
  const body = Buffer.from(JSON.stringify(manifest));
  const mediaType = manifest.mediaType as string;
  const digest = sha256(body);
  const response = await target.manifest(repository, reference ?? digest, body, mediaType);
  expect(response.status).toBe(201);
  return { descriptor: { mediaType, digest, size: body.length }, response };
}

export interface ArtifactOptions {
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  /** A config of its own media type instead of the empty descriptor. */
  readonly configType?: string;
}

/** An OCI 1.1 artifact: the empty config (or another), one small layer, and the subject. */
export async function pushArtifact(
  target: Target,
  repository: string,
  subject: Descriptor,
  options: ArtifactOptions = {},
): Promise<Pushed> {
  const config = options.configType ? Buffer.from('{"signed":true}') : Buffer.from('{}');
  const configDigest = await target.blob(repository, config);
  const layer = Buffer.from(`content ${randomUUID()}`);
  const layerDigest = await target.blob(repository, layer);
  const configType = options.configType ?? EMPTY_TYPE;
  return pushManifest(target, repository, {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: { mediaType: configType, digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/spdx+json', digest: layerDigest, size: layer.length }],
    subject,
    ...(options.annotations ? { annotations: options.annotations } : {}),
  });
}

export async function pushImage(client: RegistryClient, repository: string, tag: string) {
  const { digest, manifest } = await client.pushImage(repository, tag, { build: randomUUID() });
  return { mediaType: OCI_MANIFEST, digest, size: manifest.length };
}
