import http from 'node:http';

import type { Response, Test } from 'supertest';

import { OCI_CONFIG, OCI_MANIFEST, sha256 } from '../harness/registry-client';
import type { RegistryClient } from '../harness/registry-client';

/**
 * What the fault and load tests share: a push of a whole image (one layer, a config and a
 * manifest), a pull that checks every digest, requests whose body the test writes itself, and
 * a wait that gives up after a bounded number of tries.
 */
export interface PushedImage {
  readonly digest: string;
  readonly manifest: Buffer;
  readonly blobs: ReadonlyMap<string, Buffer>;
}

export interface OciError {
  readonly code: string;
  readonly message: string;
}

/** The error codes of an OCI error body, in order. */
export function codes(res: { body: unknown }): string[] {
  const { errors = [] } = (res.body ?? {}) as { errors?: OciError[] };
  return errors.map((error) => error.code);
}

/** The response body as the bytes that came over the wire, whatever the content type. */
export function raw(test: Test): Test {
  return test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

function bodyOf(res: Response): Buffer {
  return res.body as Buffer;
}

/** A blob in chunks, as containerd and docker send one: POST, PATCH each piece, PUT the digest. */
export async function pushChunked(
  client: RegistryClient,
  repository: string,
  data: Buffer,
  pieces = 2,
): Promise<Response> {
  const started = await client.post(`/v2/${repository}/blobs/uploads/`).expect(202);
  let location = client.localPath(started.headers.location as string);
  const size = Math.ceil(data.length / pieces);
  for (let start = 0; start < data.length; start += size) {
    const chunk = data.subarray(start, start + size);
    const res = await client
      .patch(location)
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', `${start}-${start + chunk.length - 1}`)
      .send(chunk)
      .expect(202);
    location = client.localPath(res.headers.location as string);
  }
  return client.put(client.pathWith(location, { digest: sha256(data) })).expect(201);
}

/** Pushes a layer, a config (which names the tag, so that each image differs) and a manifest. */
export async function pushImage(
  client: RegistryClient,
  repository: string,
  tag: string,
  layer: Buffer,
): Promise<PushedImage> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
  await client.pushBlob(repository, layer);
  await client.pushBlob(repository, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: sha256(layer),
          size: layer.length,
        },
      ],
    }),
  );
  await client
    .put(`/v2/${repository}/manifests/${tag}`)
    .set('Content-Type', OCI_MANIFEST)
    // superagent would JSON-encode a Buffer for a +json type; a string goes out as it is.
    .send(manifest.toString('utf8'))
    .expect(201);
  const blobs = new Map([
    [sha256(layer), layer],
    [sha256(config), config],
  ]);
  return { digest: sha256(manifest), manifest, blobs };
}

/**
 * Pulls a manifest by `reference` and every blob it names. Resolves with the digest the
 * registry origin announced and the one computed over the bytes, for the manifest and for each
 * blob, so that a caller can compare them with what was pushed.
 */
export async function pullImage(client: RegistryClient, repository: string, reference: string) {
  const res = await raw(
    client.get(`/v2/${repository}/manifests/${reference}`).set('Accept', OCI_MANIFEST),
  ).expect(200);
  const manifest = bodyOf(res);
  const parsed = JSON.parse(manifest.toString('utf8')) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const blobs = new Map<string, Buffer>();
  for (const { digest } of [parsed.config, ...parsed.layers]) {
    blobs.set(
      digest,
      bodyOf(await raw(client.get(`/v2/${repository}/blobs/${digest}`)).expect(200)),
    );
  }
  return {
    announced: res.headers['docker-content-digest'] as string,
    digest: sha256(manifest),
    manifest,
    blobs,
  };
}

/** Each pulled blob's digest computed over its bytes, by the digest it was asked for. */
export function blobDigests(blobs: ReadonlyMap<string, Buffer>): Record<string, string> {
  return Object.fromEntries([...blobs].map(([digest, bytes]) => [digest, sha256(bytes)]));
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

/**
 * A request whose body the test writes itself, piece by piece, so that it can stop midway:
 * `req` is the open request, `answer` what the server said (or the error the client saw).
 */
export function openRequest(
  target: { port: number; host: string; username: string; password: string },
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
) {
  const credentials = Buffer.from(`${target.username}:${target.password}`).toString('base64');
  const req = http.request({
    port: target.port,
    host: '127.0.0.1',
    method,
    path,
    headers: {
      Host: target.host,
      Authorization: `Basic ${credentials}`,
      'Content-Type': 'application/octet-stream',
      ...headers,
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body: unknown = text ? JSON.parse(text) : {};
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
  });
  // The test reads `answer` when it is ready to; an early failure must not go unhandled.
  answer.catch(() => undefined);
  return { req, answer };
}

/** Polls `check` until it holds; throws naming `what` after `attempts` tries 20 ms apart. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  attempts = 1000,
): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting until ${what}`);
}
