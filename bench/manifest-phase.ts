import { runHeadClient } from './head-client';
import type { Samples } from './report';
import type { Settings } from './settings';
import type { Target } from './target';
import { runWrk } from './wrk';
import type { LoadResult, LoadRun } from './wrk';

/**
 * The manifest load: HEAD (the request `docker pull` starts with) from bench/head-client.ts,
 * and GET from wrk, which cannot send HEAD. For each load and number of connections, rounds
 * of one run per target, the order alternating by round as in the blob phase.
 */
export type ManifestLoadKind = 'head' | 'get';

export interface ManifestResult {
  readonly kind: ManifestLoadKind;
  readonly connections: number;
  readonly requestsPerSecond: Samples;
  readonly p50Ms: Samples;
  readonly p99Ms: Samples;
  /** Non-2xx/3xx answers and socket errors, per target, summed over the rounds. */
  readonly failures: { direct: number; crgate: number };
}

export interface ManifestLoad {
  readonly path: string;
  readonly accept: string;
  readonly orderOfRound: (round: number) => readonly Target[];
}

const GENERATORS: Readonly<
  Record<ManifestLoadKind, (t: Target, l: LoadRun) => Promise<LoadResult>>
> = {
  head: runHeadClient,
  get: runWrk,
};

const WARM_UP_SECONDS = 2;
const WARM_UP_CONNECTIONS = 16;

function emptyResult(kind: ManifestLoadKind, connections: number): ManifestResult {
  return {
    kind,
    connections,
    requestsPerSecond: { direct: [], crgate: [] },
    p50Ms: { direct: [], crgate: [] },
    p99Ms: { direct: [], crgate: [] },
    failures: { direct: 0, crgate: 0 },
  };
}

function record(result: ManifestResult, target: Target, load: LoadResult): void {
  result.requestsPerSecond[target.name].push(load.requestsPerSecond);
  result.p50Ms[target.name].push(load.p50Ms);
  result.p99Ms[target.name].push(load.p99Ms);
  result.failures[target.name] += load.failedResponses + load.socketErrors;
}

// Lets V8 compile crgate's request path before anything is timed.
async function warmUp(load: ManifestLoad): Promise<void> {
  const run = { ...load, connections: WARM_UP_CONNECTIONS, seconds: WARM_UP_SECONDS };
  for (const target of load.orderOfRound(1)) await runHeadClient(target, run);
}

async function measure(
  settings: Settings,
  load: ManifestLoad,
  kind: ManifestLoadKind,
  connections: number,
): Promise<ManifestResult> {
  const result = emptyResult(kind, connections);
  const run: LoadRun = { ...load, connections, seconds: settings.loadSeconds };
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const target of load.orderOfRound(round)) {
      record(result, target, await GENERATORS[kind](target, run));
    }
  }
  return result;
}

export async function runManifestPhase(
  settings: Settings,
  load: ManifestLoad,
): Promise<ManifestResult[]> {
  await warmUp(load);
  const results: ManifestResult[] = [];
  for (const kind of ['head', 'get'] as const) {
    for (const connections of settings.loadConnections) {
      results.push(await measure(settings, load, kind, connections));
      process.stderr.write(
        `  manifest ${kind.toUpperCase()} at ${connections} connection(s) done\n`,
      );
    }
  }
  return results;
}
