import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';

import { startGateway, TEST_DIRECTORY, writeDirectory } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { freePort, waitForPort } from '../harness/ports';
import { OCI_MANIFEST, RegistryClient, sha256 } from '../harness/registry-client';
import { startRestartableRedis, startRestartableRegistry } from '../harness/restartable';
import type { RestartableService } from '../harness/restartable';
import { startRedis, startRegistry } from '../harness/services';
import type { Service } from '../harness/services';
import {
  blobDigests,
  codes,
  openRequest,
  pullImage,
  pushChunked,
  pushImage,
  raw,
  until,
} from './protocol';
import type { Answer, PushedImage } from './protocol';

/**
 * A bounded fault suite on loopback (issue 6, "Limits and hardening"): the registry killed
 * mid-push, Redis restarted mid-run, SIGTERM during a push, a client dropped mid-upload. Each
 * ends with every completed push pullable with the same digest and nothing else visible.
 * Everything is real: a registry and a Redis of this file's own, crgate in process, and
 * `crgate serve` as a child process where a real SIGTERM is the fault.
 */
jest.setTimeout(60_000);

const suffix = Date.now().toString(36);
const CLI = path.resolve(__dirname, '..', '..', 'src', 'cli.ts');

// The registry and Redis of the cases that do not restart either; a case that does starts one
// of its own and leaves these alone.
let registry: Service;
let redis: Service;

beforeAll(async () => {
  [registry, redis] = await Promise.all([startRegistry(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([registry?.stop(), redis?.stop()]);
});

function signedIn(gw: TestGateway) {
  return { port: gw.port, host: gw.registryHost, username: 'octocat', password: gw.ownerToken };
}

function sessionId(location: string): string {
  return location.split('?')[0]?.split('/').pop() ?? '';
}

/** Opens an upload session and sends its first chunk; resolves with crgate's path of it. */
async function openWithChunk(client: RegistryClient, repository: string, chunk: Buffer) {
  const started = await client.post(`/v2/${repository}/blobs/uploads/`).expect(202);
  const location = client.localPath(started.headers.location as string);
  await client
    .patch(location)
    .set('Content-Type', 'application/octet-stream')
    .set('Content-Range', `0-${chunk.length - 1}`)
    .send(chunk)
    .expect(202);
  return location;
}

/**
 * How many bytes of an upload session the registry has written so far. Only a way to wait
 * until a chunk is really half-sent (the filesystem driver's layout); never asserted on.
 */
function bytesAtRegistry(dataRoot: string, repository: string, location: string): number {
  const file = path.join(
    dataRoot,
    'docker/registry/v2/repositories',
    repository,
    '_uploads',
    sessionId(location),
    'data',
  );
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The requests crgate answered with 500 UNKNOWN, and the unexpected errors it logged. */
function internalErrors(gw: TestGateway): Record<string, unknown>[] {
  return gw.logs.filter(
    (line) =>
      line.message === 'unexpected error' || (line.message === 'request' && line.status === 500),
  );
}

/** What a DELETE of a session told its client: that it is over (204 or 404), or what else. */
function outcomeOfCancel(res: { status: number; body: unknown }): string {
  if (res.status === 204 || res.status === 404) return 'cancelled or gone';
  return `${res.status} ${JSON.stringify(res.body)}`;
}

async function uploadsInFlight(gw: TestGateway): Promise<number> {
  const { values } = await gw.gateway.metrics.uploadsInFlight.get();
  return values[0]?.value ?? 0;
}

/**
 * Streams `piece` as the next chunk of a session whose first `sent` bytes the registry holds,
 * leaving the request open so that the chunk never completes by itself, and resolves once the
 * registry has written part of it: the moment of the fault.
 */
async function halfSendChunk(
  gw: TestGateway,
  dataRoot: string,
  repository: string,
  location: string,
  piece: Buffer,
  sent: number,
) {
  const chunk = openRequest(signedIn(gw), 'PATCH', location);
  chunk.req.write(piece);
  await until('the registry holds part of the chunk', () => {
    return bytesAtRegistry(dataRoot, repository, location) > sent;
  });
  return chunk;
}

describe('the registry killed (SIGKILL) mid-push', () => {
  const repository = `octocat/faults-registry-${suffix}`;
  const layer = randomBytes(600_000);
  const idleData = randomBytes(250_000);
  let killable: RestartableService;
  let gw: TestGateway;
  let before: PushedImage;
  let idle: string;
  let cutLocation: string;
  let cut: Answer;
  let pullWhileDown: Answer;

  beforeAll(async () => {
    killable = await startRestartableRegistry();
    gw = await startGateway({ CRGATE_REGISTRY_URL: killable.url, CRGATE_REDIS_URL: redis.url });
    const dataRoot = path.join(killable.dir, 'data');
    before = await pushImage(gw.client, repository, 'before', randomBytes(50_000));
    idle = await openWithChunk(gw.client, repository, idleData.subarray(0, 100_000));
    cutLocation = await openWithChunk(gw.client, repository, layer.subarray(0, 200_000));
    const chunk = await halfSendChunk(
      gw,
      dataRoot,
      repository,
      cutLocation,
      layer.subarray(200_000, 400_000),
      200_000,
    );

    await killable.halt('SIGKILL');
    cut = await chunk.answer;
    chunk.req.destroy();
    const down = await gw.client
      .get(`/v2/${repository}/manifests/before`)
      .set('Accept', OCI_MANIFEST);
    pullWhileDown = { status: down.status, headers: down.headers, body: down.body };
    await killable.restart();
  });
  afterAll(async () => {
    await gw?.close();
    await killable?.remove();
  });

  it('answers the chunk it was streaming with 503 UNAVAILABLE and a Retry-After', () => {
    expect(cut.status).toBe(503);
    expect(codes(cut)).toEqual(['UNAVAILABLE']);
    expect(cut.headers['retry-after']).toBe('5');
  });

  it('answers a pull while the registry is down with 503 UNAVAILABLE and a Retry-After', () => {
    expect(pullWhileDown.status).toBe(503);
    expect(codes(pullWhileDown)).toEqual(['UNAVAILABLE']);
    expect(pullWhileDown.headers['retry-after']).toBe('5');
  });

  it('serves a push completed before the kill, byte for byte, once the registry is back', async () => {
    const pulled = await pullImage(gw.client, repository, 'before');

    expect([pulled.announced, pulled.digest]).toEqual([before.digest, before.digest]);
    expect(pulled.manifest.equals(before.manifest)).toBe(true);
    expect(blobDigests(pulled.blobs)).toEqual(blobDigests(before.blobs));
  });

  it('shows nothing of the half-sent blob, and takes the same blob again with the same digest', async () => {
    const absent = await gw.client.head(`/v2/${repository}/blobs/${sha256(layer)}`);

    const pushed = await pushChunked(gw.client, repository, layer, 3);
    const pulled = await raw(gw.client.get(`/v2/${repository}/blobs/${sha256(layer)}`)).expect(200);

    expect(absent.status).toBe(404);
    expect(pushed.headers['docker-content-digest']).toBe(sha256(layer));
    expect(sha256(pulled.body as Buffer)).toBe(sha256(layer));
  });

  it('continues a session that had no request in flight at the kill, to the same digest', async () => {
    const next = await gw.client
      .patch(idle)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', `100000-${idleData.length - 1}`)
      .send(idleData.subarray(100_000));
    const done = await gw.client.put(gw.client.pathWith(idle, { digest: sha256(idleData) }));
    const pulled = await raw(gw.client.get(`/v2/${repository}/blobs/${sha256(idleData)}`));

    expect([next.status, next.headers.range]).toEqual([202, `0-${idleData.length - 1}`]);
    expect([done.status, done.headers['docker-content-digest']]).toEqual([201, sha256(idleData)]);
    expect(sha256(pulled.body as Buffer)).toBe(sha256(idleData));
  });

  // The registry gave no answer to the cut chunk, and it refuses to resume an upload whose
  // bytes disagree with its _state (registry 2.8 answers 404 BLOB_UPLOAD_INVALID and cancels):
  // the session is over, and GET on it should say so rather than offer a Range to resume from.
  it('does not offer the session of the cut chunk for resumption', async () => {
    const status = await gw.client.get(cutLocation);

    expect({ status: status.status, range: status.headers.range }).toEqual({
      status: 404,
      range: undefined,
    });
    expect(['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID']).toContain(codes(status)[0]);
  });

  it('answers no request with 500 and logs no unexpected error', () => {
    expect(internalErrors(gw)).toEqual([]);
  });
});

describe('Redis restarted mid-run', () => {
  const repository = `octocat/faults-redis-${suffix}`;
  const data = randomBytes(300_000);
  let restartable: RestartableService;
  let gw: TestGateway;
  let before: PushedImage;
  let kept: string;
  let streamed: string;
  let inFlight: Answer;
  let whileAway: Record<string, Answer>;

  /** Everything a user might send while Redis is away, at once: each needs Redis. */
  async function requestsWhileAway(): Promise<Record<string, Answer>> {
    const anonymous = gw.client.as(undefined);
    const manifest = `/v2/${repository}/manifests/before`;
    const sent = {
      anonymousPull: anonymous.get(manifest).set('Accept', OCI_MANIFEST),
      ownerPull: gw.client.get(manifest).set('Accept', OCI_MANIFEST),
      upload: gw.client.post(`/v2/${repository}/blobs/uploads/`),
      chunk: gw.client
        .patch(kept)
        .set('Content-Type', 'application/octet-stream')
        .send(data.subarray(100_000)),
    };
    const names = Object.keys(sent);
    const answers = await Promise.all(Object.values(sent));
    return Object.fromEntries(
      answers.map((res, i) => [
        names[i],
        { status: res.status, headers: res.headers, body: res.body },
      ]),
    );
  }

  beforeAll(async () => {
    restartable = await startRestartableRedis();
    gw = await startGateway({
      CRGATE_REGISTRY_URL: registry.url,
      CRGATE_REDIS_URL: restartable.url,
    });
    before = await pushImage(gw.client, repository, 'before', randomBytes(50_000));
    kept = await openWithChunk(gw.client, repository, data.subarray(0, 100_000));
    streamed = await openWithChunk(gw.client, repository, data.subarray(0, 100_000));
    const chunk = await halfSendChunk(
      gw,
      path.join(registry.dir, 'data'),
      repository,
      streamed,
      data.subarray(100_000, 150_000),
      100_000,
    );

    await restartable.halt('SIGTERM');
    chunk.req.end(data.subarray(150_000, 200_000));
    inFlight = await chunk.answer;
    whileAway = await requestsWhileAway();
    await restartable.restart();
    // ioredis reconnects on its own, after a back-off of up to 2 s; crgate is not restarted.
    await until('crgate serves a signed-in client again', async () => {
      return (await gw.client.get('/v2/')).status === 200;
    });
  });
  afterAll(async () => {
    await gw?.close();
    await restartable?.remove();
  });

  it('refuses every request with 503 UNAVAILABLE and a Retry-After while Redis is away, an anonymous pull of a private package included', () => {
    const seen = Object.fromEntries(
      Object.entries(whileAway).map(([name, answer]) => [
        name,
        [answer.status, codes(answer)[0], answer.headers['retry-after']],
      ]),
    );

    expect(seen).toEqual({
      anonymousPull: [503, 'UNAVAILABLE', '5'],
      ownerPull: [503, 'UNAVAILABLE', '5'],
      upload: [503, 'UNAVAILABLE', '5'],
      chunk: [503, 'UNAVAILABLE', '5'],
    });
  });

  it('keeps, after the restart, the token, the private package and the image pushed before', async () => {
    const anonymous = await gw.client
      .as(undefined)
      .get(`/v2/${repository}/manifests/before`)
      .set('Accept', OCI_MANIFEST);
    const pulled = await pullImage(gw.client, repository, 'before');

    expect(anonymous.status).toBe(401);
    expect([pulled.announced, pulled.digest]).toEqual([before.digest, before.digest]);
    expect(blobDigests(pulled.blobs)).toEqual(blobDigests(before.blobs));
  });

  it('pushes and pulls a new image after the restart with the same digest', async () => {
    const pushed = await pushImage(gw.client, repository, 'after', randomBytes(80_000));

    const pulled = await pullImage(gw.client, repository, 'after');

    expect([pulled.announced, pulled.digest]).toEqual([pushed.digest, pushed.digest]);
    expect(blobDigests(pulled.blobs)).toEqual(blobDigests(pushed.blobs));
  });

  it('continues an upload session opened before the outage, to the same digest', async () => {
    const next = await gw.client
      .patch(kept)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', `100000-${data.length - 1}`)
      .send(data.subarray(100_000));
    const done = await gw.client.put(gw.client.pathWith(kept, { digest: sha256(data) }));

    expect([next.status, next.headers.range]).toEqual([202, `0-${data.length - 1}`]);
    expect([done.status, done.headers['docker-content-digest']]).toEqual([201, sha256(data)]);
  });

  // The chunk streaming when Redis went away reached the registry, which answered 202; the
  // client may be told so only if crgate's session record says so too, else it must hear 503.
  it('never acknowledges a chunk whose progress it could not record', async () => {
    const status = await gw.client.get(streamed);

    const outcome =
      inFlight.status === 202
        ? { acknowledged: inFlight.headers.range, recorded: status.headers.range }
        : { refused: codes(inFlight) };
    expect([
      { acknowledged: '0-199999', recorded: '0-199999' },
      { refused: ['UNAVAILABLE'] },
    ]).toContainEqual(outcome);
  });

  // The request that streamed across the outage ended while Redis was away. Whatever became of
  // its session, its client must be able to cancel it once Redis is back, not be told for the
  // whole upload time limit (10 minutes) that another request is still in progress.
  it('lets the client cancel the session of that chunk once Redis is back', async () => {
    const cancelled = await gw.client.delete(streamed);

    expect(outcomeOfCancel(cancelled)).toBe('cancelled or gone');
  });

  it('answers no request with 500 and logs no unexpected error', () => {
    expect(internalErrors(gw)).toEqual([]);
  });
});

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  readonly metricsPort: number;
  readonly client: RegistryClient;
  readonly exited: Promise<number | null>;
  output(): string;
}

describe('SIGTERM to `crgate serve` during a push', () => {
  const children: ChildProcess[] = [];
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ CRGATE_REGISTRY_URL: registry.url, CRGATE_REDIS_URL: redis.url });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await gw?.close();
  });

  /**
   * `crgate serve` as an operator runs it, on the same registry and Redis as `gw` (so that
   * octocat's token works on both), with the given drain time.
   */
  async function serve(drainTimeoutMs: number): Promise<Served> {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const args = ['-r', 'ts-node/register/transpile-only', CLI, 'serve'];
    const child = spawn(process.execPath, args, {
      env: {
        PATH: process.env.PATH,
        CRGATE_HOSTNAME: 'localhost',
        CRGATE_LISTEN: `127.0.0.1:${port}`,
        CRGATE_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
        CRGATE_PUBLIC_URL_SCHEME: 'http',
        CRGATE_REGISTRY_URL: registry.url,
        CRGATE_REDIS_URL: redis.url,
        CRGATE_DIRECTORY: writeDirectory(TEST_DIRECTORY),
        CRGATE_DRAIN_TIMEOUT_MS: String(drainTimeoutMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitForPort(port);
    const credentials = { username: 'octocat', password: gw.ownerToken };
    const client = new RegistryClient(port, `containers.localhost:${port}`, credentials);
    return { child, port, metricsPort, client, exited, output: () => output };
  }

  async function metric(served: Served, name: string): Promise<number | undefined> {
    const response = await fetch(`http://127.0.0.1:${served.metricsPort}/metrics`);
    const text = await response.text();
    const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  }

  /** Starts a monolithic blob PUT through `served` and sends its first kilobyte. */
  async function startUpload(served: Served, repository: string, data: Buffer) {
    const started = await served.client.post(`/v2/${repository}/blobs/uploads/`).expect(202);
    const location = served.client.localPath(started.headers.location as string);
    const target = { ...signedIn(gw), port: served.port, host: served.client.host };
    const upload = openRequest(
      target,
      'PUT',
      served.client.pathWith(location, { digest: sha256(data) }),
      { 'Content-Length': data.length },
    );
    upload.req.write(data.subarray(0, 1000));
    await until('crgate serve counts the upload in flight', async () => {
      return (await metric(served, 'crgate_uploads_in_flight')) === 1;
    });
    return { ...upload, location };
  }

  function stoppedLine(served: Served): Record<string, unknown> | undefined {
    const lines = served
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    return lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.message === 'crgate stopped');
  }

  it('lets an upload in flight finish within the drain time, then exits 0; the blob is pullable through another crgate', async () => {
    const repository = `octocat/faults-drained-${suffix}`;
    const data = randomBytes(300_000);
    const served = await serve(20_000);
    const upload = await startUpload(served, repository, data);

    served.child.kill('SIGTERM');
    await until('crgate serve reports that it is draining', async () => {
      const ready = await fetch(`http://127.0.0.1:${served.metricsPort}/readyz`);
      return ready.status === 503;
    });
    upload.req.end(data.subarray(1000));
    const answer = await upload.answer;
    const code = await served.exited;
    const pulled = await raw(gw.client.get(`/v2/${repository}/blobs/${sha256(data)}`));

    expect([answer.status, answer.headers['docker-content-digest']]).toEqual([201, sha256(data)]);
    expect(code).toBe(0);
    expect(stoppedLine(served)).toEqual(expect.objectContaining({ drained: true }));
    expect(pulled.status).toBe(200);
    expect(sha256(pulled.body as Buffer)).toBe(sha256(data));
  });

  describe('with a drain time shorter than the upload', () => {
    const repository = `octocat/faults-cut-${suffix}`;
    const layer = randomBytes(300_000);
    let served: Served;
    let cutLocation: string;
    let cut: unknown;
    let code: number | null;

    beforeAll(async () => {
      served = await serve(300);
      const upload = await startUpload(served, repository, layer);
      cutLocation = upload.location;

      served.child.kill('SIGTERM');
      cut = await upload.answer.then(
        (answer) => answer,
        (error: unknown) => error,
      );
      code = await served.exited;
    });

    it('ends the upload without an answer, and exits 0', () => {
      // An error, not an Answer: the connection closed with no status line.
      expect(cut).not.toHaveProperty('status');
      expect(String(cut)).toMatch(/socket hang up|ECONNRESET/);
      expect(code).toBe(0);
      expect(stoppedLine(served)).toEqual(expect.objectContaining({ drained: false }));
    });

    it('shows nothing of the cut upload; the whole push again through another crgate succeeds with the same digest', async () => {
      const absent = await gw.client.head(`/v2/${repository}/blobs/${sha256(layer)}`);

      const pushed = await pushImage(gw.client, repository, '1', layer);
      const pulled = await pullImage(gw.client, repository, '1');

      expect(absent.status).toBe(404);
      expect([pulled.announced, pulled.digest]).toEqual([pushed.digest, pushed.digest]);
      expect(blobDigests(pulled.blobs)).toEqual(blobDigests(pushed.blobs));
      expect(pulled.blobs.has(sha256(layer))).toBe(true);
    });

    // crgate marks a session busy while a request of it streams, and frees it when the request
    // ends; the cut request ended as the process stopped, and the next crgate should not find
    // the session busy for the whole upload time limit (10 minutes).
    it('leaves the cut session for another crgate to cancel, not busy', async () => {
      const cancelled = await gw.client.delete(cutLocation);

      expect(outcomeOfCancel(cancelled)).toBe('cancelled or gone');
    });
  });
});

describe('a client dropped mid-upload', () => {
  const repository = `octocat/faults-dropped-${suffix}`;
  const data = randomBytes(400_000);
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ CRGATE_REGISTRY_URL: registry.url, CRGATE_REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await gw?.close();
  });

  /**
   * A session whose first 100,000 bytes went through, then a client that destroys its socket
   * while the registry is writing the second chunk; resolves once crgate has seen it go.
   */
  async function dropMidChunk(): Promise<string> {
    const location = await openWithChunk(gw.client, repository, data.subarray(0, 100_000));
    const dataRoot = path.join(registry.dir, 'data');
    const piece = data.subarray(100_000, 200_000);
    const chunk = await halfSendChunk(gw, dataRoot, repository, location, piece, 100_000);

    chunk.req.destroy();
    await expect(chunk.answer).rejects.toThrow();
    await until('crgate sees the client go', async () => (await uploadsInFlight(gw)) === 0);
    return location;
  }

  it('shows no blob for the dropped upload', async () => {
    await dropMidChunk();

    const absent = await gw.client.head(`/v2/${repository}/blobs/${sha256(data)}`);

    expect(absent.status).toBe(404);
  });

  // Registry 2.8, asked directly about such a session, answers 404 BLOB_UPLOAD_INVALID (the
  // bytes it holds disagree with the _state, so it cancels the upload); crgate answers from its
  // own record, which still says 204 with the Range of the last acknowledged chunk.
  it('answers GET on the dropped session with 404, as the registry itself would', async () => {
    const location = await dropMidChunk();

    const status = await gw.client.get(location);

    expect({ status: status.status, range: status.headers.range }).toEqual({
      status: 404,
      range: undefined,
    });
    expect(['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID']).toContain(codes(status)[0]);
  });

  it('refuses to go on with the dropped session with 404, and forgets it', async () => {
    const location = await dropMidChunk();

    const next = await gw.client
      .patch(location)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', '100000-199999')
      .send(data.subarray(100_000, 200_000));
    const after = await gw.client.get(location);

    expect(next.status).toBe(404);
    expect(['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID']).toContain(codes(next)[0]);
    expect([after.status, codes(after)]).toEqual([404, ['BLOB_UPLOAD_UNKNOWN']]);
  });

  it('lets the client cancel the dropped session, after which it is gone', async () => {
    const location = await dropMidChunk();

    const cancelled = await gw.client.delete(location);
    const after = await gw.client.get(location);

    expect([204, 404]).toContain(cancelled.status);
    expect([after.status, codes(after)]).toEqual([404, ['BLOB_UPLOAD_UNKNOWN']]);
  });

  it('takes a fresh upload of the same content with the same digest', async () => {
    await dropMidChunk();

    const pushed = await pushChunked(gw.client, repository, data, 4);
    const pulled = await raw(gw.client.get(`/v2/${repository}/blobs/${sha256(data)}`)).expect(200);

    expect(pushed.headers['docker-content-digest']).toBe(sha256(data));
    expect(sha256(pulled.body as Buffer)).toBe(sha256(data));
  });

  it('answers no request with 500 and logs no unexpected error', () => {
    expect(internalErrors(gw)).toEqual([]);
  });
});
