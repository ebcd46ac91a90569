import { randomBytes } from 'node:crypto';
import http from 'node:http';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { eventually, registrySaw } from '../harness/registry-log';
import { OCI_MANIFEST, sha256 } from '../harness/registry-client';

/**
 * The bad inputs crgate refuses before the registry sees them, each with the status and OCI
 * code a client gets (README, "Bad input" lists the same rows). Requests go out raw, as a
 * client could send them: no library here normalizes `..` or decodes `%2F` first.
 */

const REPOSITORY = `octocat/refused-${Date.now().toString(36)}`;
const SESSION = '0b6c7f3e-0000-4000-8000-000000000000';
const GOOD_DIGEST = sha256('crgate');
const MANIFEST_LIMIT = 8192;

interface Row {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly code: string;
  readonly contentType?: string;
  readonly body?: Buffer | string;
}

const manifest = (mediaType: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: GOOD_DIGEST, size: 6 },
    layers: [],
  });

const ROWS: readonly Row[] = [
  {
    what: 'upper-case repository name',
    method: 'GET',
    path: '/v2/Octocat/App/manifests/1',
    status: 400,
    code: 'NAME_INVALID',
  },
  {
    what: 'repository without a namespace',
    method: 'GET',
    path: '/v2/app/manifests/1',
    status: 400,
    code: 'NAME_INVALID',
  },
  {
    what: 'path traversal in the name',
    method: 'GET',
    path: '/v2/octocat/../ns/secret/manifests/1',
    status: 400,
    code: 'NAME_INVALID',
  },
  {
    what: 'encoded slash in the name',
    method: 'GET',
    path: '/v2/octocat%2Fapp/x/manifests/1',
    status: 400,
    code: 'NAME_INVALID',
  },
  {
    what: 'repository name over 255 characters',
    method: 'GET',
    path: `/v2/octocat/${'a'.repeat(250)}/manifests/1`,
    status: 400,
    code: 'NAME_INVALID',
  },
  {
    what: 'tag starting with a dash, on push',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/manifests/-bad`,
    status: 400,
    code: 'TAG_INVALID',
    contentType: OCI_MANIFEST,
    body: manifest(OCI_MANIFEST),
  },
  {
    what: 'tag over 128 characters, on push',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/manifests/${'t'.repeat(129)}`,
    status: 400,
    code: 'TAG_INVALID',
    contentType: OCI_MANIFEST,
    body: manifest(OCI_MANIFEST),
  },
  {
    what: 'short digest',
    method: 'GET',
    path: `/v2/${REPOSITORY}/blobs/sha256:abc`,
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    what: 'unknown digest algorithm',
    method: 'GET',
    path: `/v2/${REPOSITORY}/blobs/md5:${'a'.repeat(32)}`,
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    what: 'upper-case digest',
    method: 'HEAD',
    path: `/v2/${REPOSITORY}/blobs/${GOOD_DIGEST.toUpperCase().replace('SHA256', 'sha256')}`,
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    what: 'manifest digest of the wrong length',
    method: 'GET',
    path: `/v2/${REPOSITORY}/manifests/${GOOD_DIGEST}00`,
    status: 404,
    code: 'MANIFEST_UNKNOWN',
  },
  {
    what: 'completing an upload with a bad digest',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/blobs/uploads/${SESSION}?digest=sha256:xyz`,
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    what: 'completing an upload without a digest',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/blobs/uploads/${SESSION}`,
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    what: 'mount of a malformed digest',
    method: 'POST',
    path: `/v2/${REPOSITORY}/blobs/uploads/?mount=sha256:zz&from=octocat/other`,
    status: 400,
    code: 'DIGEST_INVALID',
  },
  {
    what: 'mount from a malformed repository',
    method: 'POST',
    path: `/v2/${REPOSITORY}/blobs/uploads/?mount=${GOOD_DIGEST}&from=../x`,
    status: 400,
    code: 'NAME_INVALID',
  },
  {
    what: 'upload session that does not exist',
    method: 'PATCH',
    path: `/v2/${REPOSITORY}/blobs/uploads/${SESSION}`,
    status: 404,
    code: 'BLOB_UPLOAD_UNKNOWN',
  },
  {
    what: 'method the endpoint does not have',
    method: 'PATCH',
    path: `/v2/${REPOSITORY}/manifests/1`,
    status: 405,
    code: 'UNSUPPORTED',
  },
  {
    what: 'POST to an upload session',
    method: 'POST',
    path: `/v2/${REPOSITORY}/blobs/uploads/${SESSION}`,
    status: 405,
    code: 'UNSUPPORTED',
  },
  {
    what: 'PATCH without an upload session',
    method: 'PATCH',
    path: `/v2/${REPOSITORY}/blobs/uploads/`,
    status: 405,
    code: 'UNSUPPORTED',
  },
  {
    what: 'unknown endpoint',
    method: 'GET',
    path: `/v2/${REPOSITORY}/secrets`,
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    what: 'negative page size',
    method: 'GET',
    path: `/v2/${REPOSITORY}/tags/list?n=-1`,
    status: 400,
    code: 'PAGINATION_NUMBER_INVALID',
  },
  {
    what: 'page size that is not a number',
    method: 'GET',
    path: '/v2/_catalog?n=ten',
    status: 400,
    code: 'PAGINATION_NUMBER_INVALID',
  },
  {
    what: 'manifest that is not JSON',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/manifests/1`,
    status: 400,
    code: 'MANIFEST_INVALID',
    contentType: OCI_MANIFEST,
    body: '{"schemaVersion": 2,',
  },
  {
    what: 'manifest of an unknown media type',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/manifests/1`,
    status: 400,
    code: 'MANIFEST_INVALID',
    contentType: 'application/x-unknown',
    body: manifest('application/x-unknown'),
  },
  {
    what: 'manifest whose mediaType disagrees with Content-Type',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/manifests/1`,
    status: 400,
    code: 'MANIFEST_INVALID',
    contentType: 'application/vnd.docker.distribution.manifest.v2+json',
    body: manifest(OCI_MANIFEST),
  },
  {
    what: 'Docker schema 1 manifest',
    method: 'PUT',
    path: `/v2/${REPOSITORY}/manifests/1`,
    status: 400,
    code: 'MANIFEST_INVALID',
    contentType: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
    body: JSON.stringify({ schemaVersion: 1, name: 'octocat/app', tag: '1', fsLayers: [] }),
  },
  {
    what: `manifest over the size limit (${MANIFEST_LIMIT} bytes here)`,
    method: 'PUT',
    path: `/v2/${REPOSITORY}/manifests/1`,
    status: 413,
    code: 'SIZE_INVALID',
    contentType: OCI_MANIFEST,
    body: randomBytes(MANIFEST_LIMIT + 1),
  },
  {
    what: 'request line and headers over 16 KiB',
    method: 'GET',
    path: `/v2/${REPOSITORY}/tags/list?last=${'x'.repeat(17 * 1024)}`,
    status: 431,
    code: 'SIZE_INVALID',
  },
];

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ CRGATE_MAX_MANIFEST_BYTES: String(MANIFEST_LIMIT) });
});

afterAll(async () => {
  await gw?.close();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(row: Row): Promise<Answer> {
  const credentials = Buffer.from(`octocat:${gw.ownerToken}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({
      port: gw.port,
      host: '127.0.0.1',
      method: row.method,
      path: row.path,
      headers: {
        Host: gw.registryHost,
        Authorization: `Basic ${credentials}`,
        ...(row.contentType ? { 'Content-Type': row.contentType } : {}),
        ...(row.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(row.body) }),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(row.body);
  });
}

test.each(ROWS.map((row) => [row.what, row] as const))('%s', async (_what, row) => {
  const answer = await send(row);

  expect(answer.status).toBe(row.status);
  if (row.method !== 'HEAD') {
    const { errors } = JSON.parse(answer.body) as { errors: { code: string; message: string }[] };
    expect(errors[0]?.code).toBe(row.code);
    expect(errors[0]?.message).toEqual(expect.any(String));
  }
  expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

test('none of the refused requests reached the registry', async () => {
  const before = registrySaw(REPOSITORY);
  // A request crgate does pass on, to show the registry's log is being read.
  await gw.client.get(`/v2/${REPOSITORY}/tags/list`).expect(404);

  expect(before).toBe(0);
  expect(await eventually(() => registrySaw(REPOSITORY) > 0)).toBe(true);
});
