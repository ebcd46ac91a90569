import type { Credentials } from './credentials';
import { runHeadClient } from './head-client';
import { orderOfRound } from './order';
import { cpuSeconds } from './process-stats';
import { noSamples } from './report';
import type { Samples } from './report';
import type { Settings } from './settings';
import type { Target, TargetName } from './target';
import { runWrk } from './wrk';
import type { LoadResult, LoadRun } from './wrk';

/**
 * The manifest load: HEAD (the request `docker pull` starts with) from bench/head-client.ts,
 * and GET from wrk, which cannot send HEAD. For each load and number of connections, rounds
 * of one run per sender (the registry direct, nginx, crgate), in the order of bench/order.ts.
 * crgate's requests carry a bearer token, fresh for each run; at
 * `settings.basicHeadConnections`, HEAD also runs with Basic credentials, which crgate checks
 * on every request, against the same direct and nginx runs.
 */
export type ManifestLoadKind = 'head' | 'get';

/** How requests to crgate sign in: a bearer token from /token, or the PAT as Basic password. */
export type SignIn = 'bearer' | 'basic';

export interface ManifestResult {
  readonly kind: ManifestLoadKind;
  readonly connections: number;
  readonly signIn: SignIn;
  readonly requestsPerSecond: Samples;
  readonly p50Ms: Samples;
  readonly p99Ms: Samples;
  /** CPU the registry spent during each run, per 1,000 requests the run's sender answered. */
  readonly registryCpuMsPerThousand: Samples;
  /** Non-2xx/3xx answers and socket errors, per target, summed over the rounds. */
  readonly failures: Record<TargetName, number>;
}

export interface ManifestLoad {
  readonly path: string;
  readonly accept: string;
  /** The scope of the bearer tokens: pull on the manifest's repository. */
  readonly scope: string;
  readonly direct: Target;
  readonly nginx: Target;
  readonly crgate: Target;
  readonly credentials: Credentials;
}

/** Who a run sends to: the registry direct, nginx, or crgate signed in one way. */
type Sender = 'direct' | 'nginx' | SignIn;

const GENERATORS: Readonly<
  Record<ManifestLoadKind, (t: Target, l: LoadRun) => Promise<LoadResult>>
> = {
  head: runHeadClient,
  get: runWrk,
};

const WARM_UP_SECONDS = 2;
const WARM_UP_CONNECTIONS = 16;

function signInsOf(settings: Settings, kind: ManifestLoadKind, connections: number): SignIn[] {
  const basic = kind === 'head' && connections === settings.basicHeadConnections;
  return basic ? ['bearer', 'basic'] : ['bearer'];
}

function sendersOfRound(signIns: readonly SignIn[], round: number): Sender[] {
  return orderOfRound<Sender>(['direct', 'nginx', ...signIns], round);
}

function needsNoSignIn(sender: Sender): sender is 'direct' | 'nginx' {
  return sender === 'direct' || sender === 'nginx';
}

// A bearer token per run: a run lasts seconds, a token 300 s.
async function targetOf(load: ManifestLoad, sender: Sender): Promise<Target> {
  if (needsNoSignIn(sender)) return load[sender];
  if (sender === 'basic') return load.credentials.basic;
  return load.credentials.signIn(load.crgate, load.scope);
}

function emptyResult(kind: ManifestLoadKind, connections: number, signIn: SignIn): ManifestResult {
  return {
    kind,
    connections,
    signIn,
    requestsPerSecond: noSamples(),
    p50Ms: noSamples(),
    p99Ms: noSamples(),
    registryCpuMsPerThousand: noSamples(),
    failures: { direct: 0, nginx: 0, crgate: 0 },
  };
}

// A direct or nginx run counts for every result of its rounds; a crgate run for its sign-in's.
function record(
  results: readonly ManifestResult[],
  sender: Sender,
  load: LoadResult & { registryCpuMsPerThousand: number },
): void {
  const side = needsNoSignIn(sender) ? sender : 'crgate';
  for (const result of results.filter((r) => needsNoSignIn(sender) || r.signIn === sender)) {
    result.requestsPerSecond[side].push(load.requestsPerSecond);
    result.registryCpuMsPerThousand[side].push(load.registryCpuMsPerThousand);
    result.p50Ms[side].push(load.p50Ms);
    result.p99Ms[side].push(load.p99Ms);
    result.failures[side] += load.failedResponses + load.socketErrors;
  }
}

// Lets V8 compile crgate's request paths, bearer and Basic, before anything is timed.
async function warmUp(load: ManifestLoad): Promise<void> {
  const run = { ...load, connections: WARM_UP_CONNECTIONS, seconds: WARM_UP_SECONDS };
  for (const sender of sendersOfRound(['bearer', 'basic'], 1)) {
    await runHeadClient(await targetOf(load, sender), run);
  }
}

async function measure(
  settings: Settings,
  load: ManifestLoad,
  kind: ManifestLoadKind,
  connections: number,
): Promise<ManifestResult[]> {
  const signIns = signInsOf(settings, kind, connections);
  const results = signIns.map((signIn) => emptyResult(kind, connections, signIn));
  const run: LoadRun = { ...load, connections, seconds: settings.loadSeconds };
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const sender of sendersOfRound(signIns, round)) {
      const target = await targetOf(load, sender);
      const cpuBefore = cpuSeconds(settings.registryPid, settings.ticksPerSecond);
      const result = await GENERATORS[kind](target, run);
      const cpuMs = (cpuSeconds(settings.registryPid, settings.ticksPerSecond) - cpuBefore) * 1000;
      const requests = result.requestsPerSecond * settings.loadSeconds;
      record(results, sender, { ...result, registryCpuMsPerThousand: (cpuMs / requests) * 1000 });
    }
  }
  return results;
}

export async function runManifestPhase(
  settings: Settings,
  load: ManifestLoad,
): Promise<ManifestResult[]> {
  await warmUp(load);
  const results: ManifestResult[] = [];
  for (const kind of ['head', 'get'] as const) {
    for (const connections of settings.loadConnections) {
      results.push(...(await measure(settings, load, kind, connections)));
      process.stderr.write(
        `  manifest ${kind.toUpperCase()} at ${connections} connection(s) done\n`,
      );
    }
  }
  return results;
}
