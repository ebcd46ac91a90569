import type { Credentials } from './credentials';
import type { Settings } from './settings';
import { runWrk } from './wrk';
import type { LoadResult, LoadRun } from './wrk';

/**
 * The token endpoint under load: wrk GETs of `/token` with Basic credentials (the PAT) and
 * one repository scope, the request docker makes before its first pull or push. Each answer
 * is a freshly signed token. registry:2 has no token endpoint, so these figures are crgate's
 * alone.
 */
export interface TokenResult {
  readonly connections: number;
  readonly tokensPerSecond: number[];
  readonly p50Ms: number[];
  readonly p99Ms: number[];
  /** Non-2xx/3xx answers and socket errors, summed over the rounds. */
  failures: number;
}

export interface TokenLoad {
  readonly credentials: Credentials;
  readonly scope: string;
}

const WARM_UP_SECONDS = 1;
const WARM_UP_CONNECTIONS = 16;

function record(result: TokenResult, load: LoadResult): void {
  result.tokensPerSecond.push(load.requestsPerSecond);
  result.p50Ms.push(load.p50Ms);
  result.p99Ms.push(load.p99Ms);
  result.failures += load.failedResponses + load.socketErrors;
}

export async function runTokenPhase(settings: Settings, load: TokenLoad): Promise<TokenResult[]> {
  const { basic } = load.credentials;
  const path = load.credentials.tokenPath(load.scope);
  const run = (connections: number, seconds: number) => {
    const tokenRun: LoadRun = { path, accept: 'application/json', connections, seconds };
    return runWrk(basic, tokenRun);
  };

  // Lets V8 compile the token endpoint's path before anything is timed.
  await run(WARM_UP_CONNECTIONS, WARM_UP_SECONDS);
  const results: TokenResult[] = [];
  for (const connections of settings.tokenConnections) {
    const result: TokenResult = {
      connections,
      tokensPerSecond: [],
      p50Ms: [],
      p99Ms: [],
      failures: 0,
    };
    for (let round = 1; round <= settings.rounds; round += 1) {
      record(result, await run(connections, settings.tokenLoadSeconds));
    }
    results.push(result);
    process.stderr.write(`  token endpoint at ${connections} connection(s) done\n`);
  }
  return results;
}
