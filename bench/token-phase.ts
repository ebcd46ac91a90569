import { setTimeout as sleep } from 'node:timers/promises';

import { repositoryScope } from './credentials';
import type { Credentials } from './credentials';
import { addDecisions, noDecisions, readDecisions } from './decision-counts';
import type { DecisionCounts } from './decision-counts';
import type { Settings } from './settings';
import { runWrk } from './wrk';
import type { FreshPaths, LoadResult, LoadRun } from './wrk';

/**
 * The token endpoint under load: wrk GETs of `/token` with Basic credentials (the PAT) and
 * one repository scope, the request docker makes before its first pull or push. Each answer
 * is a freshly signed token. registry:2 has no token endpoint, so these figures are crgate's
 * alone.
 *
 * Two loads show what crgate's decision cache saves. With the decision cached, every request
 * asks for the same scope, so every decision after the first is remembered: by crgate itself
 * for up to a second (a memo), else by the cache in Redis (a hit). With it computed, every
 * request names a repository never asked for before, so every decision is a miss, which reads
 * the package record, consults the directory and stores the decision. Their runs interleave,
 * the order reversing by round; crgate's /metrics, read around each run, counts the path each
 * run took.
 */
export type TokenDecision = 'cached' | 'computed';

const TOKEN_DECISIONS: readonly TokenDecision[] = ['cached', 'computed'];

export interface TokenResult {
  readonly connections: number;
  readonly decision: TokenDecision;
  readonly tokensPerSecond: number[];
  readonly p50Ms: number[];
  readonly p99Ms: number[];
  /** Non-2xx/3xx answers and socket errors, summed over the rounds. */
  failures: number;
  /** crgate's decisions during the timed runs, by how its cache served them. */
  readonly decisions: DecisionCounts;
}

export interface TokenLoad {
  readonly credentials: Credentials;
  readonly scope: string;
}

type TokenRun = (
  decision: TokenDecision,
  connections: number,
  seconds: number,
) => Promise<LoadResult>;

const WARM_UP_SECONDS = 1;
const WARM_UP_CONNECTIONS = 16;
// The repositories of computed decisions, bench/miss-<run>-<thread>-<n>: user bench owns bench/.
const FRESH_REPOSITORY = 'bench/miss';
// Stands for "<thread>-<n>" in the scope; letters alone, which URL encoding leaves as they are.
const COUNTER_MARK = 'xcounterx';
// wrk drops the requests in flight when its time is up, but crgate still decides them.
const SETTLE_MS = 100;

function freshPaths(credentials: Credentials, run: number): FreshPaths {
  const scope = repositoryScope(`${FRESH_REPOSITORY}-${run}-${COUNTER_MARK}`, 'pull');
  const [before, after, ...rest] = credentials.tokenPath(scope).split(COUNTER_MARK);
  if (before === undefined || after === undefined || rest.length > 0) {
    throw new Error(`token path of ${scope} holds ${COUNTER_MARK} other than once`);
  }
  return { before, after };
}

/** Runs the token load; each run of computed decisions names repositories of its own. */
function tokenRunOf(load: TokenLoad): TokenRun {
  const { basic } = load.credentials;
  const path = load.credentials.tokenPath(load.scope);
  let freshRuns = 0;
  return (decision, connections, seconds) => {
    const run: LoadRun = { path, accept: 'application/json', connections, seconds };
    if (decision === 'cached') return runWrk(basic, run);
    freshRuns += 1;
    return runWrk(basic, run, freshPaths(load.credentials, freshRuns));
  };
}

function emptyResult(connections: number, decision: TokenDecision): TokenResult {
  return {
    connections,
    decision,
    tokensPerSecond: [],
    p50Ms: [],
    p99Ms: [],
    failures: 0,
    decisions: noDecisions(),
  };
}

/** One timed run, its decisions counted by crgate's metrics. */
async function measure(settings: Settings, run: TokenRun, result: TokenResult): Promise<void> {
  const port = settings.crgateMetricsPort;
  const before = await readDecisions(port);
  const load = await run(result.decision, result.connections, settings.tokenLoadSeconds);
  await sleep(SETTLE_MS);
  addDecisions(result.decisions, before, await readDecisions(port));

  result.tokensPerSecond.push(load.requestsPerSecond);
  result.p50Ms.push(load.p50Ms);
  result.p99Ms.push(load.p99Ms);
  result.failures += load.failedResponses + load.socketErrors;
}

export async function runTokenPhase(settings: Settings, load: TokenLoad): Promise<TokenResult[]> {
  const run = tokenRunOf(load);
  // Lets V8 compile the token endpoint's paths, hit and miss, before anything is timed.
  for (const decision of TOKEN_DECISIONS) await run(decision, WARM_UP_CONNECTIONS, WARM_UP_SECONDS);

  const results: TokenResult[] = [];
  for (const connections of settings.tokenConnections) {
    const pair = TOKEN_DECISIONS.map((decision) => emptyResult(connections, decision));
    for (let round = 1; round <= settings.rounds; round += 1) {
      const order = round % 2 === 1 ? pair : [...pair].reverse();
      for (const result of order) await measure(settings, run, result);
    }
    results.push(...pair);
    process.stderr.write(`  token endpoint at ${connections} connection(s) done\n`);
  }
  return results;
}
