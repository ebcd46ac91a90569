import { createHash, randomBytes, randomFill } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';

/**
 * The benchmark's blobs, none held in memory: every blob is the same random file on disk
 * (once, or over and over for a blob larger than the file) followed by a tail of its own. The
 * shared part comes first so that its hash state is computed once and copied per blob; the
 * tail alone makes each blob, and its digest, new to the registry.
 */
export interface Blob {
  readonly name: string;
  readonly digest: string;
  readonly size: number;
  /** How many times the shared file comes before the tail. */
  readonly repeats: number;
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

async function hashSharedPart(source: BlobSource, repeats = 1) {
  const hash = createHash('sha256');
  for (let copy = 0; copy < repeats; copy += 1) {
    const stream = createReadStream(source.file, { highWaterMark: READ_CHUNK_BYTES });
    for await (const chunk of stream) hash.update(chunk as Buffer);
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
    return { name, digest, size, repeats: 1, tail };
  });
}

/**
 * A blob of the shared file `repeats` times over, then a tail: a large blob streamed without
 * a large file. Hashing it reads the file `repeats` times.
 */
export async function prepareRepeatedBlob(
  source: BlobSource,
  name: string,
  repeats: number,
): Promise<Blob> {
  const shared = await hashSharedPart(source, repeats);
  const tail = randomBytes(TAIL_BYTES);
  const digest = `sha256:${shared.update(tail).digest('hex')}`;
  return { name, digest, size: repeats * source.sharedBytes + TAIL_BYTES, repeats, tail };
}

/** Bytes `start` to `end` (exclusive) of the blob's copies of the shared file. */
async function* sharedFileBytes(source: BlobSource, start: number, end: number) {
  const fileBytes = source.sharedBytes;
  for (let copy = Math.floor(start / fileBytes); copy * fileBytes < end; copy += 1) {
    const from = Math.max(start, copy * fileBytes) - copy * fileBytes;
    const to = Math.min(end, (copy + 1) * fileBytes) - copy * fileBytes;
    // createReadStream's `end` is inclusive.
    const options = { start: from, end: to - 1, highWaterMark: READ_CHUNK_BYTES };
    if (from < to) yield* createReadStream(source.file, options);
  }
}

async function* blobBytes(source: BlobSource, blob: Blob, start: number, end: number) {
  const sharedTotal = blob.repeats * source.sharedBytes;
  const sharedEnd = Math.min(end, sharedTotal);
  if (start < sharedEnd) yield* sharedFileBytes(source, start, sharedEnd);
  const tailStart = Math.max(start, sharedTotal) - sharedTotal;
  const tailEnd = end - sharedTotal;
  if (tailStart < tailEnd) yield blob.tail.subarray(tailStart, tailEnd);
}

/** Bytes `start` (inclusive) to `end` (exclusive) of the blob, streamed from disk. */
export function blobStream(source: BlobSource, blob: Blob, start = 0, end = blob.size): Readable {
  return Readable.from(blobBytes(source, blob, start, end), { objectMode: false });
}
