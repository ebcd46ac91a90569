import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';

/**
 * registry:2 on object storage answers a blob GET or HEAD with a redirect to a presigned URL
 * (distribution's storage `redirect` option, on by default for S3, GCS and Azure), so the
 * bytes go from the bucket to the client and never cross crgate. crgate must hand such an
 * answer on as the registry wrote it: the status, the `Location` to the letter (a signature
 * is over the exact query), and the body.
 *
 * No local registry:2 can be made to redirect without object storage, so a small server stands
 * in for it here, answering the base endpoint and blob requests the way distribution does
 * (`http.Redirect`: the Location, and for a GET a short HTML body).
 */

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const BLOB_PATH = `docker/registry/v2/blobs/sha256/ab/${'ab'.repeat(32)}/data`;

// Presigned URLs as S3 and CloudFront write them: upper-case letters in the host, encoded
// slashes, `+`, `~` and `=` in the query. Parsing and printing any of them again could change
// a byte, and the signature with it.
const S3_URL =
  `https://Crgate-Layers.s3.eu-west-1.amazonaws.com/${BLOB_PATH}` +
  '?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIAEXAMPLE%2F20240501%2Feu-west-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20240501T120000Z&X-Amz-Expires=1200&X-Amz-SignedHeaders=host' +
  '&response-content-type=application%2Foctet-stream&X-Amz-Signature=0a1b+2c3d%3D';
const CLOUDFRONT_URL =
  `https://d111111abcdef8.cloudfront.net/${BLOB_PATH}` +
  '?Expires=1714564800&Signature=aB~cD_eF-gH~&Key-Pair-Id=K2JCJMDEHXQW5F';

interface Seen {
  readonly method: string;
  readonly url: string;
}

interface StandIn {
  readonly url: string;
  readonly seen: Seen[];
  /** Where blob requests of each repository are sent, with which status. */
  readonly redirects: Map<string, { status: number; location: string }>;
  close(): Promise<void>;
}

/** The HTML body Go's http.Redirect writes for a GET. */
function redirectBody(status: number, location: string): string {
  const text = http.STATUS_CODES[status] ?? '';
  return `<a href="${location.replace(/&/g, '&amp;')}">${text}</a>.\n\n`;
}

function answer(stand: StandIn, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '/';
  stand.seen.push({ method: req.method ?? '', url });
  const headers = { 'Docker-Distribution-Api-Version': 'registry/2.0' };
  if (url === '/v2/') {
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end('{}');
    return;
  }
  const repository = /^\/v2\/(.+)\/blobs\/sha256:[0-9a-f]{64}$/.exec(url)?.[1];
  const redirect = repository === undefined ? undefined : stand.redirects.get(repository);
  if (!redirect) {
    res.writeHead(404, headers).end();
    return;
  }
  const body = req.method === 'GET' ? redirectBody(redirect.status, redirect.location) : '';
  res.writeHead(redirect.status, {
    ...headers,
    Location: redirect.location,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function startStandIn(): Promise<StandIn> {
  const server = http.createServer((req, res) => answer(stand, req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stand: StandIn = {
    url: `http://127.0.0.1:${port}`,
    seen: [],
    redirects: new Map(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return stand;
}

describe('a registry that redirects blob downloads to object storage', () => {
  let registry: StandIn;
  let gw: TestGateway;
  let storagePort: number;

  beforeAll(async () => {
    registry = await startStandIn();
    gw = await startGateway({ CRGATE_REGISTRY_URL: registry.url });
    // Object storage on the registry's own machine (MinIO beside it): same address, other port.
    storagePort = Number(new URL(registry.url).port) + 1;
    registry.redirects.set('octocat/s3', { status: 307, location: S3_URL });
    registry.redirects.set('octocat/cdn', { status: 302, location: CLOUDFRONT_URL });
    registry.redirects.set('octocat/moved', { status: 301, location: S3_URL });
    registry.redirects.set('octocat/minio', {
      status: 307,
      location: `http://127.0.0.1:${storagePort}/layers/${BLOB_PATH}?X-Amz-Signature=f00`,
    });
  });
  afterAll(async () => {
    await gw.close();
    await registry.close();
  });

  it.each([
    ['a 307 to S3', 'octocat/s3', 307, S3_URL],
    ['a 302 to CloudFront', 'octocat/cdn', 302, CLOUDFRONT_URL],
    ['a 301', 'octocat/moved', 301, S3_URL],
  ])('hands on %s to a GET untouched', async (_what, repository, status, location) => {
    const res = await gw.client
      .get(`/v2/${repository}/blobs/${DIGEST}`)
      .redirects(0)
      .buffer(true)
      .parse((stream, done) => {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        stream.on('end', () => done(null, text));
      });

    expect(res.status).toBe(status);
    expect(res.headers.location).toBe(location);
    expect(res.body).toBe(redirectBody(status, location));
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(registry.seen).toContainEqual({
      method: 'GET',
      url: `/v2/${repository}/blobs/${DIGEST}`,
    });
  });

  it('hands on a redirect to a HEAD untouched', async () => {
    const res = await gw.client.head(`/v2/octocat/s3/blobs/${DIGEST}`).redirects(0);

    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(S3_URL);
    expect(registry.seen).toContainEqual({ method: 'HEAD', url: `/v2/octocat/s3/blobs/${DIGEST}` });
  });

  it('leaves a redirect to storage on the registry’s address but another port alone', async () => {
    const res = await gw.client.get(`/v2/octocat/minio/blobs/${DIGEST}`).redirects(0);

    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(
      `http://127.0.0.1:${storagePort}/layers/${BLOB_PATH}?X-Amz-Signature=f00`,
    );
  });

  it('still asks for credentials before anything reaches the registry', async () => {
    const before = registry.seen.length;

    const res = await gw.client.as(undefined).get(`/v2/octocat/s3/blobs/${DIGEST}`).redirects(0);

    expect(res.status).toBe(401);
    expect(res.headers.location).toBeUndefined();
    expect(registry.seen.slice(before).some((seen) => seen.url.includes('/blobs/'))).toBe(false);
  });
});
