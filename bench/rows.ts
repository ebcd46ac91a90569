import type { BlobResults } from './blob-phase';
import type { ManifestResult } from './manifest-phase';
import { comparedRow, crgateRow } from './report';
import type { Row } from './report';
import type { Settings } from './settings';
import type { TokenResult } from './token-phase';

/** The rows of the benchmark's table, from the results of each phase. */

// The project's targets for crgate / direct; printed beside the results, never enforced.
// They were set for what docker does, a bearer token; Basic on /v2/ has none.
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
const TOKEN_NAME = 'token endpoint (wrk)';

// Rows without a sign-in in their name are crgate with a bearer token, as docker uses it.
function loadName(result: ManifestResult): string {
  const name = `${LOAD_NAMES[result.kind]}, ${result.connections} conn`;
  return result.signIn === 'basic' ? `${name}, Basic` : name;
}

export function manifestRows(results: readonly ManifestResult[]): Row[] {
  return results.flatMap((r) => {
    const at = loadName(r);
    const target = r.signIn === 'bearer' ? MANIFEST_TARGET_RATIO : null;
    return [
      comparedRow(`${at}`, 'req/s', r.requestsPerSecond, target),
      comparedRow(`${at}, p50`, 'ms', r.p50Ms),
      comparedRow(`${at}, p99`, 'ms', r.p99Ms),
    ];
  });
}

export function tokenRows(results: readonly TokenResult[]): Row[] {
  return results.flatMap((r) => {
    const at = `${TOKEN_NAME}, ${r.connections} conn`;
    return [
      crgateRow(at, 'tokens/s', r.tokensPerSecond),
      crgateRow(`${at}, p50`, 'ms', r.p50Ms),
      crgateRow(`${at}, p99`, 'ms', r.p99Ms),
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
export function failureNotes(
  manifests: readonly ManifestResult[],
  tokens: readonly TokenResult[],
): string[] {
  const manifestNotes = manifests
    .filter((r) => r.failures.direct + r.failures.crgate > 0)
    .map(
      (r) =>
        `note: ${loadName(r)} counted failed answers or socket errors: ` +
        `direct ${r.failures.direct}, crgate ${r.failures.crgate}`,
    );
  const tokenNotes = tokens
    .filter((r) => r.failures > 0)
    .map(
      (r) =>
        `note: ${TOKEN_NAME} at ${r.connections} conn counted failed answers or socket ` +
        `errors: ${r.failures}`,
    );
  return [...manifestNotes, ...tokenNotes];
}
