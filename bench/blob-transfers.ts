import { createHash } from 'node:crypto';

import { blobStream } from './blob-source';
import type { Blob, BlobSource } from './blob-source';
import { expectStatus, locationPath, send } from './target';
import type { Exchange, Target } from './target';

/**
 * Blob transfers as a client makes them (distribution spec, "Pushing blobs" and "Pulling
 * blobs"), each returning its wall time in seconds. Bodies stream from disk and responses
 * stream away; nothing of a blob is held in memory.
 */

const OCTETS = 'application/octet-stream';

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Opens an upload session; returns the path of its `Location`. */
export async function openSession(target: Target, repository: string): Promise<string> {
  const path = `/v2/${repository}/blobs/uploads/`;
  const opened = await send(target, { method: 'POST', path, headers: { 'Content-Length': 0 } });
  return locationPath(target, expectStatus(opened, 202, `${target.name}: open upload session`));
}

export function withDigest(path: string, digest: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

function expectCommitted(target: Target, blob: Blob, exchange: Exchange): void {
  expectStatus(exchange, 201, `${target.name}: commit ${blob.name}`);
  const digest = exchange.headers['docker-content-digest'];
  if (digest !== blob.digest) {
    throw new Error(
      `${target.name}: ${blob.name} committed as ${String(digest)}, not ${blob.digest}`,
    );
  }
}

/** Monolithic push: open a session, then one PUT with the whole blob and its digest. */
export async function pushMonolithic(
  target: Target,
  repository: string,
  source: BlobSource,
  blob: Blob,
): Promise<number> {
  const started = process.hrtime.bigint();
  const session = await openSession(target, repository);

  const headers = { 'Content-Type': OCTETS, 'Content-Length': blob.size };
  const body = blobStream(source, blob);
  const path = withDigest(session, blob.digest);
  expectCommitted(target, blob, await send(target, { method: 'PUT', path, headers, body }));
  return secondsSince(started);
}

interface Chunk {
  readonly session: string;
  readonly start: number;
  readonly end: number;
}

async function patchChunk(target: Target, source: BlobSource, blob: Blob, chunk: Chunk) {
  const { start, end } = chunk;
  const headers = {
    'Content-Type': OCTETS,
    'Content-Length': end - start,
    // The spec's Content-Range for chunks has no unit and an inclusive end.
    'Content-Range': `${start}-${end - 1}`,
  };
  const body = blobStream(source, blob, start, end);

  const patched = await send(target, { method: 'PATCH', path: chunk.session, headers, body });
  expectStatus(patched, 202, `${target.name}: PATCH bytes ${start}-${end - 1} of ${blob.name}`);
  return locationPath(target, patched);
}

/** Chunked push: open a session, PATCH the blob in chunks, then a PUT with no body. */
export async function pushChunked(
  target: Target,
  repository: string,
  source: BlobSource,
  blob: Blob,
  chunkBytes: number,
): Promise<number> {
  const started = process.hrtime.bigint();
  let session = await openSession(target, repository);
  for (let start = 0; start < blob.size; start += chunkBytes) {
    const end = Math.min(blob.size, start + chunkBytes);
    session = await patchChunk(target, source, blob, { session, start, end });
  }

  const path = withDigest(session, blob.digest);
  const headers = { 'Content-Length': 0 };
  expectCommitted(target, blob, await send(target, { method: 'PUT', path, headers }));
  return secondsSince(started);
}

/**
 * Pull: one GET, the body counted and dropped as it arrives. With `verify`, the body is also
 * hashed against the digest; that costs the client CPU, so timed pulls leave it out.
 */
export async function pull(
  target: Target,
  repository: string,
  blob: Blob,
  verify = false,
): Promise<number> {
  const started = process.hrtime.bigint();
  const hash = verify ? createHash('sha256') : undefined;
  const path = `/v2/${repository}/blobs/${blob.digest}`;
  const onData = hash ? (chunk: Buffer) => hash.update(chunk) : undefined;
  const got = await send(target, { method: 'GET', path, onData });
  const elapsed = secondsSince(started);

  expectStatus(got, 200, `${target.name}: GET ${blob.name}`);
  if (got.bytes !== blob.size) {
    throw new Error(`${target.name}: pulled ${got.bytes} bytes of ${blob.name}, not ${blob.size}`);
  }
  const digest = hash && `sha256:${hash.digest('hex')}`;
  if (digest && digest !== blob.digest) {
    throw new Error(`${target.name}: pulled ${blob.name} hashes to ${digest}, not ${blob.digest}`);
  }
  return elapsed;
}
