import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { Principal } from '../auth/principal';
import { parseManifest } from '../packages/manifest';
import type { ParsedManifest } from '../packages/manifest';
import type { PushedManifest } from '../packages/observe';
import { RegistryError } from './errors';

/**
 * A manifest push, read whole before the registry sees it: manifests are small, and crgate
 * must refuse what it does not support (Docker schema 1, malformed JSON) and, once the
 * registry has accepted the bytes, record exactly those bytes as the package's new version.
 */

function tooLarge(maxBytes: number): RegistryError {
  const message = `a manifest may be at most ${maxBytes} bytes`;
  return new RegistryError('SIZE_INVALID', message, { limit: maxBytes }, {}, 413);
}

/** The request's body, refused once it passes `maxBytes` (CRGATE_MAX_MANIFEST_BYTES). */
export async function readManifestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface ManifestUpload {
  readonly body: Buffer;
  readonly manifest: ParsedManifest;
  /** The digest the registry will name it by: registry 2.8 hashes the bytes with sha256. */
  readonly digest: string;
}

export async function readManifest(
  req: IncomingMessage,
  maxBytes: number,
): Promise<ManifestUpload> {
  const body = await readManifestBody(req, maxBytes);
  const manifest = parseManifest(body, req.headers['content-type']);
  // Registry 2.8 picks its parser by Content-Type alone, so a manifest sent as
  // application/json, or without a mediaType and a manifest Content-Type (both only SHOULDs of
  // spec 1.1), is refused there although crgate recognised it: the registry gets that type.
  req.headers['content-type'] = manifest.mediaType;
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  return { body, manifest, digest };
}

/** What the observe step needs once the registry answered 201 with the manifest's digest. */
export function pushedManifest(
  upload: ManifestUpload,
  repository: string,
  reference: string,
  principal: Principal,
  registryResponse: IncomingMessage,
): PushedManifest | undefined {
  const digest = registryResponse.headers['docker-content-digest'];
  if (registryResponse.statusCode !== 201 || typeof digest !== 'string') return undefined;
  return {
    repository,
    reference,
    digest,
    manifest: upload.manifest,
    bytes: upload.body.length,
    principal,
  };
}
