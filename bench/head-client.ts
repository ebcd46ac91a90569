import net from 'node:net';

import type { Target } from './target';
import type { LoadResult, LoadRun } from './wrk';

/**
 * A closed-loop HEAD load generator: `connections` kept-alive sockets, each sending the next
 * request as soon as the previous answer's headers are in. wrk cannot do this: its parser
 * waits for the body that a HEAD answer's Content-Length announces (wg/wrk#198), so every
 * HEAD run of wrk 4.1 ends with zero requests.
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

/** Runs one connection until `deadline`; resolves when its last answer is in. */
function runConnection(target: Target, request: Buffer, deadline: bigint, tally: Tally) {
  return new Promise<void>((resolve) => {
    const socket = net.connect(target.port, '127.0.0.1');
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let sentAt = 0n;
    const send = () => {
      sentAt = process.hrtime.bigint();
      if (sentAt >= deadline) socket.end();
      else socket.write(request);
    };

    socket.once('connect', send);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const end = pending.indexOf(HEADERS_END);
      if (end === -1) return;

      tally.latenciesMs.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
      if (pending.toString('latin1', STATUS_AT, STATUS_AT + 3) !== '200') tally.failed += 1;
      pending = pending.subarray(end + HEADERS_END.length);
      send();
    });
    // A connection that closes before the deadline (refused, reset, closed by the server)
    // counts once, whether or not an 'error' came first.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (sentAt < deadline) tally.socketErrors += 1;
      resolve();
    });
  });
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
