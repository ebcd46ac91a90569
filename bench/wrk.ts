import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import type { Target } from './target';

/** What a manifest load run measured, whichever load generator ran it. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers that were not 2xx or 3xx: any at all means the run measured errors. */
  readonly failedResponses: number;
  readonly socketErrors: number;
}

export interface LoadRun {
  readonly path: string;
  readonly accept: string;
  readonly connections: number;
  readonly seconds: number;
}

/**
 * A path for each request that names a repository no request named before
 * (bench/fresh-repository.lua): `before`, then `<thread>-<n>`, then `after`.
 */
export interface FreshPaths {
  readonly before: string;
  readonly after: string;
}

interface WrkSummary {
  readonly requests: number;
  readonly duration_us: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly non_2xx_3xx: number;
  readonly socket_errors: number;
}

const SCRIPT = path.join(__dirname, 'get.lua');
const FRESH_SCRIPT = path.join(__dirname, 'fresh-repository.lua');
const MARKER = 'BENCH_RESULT ';
const run = promisify(execFile);

// A driver stopped mid-run takes its wrk with it rather than leave it loading for seconds more.
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill()));

function parseSummary(stdout: string): WrkSummary {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  return JSON.parse(line.slice(MARKER.length)) as WrkSummary;
}

/**
 * A wrk run of GETs of `load.path` (bench/get.lua) against one target, with its credentials;
 * given `fresh`, of fresh paths instead, and `load.path` only names the target to wrk.
 */
export async function runWrk(
  target: Target,
  load: LoadRun,
  fresh?: FreshPaths,
): Promise<LoadResult> {
  // wrk refuses fewer connections than threads, so one connection gets one thread.
  const threads = Math.min(2, load.connections);
  const url = `http://127.0.0.1:${target.port}${load.path}`;
  const args = ['-t', `${threads}`, '-c', `${load.connections}`, '-d', `${load.seconds}s`];
  const env = {
    ...process.env,
    BENCH_HOST: target.host,
    BENCH_ACCEPT: load.accept,
    // Through the environment, not the command line, where every process could read it.
    BENCH_AUTHORIZATION: target.authorization ?? '',
    BENCH_PATH_BEFORE: fresh?.before ?? '',
    BENCH_PATH_AFTER: fresh?.after ?? '',
    // Where fresh-repository.lua's require finds get.lua; ';;' keeps LuaJIT's own places.
    LUA_PATH: `${path.join(__dirname, '?.lua')};;`,
  };

  const script = fresh ? FRESH_SCRIPT : SCRIPT;
  const pending = run('wrk', [...args, '-s', script, url], { env });
  running.add(pending.child);
  const { stdout } = await pending.finally(() => running.delete(pending.child));
  const summary = parseSummary(stdout);
  return {
    requestsPerSecond: summary.requests / (summary.duration_us / 1e6),
    p50Ms: summary.p50_us / 1e3,
    p99Ms: summary.p99_us / 1e3,
    failedResponses: summary.non_2xx_3xx,
    socketErrors: summary.socket_errors,
  };
}
