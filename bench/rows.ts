import type { BlobResults } from './blob-phase';
import type { ManifestResult } from './manifest-phase';
import { comparedRow, crgateRow } from './report';
import type { Row } from './report';
import type { Settings } from './settings';

/** The rows of the benchmark's table, from the results of each phase. */

// The project's targets for crgate / direct; printed beside the results, never enforced.
const BLOB_TARGET_RATIO = 0.9;
const MANIFEST_TARGET_RATIO = 0.6;
const MIB = 1024 * 1024;

export interface Memory {
  readonly beforeRuns: number;
  readonly peakBlobs: number;
  readonly peakManifests: number;
  /** Well above `beforeRuns` once the load is over would hint at a leak. */
  readonly afterRuns: number;
}

export function blobRows(results: BlobResults, settings: Settings): Row[] {
  const size = `${settings.blobBytes / MIB} MiB`;
  const chunk = `${settings.chunkBytes / MIB} MiB`;
  const row = (measure: string, key: keyof BlobResults) =>
    comparedRow(measure, 'MB/s', results[key].megabytesPerSecond, BLOB_TARGET_RATIO);
  return [
    row(`pull ${size} blob`, 'pull'),
    row(`push ${size} blob, monolithic PUT`, 'pushMonolithic'),
    row(`push ${size} blob, PATCH ${chunk} chunks`, 'pushChunked'),
  ];
}

const LOAD_NAMES = { head: 'manifest HEAD (node client)', get: 'manifest GET (wrk)' } as const;

export function manifestRows(results: readonly ManifestResult[]): Row[] {
  return results.flatMap((r) => {
    const at = `${LOAD_NAMES[r.kind]}, ${r.connections} conn`;
    return [
      comparedRow(`${at}`, 'req/s', r.requestsPerSecond, MANIFEST_TARGET_RATIO),
      comparedRow(`${at}, p50`, 'ms', r.p50Ms),
      comparedRow(`${at}, p99`, 'ms', r.p99Ms),
    ];
  });
}

export function crgateRows(results: BlobResults, memory: Memory): Row[] {
  const cpu = (measure: string, key: keyof BlobResults) =>
    crgateRow(measure, 'cpu-s', results[key].crgateCpuPerGib);
  return [
    crgateRow('crgate RSS before the runs', 'MiB', [memory.beforeRuns / MIB]),
    crgateRow('crgate peak RSS, blob transfers', 'MiB', [memory.peakBlobs / MIB]),
    crgateRow('crgate peak RSS, manifest load', 'MiB', [memory.peakManifests / MIB]),
    crgateRow('crgate RSS after the runs', 'MiB', [memory.afterRuns / MIB]),
    cpu('crgate CPU per GiB pulled', 'pull'),
    cpu('crgate CPU per GiB pushed, monolithic', 'pushMonolithic'),
    cpu('crgate CPU per GiB pushed, chunked', 'pushChunked'),
  ];
}

/** Lines under the table for runs that counted failed answers: their figures mislead. */
export function failureNotes(results: readonly ManifestResult[]): string[] {
  return results
    .filter((r) => r.failures.direct + r.failures.crgate > 0)
    .map(
      (r) =>
        `note: ${LOAD_NAMES[r.kind]} at ${r.connections} conn counted failed answers or ` +
        `socket errors: direct ${r.failures.direct}, crgate ${r.failures.crgate}`,
    );
}
