import { createHash, randomBytes, randomFill } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';

/**
 * The benchmark's blobs, none held in memory: every blob is the same random file on disk
 * followed by a tail of its own. The shared part comes first so that its hash state is
 * computed once and copied per blob; the tail alone makes each blob, and its digest, new to
 * the registry.
 */
export interface Blob {
  readonly name: string;
  readonly digest: string;
  readonly size: number;
  readonly tail: Buffer;
}

export interface BlobSource {
  readonly file: string;
  /** Bytes of the shared random file. */
  readonly sharedBytes: number;
}

export const TAIL_BYTES = 16;
const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;

const fillRandom = promisify(randomFill);

/** Writes `bytes` random bytes to `file`, a chunk at a time. */
export async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  const chunk = Buffer.alloc(WRITE_CHUNK_BYTES);
  for (let written = 0; written < bytes; written += chunk.length) {
    await fillRandom(chunk);
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
    if (!out.write(part)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function hashSharedPart(source: BlobSource) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(source.file, { highWaterMark: READ_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
  }
  return hash;
}

/** Names blobs and computes their digests ahead of any timed transfer. */
export async function prepareBlobs(source: BlobSource, names: readonly string[]): Promise<Blob[]> {
  const shared = await hashSharedPart(source);
  const size = source.sharedBytes + TAIL_BYTES;

  return names.map((name) => {
    const tail = randomBytes(TAIL_BYTES);
    const digest = `sha256:${shared.copy().update(tail).digest('hex')}`;
    return { name, digest, size, tail };
  });
}

async function* blobBytes(source: BlobSource, blob: Blob, start: number, end: number) {
  const sharedEnd = Math.min(end, source.sharedBytes);
  if (start < sharedEnd) {
    // createReadStream's `end` is inclusive.
    const options = { start, end: sharedEnd - 1, highWaterMark: READ_CHUNK_BYTES };
    yield* createReadStream(source.file, options);
  }
  const tailStart = Math.max(start, source.sharedBytes) - source.sharedBytes;
  const tailEnd = end - source.sharedBytes;
  if (tailStart < tailEnd) yield blob.tail.subarray(tailStart, tailEnd);
}

/** Bytes `start` (inclusive) to `end` (exclusive) of the blob, streamed from disk. */
export function blobStream(source: BlobSource, blob: Blob, start = 0, end = blob.size): Readable {
  return Readable.from(blobBytes(source, blob, start, end), { objectMode: false });
}
