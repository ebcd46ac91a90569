import { randomBytes } from 'node:crypto';
import http from 'node:http';

import Redis from 'ioredis';

import { requireEnv, startGateway, TEST_DIRECTORY, writeDirectory } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { sha256 } from '../harness/registry-client';

/**
 * Blob uploads through the sessions crgate holds: its own upload URLs, the protocol where
 * registry 2.8 is lax (416 for a chunk out of place, GET for the progress), sessions bound to
 * their owner, and the layer size, upload time and open-upload limits. Each limit is proven
 * where a user sees it: the status and code, the registry holding no blob, the session gone.
 */

const LAYER_LIMIT = 1024 * 1024;
const suffix = Date.now().toString(36);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  errors: { code: string; message: string; detail?: unknown }[];
}

let gw: TestGateway;
let redis: Redis;

beforeAll(async () => {
  gw = await startGateway({ CRGATE_MAX_LAYER_BYTES: String(LAYER_LIMIT) });
  redis = new Redis(requireEnv('TEST_REDIS_URL'));
});
afterAll(async () => {
  redis.disconnect();
  await gw?.close();
});

function sessionId(location: string): string {
  return location.split('/').pop() ?? '';
}

/** Opens an upload session in `repository`; resolves with crgate's path of it. */
async function openSession(repository: string, client = gw.client): Promise<string> {
  const res = await client.post(`/v2/${repository}/blobs/uploads/`).expect(202);
  return client.localPath(res.headers.location as string);
}

/** The registry's own URL of a session, which crgate keeps to itself. */
async function registryLocation(path: string): Promise<string> {
  return (await redis.hget(`crgate:rec:upload:{${sessionId(path)}}`, 'location')) ?? '';
}

async function registryHasBlob(repository: string, digest: string): Promise<boolean> {
  const url = `${requireEnv('TEST_REGISTRY_URL')}/v2/${repository}/blobs/${digest}`;
  return (await fetch(url, { method: 'HEAD' })).status === 200;
}

async function registryStatus(location: string): Promise<number> {
  return (await fetch(`${requireEnv('TEST_REGISTRY_URL')}${location}`)).status;
}

/**
 * Sends a request whose body the test writes itself: `chunks` one after another, without a
 * Content-Length (chunked encoding) unless `length` is given, leaving it open if `end` is false.
 */
function send(
  method: string,
  path: string,
  chunks: Buffer[],
  options: { length?: number; end?: boolean; headers?: Record<string, string> } = {},
  via: TestGateway = gw,
) {
  const credentials = Buffer.from(`octocat:${via.ownerToken}`).toString('base64');
  const req = http.request({
    port: via.port,
    host: '127.0.0.1',
    method,
    path,
    headers: {
      Host: via.registryHost,
      Authorization: `Basic ${credentials}`,
      'Content-Type': 'application/octet-stream',
      ...(options.length === undefined ? {} : { 'Content-Length': options.length }),
      ...options.headers,
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        const parsed = body ? (JSON.parse(body) as { errors?: Answer['errors'] }) : {};
        resolve({ status: res.statusCode ?? 0, headers: res.headers, errors: parsed.errors ?? [] });
      });
    });
    req.on('error', reject);
  });
  // A refused request is answered before its body is read: the rest may fail to send.
  req.on('error', () => undefined);
  for (const chunk of chunks) req.write(chunk);
  if (options.end !== false) req.end();
  return { req, answer };
}

describe('crgate-held upload sessions', () => {
  const repository = `octocat/sessions-${suffix}`;

  it('hands out its own upload URL, without the registry’s state, the same for every chunk', async () => {
    const data = randomBytes(300_000);
    const path = await openSession(repository);

    const first = await gw.client
      .patch(path)
      .set('Content-Type', 'application/octet-stream')
      .send(data.subarray(0, 100_000))
      .expect(202);
    const done = await gw.client
      .put(gw.client.pathWith(first.headers.location as string, { digest: sha256(data) }))
      .set('Content-Type', 'application/octet-stream')
      .send(data.subarray(100_000))
      .expect(201);

    expect(path).toMatch(new RegExp(`^/v2/${repository}/blobs/uploads/[0-9a-f-]{36}$`));
    expect(gw.client.localPath(first.headers.location as string)).toBe(path);
    expect(first.headers['docker-upload-uuid']).toBe(sessionId(path));
    expect(first.headers.range).toBe('0-99999');
    expect(done.headers['docker-content-digest']).toBe(sha256(data));
    const blob = await gw.client.get(`/v2/${repository}/blobs/${sha256(data)}`).expect(200);
    expect(Buffer.compare(blob.body as Buffer, data)).toBe(0);
  });

  it('answers GET on a session with 204, its progress in Range, and its Location', async () => {
    const path = await openSession(repository);
    const empty = await gw.client.get(path).expect(204);
    await gw.client
      .patch(path)
      .set('Content-Type', 'application/octet-stream')
      .send(randomBytes(5000))
      .expect(202);

    const status = await gw.client.get(path).expect(204);

    expect(empty.headers.range).toBe('0-0');
    expect(status.headers.range).toBe('0-4999');
    expect(gw.client.localPath(status.headers.location as string)).toBe(path);
    expect(status.headers['docker-upload-uuid']).toBe(sessionId(path));
  });

  it('answers 416 with the current Range to a chunk that does not start where the upload stands, and a retried chunk does no harm', async () => {
    const data = randomBytes(200_000);
    const path = await openSession(repository);
    const chunk = (start: number, end: number) =>
      gw.client
        .patch(path)
        .set('Content-Type', 'application/octet-stream')
        .set('Content-Range', `${start}-${end - 1}`)
        .send(data.subarray(start, end));

    await chunk(0, 120_000).expect(202);
    const retried = await chunk(0, 120_000);
    const skipped = await chunk(150_000, 200_000);
    await chunk(120_000, 200_000).expect(202);
    await gw.client.put(gw.client.pathWith(path, { digest: sha256(data) })).expect(201);

    for (const res of [retried, skipped]) {
      expect(res.status).toBe(416);
      expect((res.body as Answer).errors[0]?.code).toBe('BLOB_UPLOAD_INVALID');
      expect(res.headers.range).toBe('0-119999');
      expect(gw.client.localPath(res.headers.location as string)).toBe(path);
    }
    const blob = await gw.client.get(`/v2/${repository}/blobs/${sha256(data)}`).expect(200);
    expect(sha256(blob.body as Buffer)).toBe(sha256(data));
  });

  it('refuses a Content-Range that disagrees with the body', async () => {
    const path = await openSession(repository);

    const res = await gw.client
      .patch(path)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', '0-99')
      .send(randomBytes(50))
      .expect(400);

    expect((res.body as Answer).errors[0]?.code).toBe('BLOB_UPLOAD_INVALID');
  });

  it('refuses a second request on a session while one is still sending', async () => {
    const path = await openSession(repository);
    const first = send('PATCH', path, [randomBytes(1000)], { end: false });
    const busy = `crgate:rec:upload:{${sessionId(path)}}:busy`;
    while ((await redis.exists(busy)) === 0) await new Promise((r) => setTimeout(r, 10));

    const second = await gw.client
      .patch(path)
      .set('Content-Type', 'application/octet-stream')
      .send(randomBytes(10));
    first.req.end();

    expect(second.status).toBe(416);
    expect((second.body as Answer).errors[0]?.message).toMatch(/in progress/);
    expect((await first.answer).status).toBe(202);
    expect((await gw.client.get(path).expect(204)).headers.range).toBe('0-999');
  });

  it('keeps a session to the principal that opened it and to its repository', async () => {
    const shared = `ns/sessions-${suffix}`;
    const path = await openSession(shared);
    const hubot = gw.client.as({
      username: 'hubot',
      password: await gw.createToken('hubot', ['write:packages']),
    });

    const stranger = await hubot
      .patch(path)
      .set('Content-Type', 'application/octet-stream')
      .send(randomBytes(10));
    const elsewhere = await gw.client.get(path.replace(shared, repository));

    for (const res of [stranger, elsewhere]) {
      expect(res.status).toBe(404);
      expect((res.body as Answer).errors[0]?.code).toBe('BLOB_UPLOAD_UNKNOWN');
    }
    expect((await gw.client.get(path).expect(204)).headers.range).toBe('0-0');
  });

  it('answers BLOB_UPLOAD_UNKNOWN for a session it never opened', async () => {
    const res = await gw.client
      .get(`/v2/${repository}/blobs/uploads/0b6c7f3e-0000-4000-8000-000000000000`)
      .expect(404);

    expect((res.body as Answer).errors[0]?.code).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('forgets a session its client cancels, at the registry too', async () => {
    const path = await openSession(repository);
    const location = await registryLocation(path);

    await gw.client.delete(path).expect(204);

    expect((await gw.client.get(path)).status).toBe(404);
    expect(await registryStatus(location)).toBe(404);
  });
});

describe('the layer size limit', () => {
  const repository = `octocat/too-large-${suffix}`;

  function expectTooLarge(answer: Answer) {
    expect(answer.status).toBe(413);
    expect(answer.errors[0]?.code).toBe('SIZE_INVALID');
    expect(answer.errors[0]?.message).toContain(`at most ${LAYER_LIMIT} bytes`);
    expect(answer.errors[0]?.detail).toEqual({ limit: LAYER_LIMIT });
  }

  it('refuses a body whose Content-Length is over the limit before forwarding a byte', async () => {
    const data = randomBytes(LAYER_LIMIT + 1);
    const path = await openSession(repository);
    const location = await registryLocation(path);

    const { answer } = send('PATCH', path, [data], { length: data.length });

    expectTooLarge(await answer);
    expect((await gw.client.get(path)).status).toBe(404);
    expect(await registryStatus(location)).toBe(404);
  });

  it('stops a chunked body at the limit, cancels the upload, and no blob appears', async () => {
    const data = randomBytes(LAYER_LIMIT + 1);
    const path = await openSession(repository);
    const location = await registryLocation(path);
    const pieces = [data.subarray(0, 500_000), data.subarray(500_000)];

    const { answer } = send('PATCH', path, pieces);
    const refused = await answer;
    const later = await gw.client.put(gw.client.pathWith(path, { digest: sha256(data) }));

    expectTooLarge(refused);
    expect(later.status).toBe(404);
    expect((later.body as Answer).errors[0]?.code).toBe('BLOB_UPLOAD_UNKNOWN');
    expect(await registryStatus(location)).toBe(404);
    expect(await registryHasBlob(repository, sha256(data))).toBe(false);
  });

  it('counts every chunk of a session against the limit', async () => {
    const data = randomBytes(LAYER_LIMIT + 1000);
    const path = await openSession(repository);
    await gw.client
      .patch(path)
      .set('Content-Type', 'application/octet-stream')
      .send(data.subarray(0, 600_000))
      .expect(202);

    const { answer } = send('PUT', gw.client.pathWith(path, { digest: sha256(data) }), [
      data.subarray(600_000),
    ]);

    expectTooLarge(await answer);
    expect(await registryHasBlob(repository, sha256(data))).toBe(false);
  });

  it('refuses a monolithic push over the limit', async () => {
    const data = randomBytes(LAYER_LIMIT + 1);
    const path = `/v2/${repository}/blobs/uploads/?digest=${sha256(data)}`;

    const { answer } = send('POST', path, [data]);

    expectTooLarge(await answer);
    expect(await registryHasBlob(repository, sha256(data))).toBe(false);
  });

  it('takes a layer of exactly the limit', async () => {
    const data = randomBytes(LAYER_LIMIT);

    await gw.client.pushBlob(repository, data);

    expect(await registryHasBlob(repository, sha256(data))).toBe(true);
  });
});

describe('the number of open uploads', () => {
  it('refuses a principal a fourth open upload with 429, until one ends', async () => {
    // A user of this test's own: the count is kept in Redis, which every test file shares.
    const user = `quota${suffix}`;
    const gwLimited = await startGateway({
      CRGATE_MAX_UPLOADS_PER_PRINCIPAL: '3',
      CRGATE_DIRECTORY: writeDirectory(TEST_DIRECTORY.replace('outsider]', `outsider, ${user}]`)),
    });
    const client = gwLimited.client.as({
      username: user,
      password: await gwLimited.createToken(user, ['write:packages']),
    });
    const repository = `${user}/open-uploads`;
    try {
      const paths = [];
      for (let i = 0; i < 3; i += 1) paths.push(await openSession(repository, client));

      const refused = await client.post(`/v2/${repository}/blobs/uploads/`);
      await client.delete(paths[0] as string).expect(204);
      await client.post(`/v2/${repository}/blobs/uploads/`).expect(202);

      expect(refused.status).toBe(429);
      expect((refused.body as Answer).errors[0]?.code).toBe('TOOMANYREQUESTS');
      expect(refused.headers['retry-after']).toBeDefined();
    } finally {
      await gwLimited.close();
    }
  });
});

describe('the upload time limit', () => {
  const TIME_LIMIT_MS = 1500;
  let short: TestGateway;

  beforeAll(async () => {
    short = await startGateway({ CRGATE_UPLOAD_TIMEOUT_MS: String(TIME_LIMIT_MS) });
  });
  afterAll(async () => {
    await short?.close();
  });

  function expectOutOfTime(answer: Pick<Answer, 'status' | 'errors'>) {
    expect(answer.status).toBe(404);
    expect(answer.errors[0]?.code).toBe('BLOB_UPLOAD_UNKNOWN');
    expect(answer.errors[0]?.message).toContain('at most 1.5 seconds');
  }

  it('ends a request still sending at the limit, and refuses the session after', async () => {
    const repository = `octocat/slow-${suffix}`;
    const path = await openSession(repository, short.client);
    const location = await registryLocation(path);
    const { req, answer } = send('PATCH', path, [randomBytes(1000)], { end: false }, short);

    const cut = await answer;
    req.destroy();
    const later = await short.client.get(path);

    // crgate answers the client first and cancels at the registry after: the upload is gone
    // from the registry (404) once the cancel lands; if it never does, jest's bound fails this.
    while ((await registryStatus(location)) !== 404) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expectOutOfTime(cut);
    expectOutOfTime({ status: later.status, errors: (later.body as Answer).errors });
  });

  it('refuses a chunk of a session opened longer ago than the limit', async () => {
    const repository = `octocat/late-${suffix}`;
    const path = await openSession(repository, short.client);
    await new Promise((resolve) => setTimeout(resolve, TIME_LIMIT_MS + 100));

    const late = await short.client
      .patch(path)
      .set('Content-Type', 'application/octet-stream')
      .send(randomBytes(10));

    expectOutOfTime({ status: late.status, errors: (late.body as Answer).errors });
  });
});
