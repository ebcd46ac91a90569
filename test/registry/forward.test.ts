import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { freePort } from '../harness/ports';
import { OCI_MANIFEST, RegistryClient, sha256 } from '../harness/registry-client';

describe('the /v2 pass-through to a real registry', () => {
  let gw: TestGateway;
  let client: RegistryClient;

  beforeAll(async () => {
    gw = await startGateway();
    ({ client } = gw);
  });
  afterAll(() => gw.close());

  it('answers the base endpoint with the API version header', async () => {
    const res = await client.get('/v2/').expect(200);

    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('hands out upload URLs on its own public origin', async () => {
    const res = await client.post('/v2/octocat/uploads/blobs/uploads/').expect(202);

    expect(res.headers.location).toMatch(
      new RegExp(`^http://containers\\.localhost:${gw.port}/v2/octocat/uploads/blobs/uploads/`),
    );
    expect(res.headers['docker-upload-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.range).toBe('0-0');
  });

  it('takes a monolithic upload and serves the same bytes back, by range too', async () => {
    const data = randomBytes(1024 * 1024 + 7);

    const digest = await client.pushBlob('octocat/mono', data);
    const head = await client.head(`/v2/octocat/mono/blobs/${digest}`).expect(200);
    const whole = await client.get(`/v2/octocat/mono/blobs/${digest}`).buffer(true).expect(200);
    const part = await client
      .get(`/v2/octocat/mono/blobs/${digest}`)
      .set('Range', 'bytes=10-19')
      .buffer(true)
      .expect(206);

    expect(head.headers['content-length']).toBe(String(data.length));
    expect(head.headers['docker-content-digest']).toBe(digest);
    expect(sha256(whole.body as Buffer)).toBe(digest);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${data.length}`);
    expect(Buffer.compare(part.body as Buffer, data.subarray(10, 20))).toBe(0);
  });

  it('takes a chunked upload, reporting progress in Range', async () => {
    const data = randomBytes(300_000);
    const started = await client.post('/v2/octocat/chunked/blobs/uploads/').expect(202);

    const first = await client
      .patch(client.localPath(started.headers.location as string))
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', `0-${199_999}`)
      .send(data.subarray(0, 200_000))
      .expect(202);
    const second = await client
      .patch(client.localPath(first.headers.location as string))
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', `200000-${data.length - 1}`)
      .send(data.subarray(200_000))
      .expect(202);
    const done = await client
      .put(client.pathWith(second.headers.location as string, { digest: sha256(data) }))
      .expect(201);

    expect(first.headers.range).toBe('0-199999');
    expect(second.headers.range).toBe(`0-${data.length - 1}`);
    expect(done.headers['docker-content-digest']).toBe(sha256(data));
    expect(client.localPath(done.headers.location as string)).toBe(
      `/v2/octocat/chunked/blobs/${sha256(data)}`,
    );
  });

  it('mounts a blob from another repository', async () => {
    const digest = await client.pushBlob('octocat/source', randomBytes(1000));

    const res = await client
      .post(`/v2/octocat/target/blobs/uploads/?mount=${digest}&from=octocat/source`)
      .expect(201);

    expect(res.headers['docker-content-digest']).toBe(digest);
    expect(client.localPath(res.headers.location as string)).toBe(
      `/v2/octocat/target/blobs/${digest}`,
    );
  });

  it('puts, heads, gets and deletes manifests', async () => {
    const { digest, manifest } = await client.pushImage('octocat/manifests', 'v1');

    const head = await client
      .head('/v2/octocat/manifests/manifests/v1')
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    const get = await client
      .get(`/v2/octocat/manifests/manifests/${digest}`)
      .set('Accept', OCI_MANIFEST)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    await client.delete(`/v2/octocat/manifests/manifests/${digest}`).expect(202);
    const gone = await client.get(`/v2/octocat/manifests/manifests/${digest}`).expect(404);

    expect(head.headers['docker-content-digest']).toBe(digest);
    expect(head.headers['content-type']).toBe(OCI_MANIFEST);
    expect(Buffer.compare(get.body as Buffer, manifest)).toBe(0);
    expect(gone.body.errors[0].code).toBe('MANIFEST_UNKNOWN');
    expect(gone.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('lists tags', async () => {
    await client.pushImage('octocat/tagged', 'a');
    await client.pushImage('octocat/tagged', 'b');

    const tags = await client.get('/v2/octocat/tagged/tags/list').expect(200);

    expect(tags.body.name).toBe('octocat/tagged');
    expect([...tags.body.tags].sort()).toEqual(['a', 'b']);
  });

  it('pages tags by n and last exactly, with a Link to the next page', async () => {
    for (const tag of ['e', 'c', 'a', 'd', 'b']) await client.pushImage('octocat/paged', tag);
    const list = (query: string) => client.get(`/v2/octocat/paged/tags/list${query}`).expect(200);

    const first = await list('?n=2');
    const second = await list(`?${/<[^?]+\?([^>]+)>/.exec(first.headers.link as string)?.[1]}`);
    const rest = await list('?n=2&last=d');
    const after = await list('?last=c');
    const none = await list('?n=0');
    const all = await list('');

    expect(first.body).toEqual({ name: 'octocat/paged', tags: ['a', 'b'] });
    expect(first.headers.link).toBe('</v2/octocat/paged/tags/list?n=2&last=b>; rel="next"');
    expect(second.body.tags).toEqual(['c', 'd']);
    expect(rest.body.tags).toEqual(['e']);
    expect(rest.headers.link).toBeUndefined();
    expect(after.body.tags).toEqual(['d', 'e']);
    expect(none.body.tags).toEqual([]);
    expect(all.body.tags).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all.headers.link).toBeUndefined();
  });

  it('passes on the registry’s NAME_UNKNOWN for the tags of a repository it never saw', async () => {
    const res = await client.get('/v2/octocat/never-pushed/tags/list').expect(404);

    expect(res.body.errors[0].code).toBe('NAME_UNKNOWN');
  });

  it('refuses a bad name itself, with an OCI error', async () => {
    const res = await client.get('/v2/Octocat/Bad/tags/list').expect(400);

    expect(res.body.errors[0].code).toBe('NAME_INVALID');
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  });

  it('refuses an unsupported method with 405 and Allow', async () => {
    const res = await client.post('/v2/octocat/x/tags/list').expect(405);

    expect(res.body.errors[0].code).toBe('UNSUPPORTED');
    expect(res.headers.allow).toBe('GET');
  });
});

describe('when the registry fails', () => {
  it('answers 503 with Retry-After when the registry is down', async () => {
    const gw = await startGateway({ CRGATE_REGISTRY_URL: `http://127.0.0.1:${await freePort()}` });
    try {
      const client = gw.client;

      const res = await client.get('/v2/octocat/x/manifests/1').expect(503);

      expect(res.body.errors[0].code).toBe('UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
    } finally {
      await gw.close();
    }
  });

  it('answers 503 when the registry accepts but never answers', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const gw = await startGateway({
      CRGATE_REGISTRY_URL: `http://127.0.0.1:${port}`,
      CRGATE_REGISTRY_TIMEOUT_MS: '300',
    });
    try {
      const client = gw.client;

      const res = await client.get('/v2/octocat/x/manifests/1').expect(503);

      expect(res.body.errors[0].code).toBe('UNAVAILABLE');
    } finally {
      await gw.close();
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
  });
});
