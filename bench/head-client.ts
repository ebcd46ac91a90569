import net from 'node:net';

import type { Target } from './target';
import type { LoadResult, LoadRun } from './wrk';

/**
 * A closed-loop HEAD load generator: `connections` kept-alive sockets, each sending the next
 * request as soon as the previous answer's headers are in (and connecting again when the
 * server ends the connection after an answer, as nginx does every 1000 requests). wrk cannot
 * do this: its parser waits for the body that a HEAD answer's Content-Length announces
 * (wg/wrk#198), so every HEAD run of wrk 4.1 ends with zero requests.
 */

const HEADERS_END = Buffer.from('\r\n\r\n');
// "HTTP/1.1 200 " — the status code sits at bytes 9 to 11 of the status line.
const STATUS_AT = 9;

interface Tally {
  readonly latenciesMs: number[];
  failed: number;
  socketErrors: number;
}

function requestBytes(target: Target, load: LoadRun): Buffer {
  const lines = [`HEAD ${load.path} HTTP/1.1`, `Host: ${target.host}`, `Accept: ${load.accept}`];
  if (target.authorization) lines.push(`Authorization: ${target.authorization}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

// An answer that ends its connection: nginx says so on the last of `keepalive_requests` (1000).
const CLOSES = /\r\nconnection:[ \t]*close\r\n/i;

/**
 * Runs one socket until `deadline`, or until the server closes it after an answer that said
 * it would; resolves true in that case, for the caller to connect again, as clients do.
 */
function runSocket(target: Target, request: Buffer, deadline: bigint, tally: Tally) {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(target.port, '127.0.0.1');
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let sentAt = 0n;
    let closedByAnswer = false;
    const send = () => {
      sentAt = process.hrtime.bigint();
      if (sentAt >= deadline || closedByAnswer) socket.end();
      else socket.write(request);
    };

    socket.once('connect', send);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const end = pending.indexOf(HEADERS_END);
      if (end === -1) return;

      tally.latenciesMs.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
      if (pending.toString('latin1', STATUS_AT, STATUS_AT + 3) !== '200') tally.failed += 1;
      closedByAnswer = CLOSES.test(pending.toString('latin1', 0, end + 2));
      pending = pending.subarray(end + HEADERS_END.length);
      send();
    });
    // A connection that closes otherwise before the deadline (refused, reset, closed by the
    // server unannounced) counts once, whether or not an 'error' came first.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      const early = process.hrtime.bigint() < deadline;
      if (early && !closedByAnswer) tally.socketErrors += 1;
      resolve(early && closedByAnswer);
    });
  });
}

/** Runs one connection until `deadline`, connecting again whenever the server ends one. */
async function runConnection(target: Target, request: Buffer, deadline: bigint, tally: Tally) {
  let again = true;
  while (again) again = await runSocket(target, request, deadline, tally);
}

export async function runHeadClient(target: Target, load: LoadRun): Promise<LoadResult> {
  const request = requestBytes(target, load);
  const tally: Tally = { latenciesMs: [], failed: 0, socketErrors: 0 };
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(load.seconds) * 1_000_000_000n;

  const connections = Array.from({ length: load.connections }, () =>
    runConnection(target, request, deadline, tally),
  );
  await Promise.all(connections);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const sorted = tally.latenciesMs.sort((a, b) => a - b);
  return {
    requestsPerSecond: sorted.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    failedResponses: tally.failed,
    socketErrors: tally.socketErrors,
  };
}
