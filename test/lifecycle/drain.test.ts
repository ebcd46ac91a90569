import { randomBytes } from 'node:crypto';
import http from 'node:http';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { sha256 } from '../harness/registry-client';

interface Answer {
  status: number;
  body: string;
}

/** Waits until crgate counts this many upload requests streaming through it. */
async function uploadsInFlight(gw: TestGateway, count: number): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    const { values } = await gw.gateway.metrics.uploadsInFlight.get();
    if (values[0]?.value === count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`crgate never had ${count} upload(s) in flight`);
}

/** Starts a monolithic blob PUT whose body the test writes piece by piece. */
async function openUpload(gw: TestGateway, data: Buffer) {
  const client = gw.client;
  const started = await client.post('/v2/octocat/draining/blobs/uploads/').expect(202);
  const path = client.pathWith(started.headers.location as string, { digest: sha256(data) });
  const req = http.request({
    port: gw.port,
    host: '127.0.0.1',
    method: 'PUT',
    path,
    headers: {
      Host: gw.registryHost,
      Authorization: `Basic ${Buffer.from(`octocat:${gw.ownerToken}`).toString('base64')}`,
      'Content-Length': data.length,
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  req.write(data.subarray(0, 1000));
  await uploadsInFlight(gw, 1);
  return { req, answer };
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ port, host: '127.0.0.1', path: '/v2/' }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
  });
}

describe('graceful shutdown', () => {
  it('lets an in-flight upload finish, refusing new connections meanwhile', async () => {
    const gw = await startGateway({ CRGATE_DRAIN_TIMEOUT_MS: '10000' });
    const data = randomBytes(50_000);
    const { req, answer } = await openUpload(gw, data);

    const closed = gw.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const acceptedDuringDrain = await connects(gw.port);
    req.end(data.subarray(1000));

    expect((await answer).status).toBe(201);
    await expect(closed).resolves.toBeUndefined();
    expect(acceptedDuringDrain).toBe(false);
    expect(gw.logs.some((line) => line.message === 'crgate stopped' && line.drained)).toBe(true);
  });

  it('cuts what is still running when the drain time is over', async () => {
    const gw = await startGateway({ CRGATE_DRAIN_TIMEOUT_MS: '300' });
    const { answer } = await openUpload(gw, randomBytes(50_000));

    const refused = expect(answer).rejects.toThrow();
    await gw.close();

    await refused;
    expect(gw.logs.some((line) => line.message === 'crgate stopped' && !line.drained)).toBe(true);
  });
});
