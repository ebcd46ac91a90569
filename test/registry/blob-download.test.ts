import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import { bodyLength, parseResponseHead } from '../../src/registry/blob-download';
import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { sha256 } from '../harness/registry-client';

/**
 * Blob downloads go to the registry over crgate's own connections (blob-download.ts), not
 * Node's HTTP client. The registry here is a raw TCP server, so that each test decides the
 * bytes of the answer, where it breaks off and when a connection closes; one test at the end
 * downloads from the real registry.
 */

const DIGEST = `sha256:${'cd'.repeat(32)}`;
const BLOB = `/v2/octocat/download/blobs/${DIGEST}`;

type Answer = (socket: net.Socket, head: string, onConnection: number) => void;

interface RawRegistry {
  readonly url: string;
  /** Every request head crgate sent, in order. */
  readonly heads: string[];
  /** Connections crgate opened, in order. */
  readonly sockets: net.Socket[];
  answer: Answer;
  close(): Promise<void>;
}

/** Calls `answer` for each request head that arrives, with its number on its connection. */
function serve(registry: RawRegistry, socket: net.Socket): void {
  let pending = '';
  let count = 0;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
      const head = pending.slice(0, end);
      pending = pending.slice(end + 4);
      registry.heads.push(head);
      count += 1;
      registry.answer(socket, head, count);
    }
  });
}

async function startRawRegistry(): Promise<RawRegistry> {
  const server = net.createServer((socket) => {
    registry.sockets.push(socket);
    serve(registry, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const registry: RawRegistry = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads: [],
    sockets: [],
    answer: () => undefined,
    close: () => {
      for (const socket of registry.sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return registry;
}

/** An answer framed by Content-Length, kept alive, as registry:2 answers HTTP/1.0. */
function lengthAnswer(body: Buffer, extra = ''): string {
  return (
    'HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n' +
    `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n${extra}\r\n`
  );
}

interface Downloaded {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: Buffer;
  /** Whether the whole body arrived, as its framing promised. */
  readonly complete: boolean;
}

/** A GET through crgate as octocat with Node's client, which shows raw header names too. */
function download(
  gw: TestGateway,
  path = BLOB,
  headers: http.OutgoingHttpHeaders = {},
  onResponse?: (res: http.IncomingMessage) => void,
): Promise<Downloaded> {
  const credentials = Buffer.from(`octocat:${gw.ownerToken}`).toString('base64');
  const agent = new http.Agent({ keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port: gw.port,
        path,
        agent,
        headers: { Host: gw.registryHost, Authorization: `Basic ${credentials}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
            complete: res.complete,
          });
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', done);
        res.on('error', done);
        res.on('close', done);
        onResponse?.(res);
      },
    );
    req.on('error', reject);
  });
}

function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error('condition not met in time'));
      setTimeout(poll, 10);
    };
    poll();
  });
}

describe('the answer head of a blob download', () => {
  it('keeps each header name as the registry spelled it, and joins repeated ones', () => {
    const head = parseResponseHead(
      'HTTP/1.0 200 OK\r\nDocker-Content-Digest: sha256:1\r\nVary: a\r\nvary: b\r\n' +
        'Set-Cookie: x=1\r\nSet-Cookie: y=2\r\nX-Padded:   v  ',
    );

    expect(head.status).toBe(200);
    expect(head.reason).toBe('OK');
    expect(head.headers['docker-content-digest']).toBe('sha256:1');
    expect(head.headers.vary).toBe('a, b');
    expect(head.headers['set-cookie']).toEqual(['x=1', 'y=2']);
    expect(head.headers['x-padded']).toBe('v');
    expect(head.names.get('docker-content-digest')).toBe('Docker-Content-Digest');
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'ICY 200 OK'],
    ['a folded header line', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n continued'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseResponseHead(text)).toThrow(expect.objectContaining({ code: 'EPROTO' }));
  });

  it('frames the body by Content-Length, by the close without one, and not at all for 204 and 304', () => {
    const length = (text: string) => bodyLength(parseResponseHead(text));

    expect(length('HTTP/1.0 200 OK\r\nContent-Length: 12')).toBe(12);
    expect(length('HTTP/1.0 200 OK')).toBe(Infinity);
    expect(length('HTTP/1.0 204 No Content')).toBe(0);
    expect(length('HTTP/1.0 304 Not Modified\r\nContent-Length: 12')).toBe(0);
  });

  it.each([
    ['chunked framing, which HTTP/1.0 does not allow', 'Transfer-Encoding: chunked'],
    ['two Content-Lengths', 'Content-Length: 1\r\nContent-Length: 2'],
    ['a negative Content-Length', 'Content-Length: -1'],
  ])('refuses %s', (_what, field) => {
    expect(() => bodyLength(parseResponseHead(`HTTP/1.0 200 OK\r\n${field}`))).toThrow(
      expect.objectContaining({ code: 'EPROTO' }),
    );
  });
});

describe('a blob download from a registry crgate talks to itself', () => {
  let registry: RawRegistry;
  let gw: TestGateway;

  beforeAll(async () => {
    registry = await startRawRegistry();
    gw = await startGateway({
      CRGATE_REGISTRY_URL: registry.url,
      CRGATE_REGISTRY_TIMEOUT_MS: '500',
    });
  });
  afterAll(async () => {
    await gw.close();
    await registry.close();
  });
  beforeEach(() => {
    for (const socket of registry.sockets.splice(0)) socket.destroy();
    registry.heads.length = 0;
  });

  it('asks over HTTP/1.0 with keep-alive, with crgate’s forwarding headers in place of the client’s', async () => {
    registry.answer = (socket) => socket.write(lengthAnswer(Buffer.from('x')) + 'x');

    await download(gw, BLOB, {
      'X-Forwarded-Host': 'evil.example',
      Connection: 'keep-alive, X-Hop',
      'X-Hop': 'dropped',
      Range: 'bytes=0-0',
    });
    const lines = registry.heads[0]?.split('\r\n') ?? [];

    expect(lines[0]).toBe(`GET ${BLOB} HTTP/1.0`);
    expect(lines).toContain('Connection: keep-alive');
    expect(lines).toContain(`X-Forwarded-Host: ${gw.registryHost}`);
    expect(lines).toContain('X-Forwarded-Proto: http');
    expect(lines).toContain('range: bytes=0-0');
    expect(lines.join('\n')).not.toMatch(/evil\.example|x-hop|connection: keep-alive, /i);
  });

  it('streams a body framed by Content-Length, in the registry’s header case, over one kept connection', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 5);
    registry.answer = (socket) => {
      socket.write(
        lengthAnswer(body, 'X-Registry-Case: kept\r\nAccess-Control-Allow-Origin: *\r\n'),
      );
      for (let at = 0; at < body.length; at += 100_000)
        socket.write(body.subarray(at, at + 100_000));
    };

    const first = await download(gw);
    const second = await download(gw);

    expect(first.status).toBe(200);
    expect(sha256(first.body)).toBe(sha256(body));
    expect(sha256(second.body)).toBe(sha256(body));
    expect(first.rawHeaders).toContain('X-Registry-Case');
    expect(first.headers['access-control-allow-origin']).toBeUndefined();
    expect(first.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(registry.sockets).toHaveLength(1);
  });

  it('puts a Location on the registry’s own host on the public origin', async () => {
    registry.answer = (socket) =>
      socket.write(
        'HTTP/1.0 307 Temporary Redirect\r\nLocation: /v2/octocat/other/blobs/x\r\n' +
          'Content-Length: 0\r\nConnection: keep-alive\r\n\r\n',
      );

    const res = await download(gw);

    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(`http://${gw.registryHost}/v2/octocat/other/blobs/x`);
  });

  it('streams a body that ends when the registry closes the connection', async () => {
    const body = randomBytes(2 * 1024 * 1024);
    registry.answer = (socket) =>
      socket.end(Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\n\r\n'), body]));

    const res = await download(gw);

    expect(res.status).toBe(200);
    expect(res.complete).toBe(true);
    expect(sha256(res.body)).toBe(sha256(body));
  });

  it('sends the GET again, once, on a new connection when a kept one was closed', async () => {
    const body = Buffer.from('after a reconnect');
    registry.answer = (socket, _head, onConnection) => {
      // The second request on a connection finds it closed, as by an idle timeout.
      if (onConnection > 1) return socket.destroy();
      socket.write(lengthAnswer(body) + body.toString());
    };

    await download(gw);
    const res = await download(gw);

    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('after a reconnect');
    expect(registry.sockets).toHaveLength(2);
  });

  it('cuts the client’s answer when the registry breaks off mid-body, and logs why', async () => {
    const announced = 1_000_000;
    registry.answer = (socket) => {
      socket.write(lengthAnswer(Buffer.alloc(announced)) + 'x'.repeat(100_000));
      setTimeout(() => socket.destroy(), 50);
    };
    const logged = gw.logs.length;

    const res = await download(gw);

    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    // Fewer bytes than the Content-Length announced: the client can tell the body was cut.
    expect(res.body.length).toBeLessThan(announced);
    await until(() =>
      gw.logs.slice(logged).some((line) => line.message === 'registry unreachable'),
    );
  });

  it.each([
    ['something that is not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
    ['chunked framing', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('answers 503 UNAVAILABLE when the registry answers with %s', async (_what, answer) => {
    registry.answer = (socket) => socket.write(answer);

    const res = await download(gw);

    expect(res.status).toBe(503);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('answers 503 UNAVAILABLE when the registry stays silent past its time, and closes the connection', async () => {
    registry.answer = () => undefined;

    const res = await download(gw);

    expect(res.status).toBe(503);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('UNAVAILABLE');
    await until(() => registry.sockets.every((socket) => socket.closed));
  });

  it('holds the registry back while the client reads slowly, and loses no byte', async () => {
    const body = randomBytes(64 * 1024 * 1024);
    let sent = 0;
    registry.answer = (socket) => {
      socket.write(lengthAnswer(body));
      const more = () => {
        for (let ok = true; ok && sent < body.length; sent += 1024 * 1024) {
          ok = socket.write(body.subarray(sent, sent + 1024 * 1024));
        }
      };
      socket.on('drain', more);
      more();
    };
    const sentWhilePaused: number[] = [];

    // Pauses of 300 ms with reading between: together past the registry's time limit (500 ms).
    const res = await download(gw, BLOB, {}, (response) => {
      const pause = () => {
        response.pause();
        setTimeout(() => {
          sentWhilePaused.push(sent);
          response.resume();
          if (sentWhilePaused.length < 3) setTimeout(pause, 50);
        }, 300);
      };
      pause();
    });

    // Bytes, not time: the registry could send the 64 MiB at once unless held back. Kernel
    // socket buffers on both sides take some megabytes, and crgate holds a few more.
    const mostBufferedBytes = 24 * 1024 * 1024;
    expect(sentWhilePaused).toHaveLength(3);
    expect(sentWhilePaused[0]).toBeLessThan(mostBufferedBytes);
    expect(res.complete).toBe(true);
    expect(sha256(res.body)).toBe(sha256(body));
  });

  it('lets go of a client that stops reading for the registry’s time limit', async () => {
    registry.answer = (socket) => {
      socket.write(lengthAnswer(Buffer.alloc(128 * 1024 * 1024)));
      socket.end(Buffer.alloc(128 * 1024 * 1024));
    };
    const logged = gw.logs.length;
    const cut = () =>
      gw.logs.slice(logged).some((line) => line.message === 'request' && !line.completed);

    // A paused client sees the close only once it reads again.
    const res = await download(gw, BLOB, {}, (response) => {
      response.pause();
      until(cut).then(
        () => response.resume(),
        () => response.resume(),
      );
    });

    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(cut()).toBe(true);
    // The client stopped, not the registry.
    expect(gw.logs.slice(logged).map((line) => line.message)).not.toContain('registry unreachable');
  });

  it('closes the registry connection when the client goes away mid-body', async () => {
    let registrySocket: net.Socket | undefined;
    registry.answer = (socket) => {
      registrySocket = socket;
      socket.write(lengthAnswer(Buffer.alloc(256 * 1024 * 1024)));
      const more = () => {
        while (!socket.destroyed && socket.write(Buffer.alloc(1024 * 1024)));
      };
      socket.on('drain', more);
      more();
    };

    await download(gw, BLOB, {}, (response) => response.once('data', () => response.destroy()));

    await until(() => registrySocket?.closed === true);
  });

  it('answers no request with 500', () => {
    expect(gw.logs.filter((line) => line.status === 500)).toEqual([]);
  });
});

describe('a blob download from the real registry', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('serves a blob of several read buffers and a range of it, byte for byte', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const digest = await gw.client.pushBlob('octocat/download-real', data);
    const path = `/v2/octocat/download-real/blobs/${digest}`;

    const whole = await download(gw, path);
    const part = await download(gw, path, { Range: 'bytes=1048570-1048589' });

    expect(whole.status).toBe(200);
    expect(whole.headers['docker-content-digest']).toBe(digest);
    expect(sha256(whole.body)).toBe(digest);
    expect(part.status).toBe(206);
    expect(part.body.equals(data.subarray(1048570, 1048590))).toBe(true);
  });

  it('passes on the registry’s BLOB_UNKNOWN', async () => {
    const res = await download(gw, `/v2/octocat/download-real/blobs/${DIGEST}`);

    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe('BLOB_UNKNOWN');
  });
});
