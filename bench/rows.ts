import type { BlobResults } from './blob-phase';
import { CACHE_OUTCOMES } from './decision-counts';
import type { CacheOutcome, DecisionCounts } from './decision-counts';
import type { DockerPullResult } from './docker-pull-phase';
import type { LargePushResult } from './large-push';
import type { ManifestResult } from './manifest-phase';
import { comparedRow, crgateRow, median, proxiesRow } from './report';
import type { Row } from './report';
import type { Settings } from './settings';
import type { TokenDecision, TokenResult } from './token-phase';

/** The rows of the benchmark's table, from the results of each phase. */

// The project's targets for crgate / direct; printed beside the results, never enforced.
// They were set for what docker does, a bearer token; Basic on /v2/ has none, nor has GET.
// Issue 11: a pull at 0.7 of direct (nginx with a 256 KiB buffer reaches 0.65 here), a push
// at 0.95.
const BLOB_TARGET_RATIO = { pull: 0.7, pushMonolithic: 0.95, pushChunked: 0.95 } as const;
// Issue 11: answered from crgate's records, manifest reads beat the registry's own.
const MANIFEST_TARGET_RATIO = 1.5;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

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
    comparedRow(measure, 'MB/s', results[key].megabytesPerSecond, BLOB_TARGET_RATIO[key]);
  return [
    row(`pull ${size} blob`, 'pull'),
    row(`push ${size} blob, monolithic PUT`, 'pushMonolithic'),
    row(`push ${size} blob, PATCH ${chunk} chunks`, 'pushChunked'),
  ];
}

export function dockerPullRows(result: DockerPullResult, settings: Settings): Row[] {
  const layers = `${settings.pullLayers} layers of ${settings.pullLayerBytes / MIB} MiB`;
  return [comparedRow(`docker pull, ${layers}, whole command`, 's', result.seconds)];
}

const LOAD_NAMES = { head: 'manifest HEAD (node client)', get: 'manifest GET (wrk)' } as const;
const TOKEN_NAMES: Readonly<Record<TokenDecision, string>> = {
  cached: 'token endpoint (wrk), cached decision',
  computed: 'token endpoint (wrk), decision computed',
};
// The cache outcomes each token load is after; see bench/token-phase.ts.
const EXPECTED_OUTCOMES: Readonly<Record<TokenDecision, readonly CacheOutcome[]>> = {
  cached: ['memo', 'hit'],
  computed: ['miss'],
};
// A cached decision lives 300 s (CRGATE_DECISION_CACHE_TTL_SECONDS), so one can expire during
// a cached run and cost it a miss; more than this share of the other outcome is no accident.
const OFF_PATH_SHARE = 0.01;

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
      // Registry CPU each sender's requests cost: crgate's should cost none once warm.
      comparedRow(`${at}, registry CPU per 1,000`, 'ms', r.registryCpuMsPerThousand),
    ];
  });
}

function tokenName(result: TokenResult): string {
  return `${TOKEN_NAMES[result.decision]}, ${result.connections} conn`;
}

function tokenLoadRows(result: TokenResult): Row[] {
  const at = tokenName(result);
  return [
    crgateRow(at, 'tokens/s', result.tokensPerSecond),
    crgateRow(`${at}, p50`, 'ms', result.p50Ms),
    crgateRow(`${at}, p99`, 'ms', result.p99Ms),
  ];
}

/** What a remembered decision saves over a computed one: the ratio of the median tokens/s. */
function cacheRatioRows(results: readonly TokenResult[]): Row[] {
  const cached = results.find((r) => r.decision === 'cached');
  const computed = results.find((r) => r.decision === 'computed');
  if (!cached || !computed) return [];
  const ratio = median(cached.tokensPerSecond) / median(computed.tokensPerSecond);
  return [crgateRow(`token endpoint, cached / computed, ${cached.connections} conn`, 'x', [ratio])];
}

export function tokenRows(results: readonly TokenResult[]): Row[] {
  const connections = [...new Set(results.map((r) => r.connections))];
  return connections.flatMap((c) => {
    const atConnections = results.filter((r) => r.connections === c);
    return [...atConnections.flatMap(tokenLoadRows), ...cacheRatioRows(atConnections)];
  });
}

function countsText(counts: DecisionCounts): string {
  const always: readonly CacheOutcome[] = ['memo', 'hit', 'miss'];
  const shown = CACHE_OUTCOMES.filter((o) => always.includes(o) || counts[o] > 0);
  return shown.map((o) => `${counts[o]} ${o}`).join(', ');
}

function offPath(result: TokenResult): boolean {
  const total = CACHE_OUTCOMES.reduce((sum, o) => sum + result.decisions[o], 0);
  const expected = EXPECTED_OUTCOMES[result.decision];
  const others = total - expected.reduce((sum, o) => sum + result.decisions[o], 0);
  return total === 0 || others > OFF_PATH_SHARE * total;
}

/** Lines under the table: the decisions crgate counted during each token load's timed runs. */
export function decisionLines(tokens: readonly TokenResult[]): string[] {
  const counts = tokens.map((r) => `  ${tokenName(r)}: ${countsText(r.decisions)}`);
  const notes = tokens
    .filter(offPath)
    .map(
      (r) =>
        `note: ${tokenName(r)} counted no decisions, or over ${OFF_PATH_SHARE * 100}% off ` +
        `its path: its figures do not show a ${EXPECTED_OUTCOMES[r.decision].join(' or ')}`,
    );
  return [
    'decisions during the timed token runs (crgate_access_decisions_total, by cache outcome):',
    ...counts,
    ...notes,
  ];
}

export function crgateRows(results: BlobResults, memory: Memory): Row[] {
  const cpu = (measure: string, key: keyof BlobResults) =>
    proxiesRow(measure, 'cpu-s', results[key].proxyCpuPerGib);
  return [
    crgateRow('crgate RSS before the runs', 'MiB', [memory.beforeRuns / MIB]),
    crgateRow('crgate peak RSS, blob transfers', 'MiB', [memory.peakBlobs / MIB]),
    crgateRow('crgate peak RSS, manifest load', 'MiB', [memory.peakManifests / MIB]),
    crgateRow('crgate RSS after the runs', 'MiB', [memory.afterRuns / MIB]),
    cpu('proxy CPU per GiB pulled', 'pull'),
    cpu('proxy CPU per GiB pushed, monolithic', 'pushMonolithic'),
    cpu('proxy CPU per GiB pushed, chunked', 'pushChunked'),
  ];
}

/** The one large push through crgate: its memory before and at the peak, its pace and CPU. */
export function largePushRows(result: LargePushResult): Row[] {
  const size = `${(result.bytes / GIB).toFixed(0)} GiB`;
  return [
    crgateRow(`crgate push of a fresh ${size} blob, monolithic`, 'MB/s', [
      result.megabytesPerSecond,
    ]),
    crgateRow(`crgate RSS before the ${size} push`, 'MiB', [result.rssBeforeBytes / MIB]),
    crgateRow(`crgate peak RSS during the ${size} push`, 'MiB', [result.peakRssBytes / MIB]),
    crgateRow(`crgate CPU per GiB, ${size} push`, 'cpu-s', [result.crgateCpuPerGib]),
  ];
}

/** Lines under the table for runs that counted failed answers: their figures mislead. */
export function failureNotes(
  manifests: readonly ManifestResult[],
  tokens: readonly TokenResult[],
): string[] {
  const manifestNotes = manifests
    .filter((r) => r.failures.direct + r.failures.nginx + r.failures.crgate > 0)
    .map(
      (r) =>
        `note: ${loadName(r)} counted failed answers or socket errors: direct ` +
        `${r.failures.direct}, nginx ${r.failures.nginx}, crgate ${r.failures.crgate}`,
    );
  const tokenNotes = tokens
    .filter((r) => r.failures > 0)
    .map((r) => `note: ${tokenName(r)} counted failed answers or socket errors: ${r.failures}`);
  return [...manifestNotes, ...tokenNotes];
}
