import { randomUUID } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_CONFIG, OCI_MANIFEST, sha256 } from '../harness/registry-client';
import type { RegistryClient } from '../harness/registry-client';

/**
 * Where registry 2.8 departs from OCI distribution spec 1.1 and crgate answers as the spec
 * says (docs/oci-conformance.md lists each with its test): manifest pulls that name no type,
 * the tags of a package with no tag yet, manifests sent without their type.
 * The rest pins what the registry already answers right, so a change in crgate that breaks
 * it shows here.
 */
const suffix = randomUUID().slice(0, 8);
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});

afterAll(() => gw.close());

function errorCodes(body: unknown): string[] {
  return ((body as { errors?: { code: string }[] }).errors ?? []).map((e) => e.code);
}

function pull(client: RegistryClient, repository: string, reference: string) {
  return client.get(`/v2/${repository}/manifests/${reference}`).set('Accept', OCI_MANIFEST);
}

describe('manifest pulls that name no media type (spec 1.1, "Pulling manifests")', () => {
  it('serves an OCI manifest to a GET without Accept, by tag and by digest', async () => {
    const repository = `octocat/no-accept-${suffix}`;
    const { digest } = await gw.client.pushImage(repository, 'v1');

    const byTag = await gw.client.get(`/v2/${repository}/manifests/v1`).expect(200);
    const byDigest = await gw.client.head(`/v2/${repository}/manifests/${digest}`).expect(200);
    const wildcard = await gw.client
      .get(`/v2/${repository}/manifests/v1`)
      .set('Accept', '*/*')
      .expect(200);

    expect(byTag.headers['content-type']).toBe(OCI_MANIFEST);
    expect(byTag.headers['docker-content-digest']).toBe(digest);
    expect(byDigest.headers['docker-content-digest']).toBe(digest);
    expect(wildcard.headers['docker-content-digest']).toBe(digest);
  });

  it('serves a Docker schema 2 manifest unchanged to a GET without Accept, not as schema 1', async () => {
    const repository = `octocat/no-accept-docker-${suffix}`;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
    const configDigest = await gw.client.pushBlob(repository, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, digest: configDigest, size: config.length },
      layers: [],
    });
    await gw.client
      .put(`/v2/${repository}/manifests/v1`)
      .set('Content-Type', DOCKER_MANIFEST)
      .send(manifest)
      .expect(201);

    const pulled = await gw.client.get(`/v2/${repository}/manifests/v1`).expect(200);

    expect(pulled.headers['content-type']).toBe(DOCKER_MANIFEST);
    expect(pulled.headers['docker-content-digest']).toBe(sha256(manifest));
  });

  it('keeps a client’s own choice: Docker types only is MANIFEST_UNKNOWN for an OCI manifest', async () => {
    const repository = `octocat/own-accept-${suffix}`;
    await gw.client.pushImage(repository, 'v1');

    const refused = await gw.client
      .get(`/v2/${repository}/manifests/v1`)
      .set('Accept', DOCKER_MANIFEST)
      .expect(404);

    expect(errorCodes(refused.body)).toEqual(['MANIFEST_UNKNOWN']);
  });
});

describe('tags lists (spec 1.1, "Listing Tags")', () => {
  it('answers 200 and no tags for a package pushed by digest only, where the registry says NAME_UNKNOWN', async () => {
    const repository = `octocat/by-digest-${suffix}`;
    const source = await gw.client.pushImage(`octocat/by-digest-source-${suffix}`, 'v1');
    await gw.client
      .post(
        `/v2/${repository}/blobs/uploads/?mount=${source.configDigest}&from=octocat/by-digest-source-${suffix}`,
      )
      .expect(201);
    await gw.client
      .put(`/v2/${repository}/manifests/${source.digest}`)
      .set('Content-Type', OCI_MANIFEST)
      .send(source.manifest.toString('utf8'))
      .expect(201);

    const tags = await gw.client.get(`/v2/${repository}/tags/list`).expect(200);

    expect(tags.body).toEqual({ name: repository, tags: [] });
  });
});

describe('manifest pushes (spec 1.1, "Pushing Manifests")', () => {
  it('accepts a manifest without mediaType sent as application/json, and serves it as OCI', async () => {
    const repository = `octocat/untyped-${suffix}`;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux' }));
    const configDigest = await gw.client.pushBlob(repository, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
      layers: [],
    });

    const pushed = await gw.client
      .put(`/v2/${repository}/manifests/v1`)
      .set('Content-Type', 'application/json')
      .send(manifest)
      .expect(201);
    const pulled = await pull(gw.client, repository, 'v1').expect(200);

    expect(pushed.headers['docker-content-digest']).toBe(sha256(manifest));
    expect(pulled.headers['content-type']).toBe(OCI_MANIFEST);
  });

  it('answers DIGEST_INVALID to a manifest pushed by a digest that is not its own', async () => {
    const repository = `octocat/wrong-digest-${suffix}`;
    const { manifest } = await gw.client.pushImage(repository, 'v1');

    const refused = await gw.client
      .put(`/v2/${repository}/manifests/${sha256('another manifest')}`)
      .set('Content-Type', OCI_MANIFEST)
      .send(manifest.toString('utf8'))
      .expect(400);

    expect(errorCodes(refused.body)).toEqual(['DIGEST_INVALID']);
  });

  it('answers MANIFEST_BLOB_UNKNOWN to a manifest whose config blob was never pushed', async () => {
    const repository = `octocat/blob-unknown-${suffix}`;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256('never pushed'), size: 12 },
      layers: [],
    });

    const refused = await gw.client
      .put(`/v2/${repository}/manifests/v1`)
      .set('Content-Type', OCI_MANIFEST)
      .send(manifest)
      .expect(400);

    expect(errorCodes(refused.body)).toEqual(['MANIFEST_BLOB_UNKNOWN']);
  });
});

describe('blobs (spec 1.1, "Mounting a blob", "Deleting Blobs", "Pulling blobs")', () => {
  it('opens an upload session for a mount without from: 202 with a Location', async () => {
    const digest = await gw.client.pushBlob(`octocat/mount-source-${suffix}`, Buffer.from('x'));

    const started = await gw.client
      .post(`/v2/octocat/mount-target-${suffix}/blobs/uploads/?mount=${digest}`)
      .expect(202);

    expect(gw.client.localPath(started.headers.location as string)).toMatch(
      new RegExp(`^/v2/octocat/mount-target-${suffix}/blobs/uploads/[0-9a-f-]{36}$`),
    );
  });

  it('deletes a blob with 202, then answers BLOB_UNKNOWN with its error body', async () => {
    const repository = `octocat/blob-delete-${suffix}`;
    const digest = await gw.client.pushBlob(repository, Buffer.from('to delete'));
    const head = await gw.client.head(`/v2/${repository}/blobs/${digest}`).expect(200);

    await gw.client.delete(`/v2/${repository}/blobs/${digest}`).expect(202);
    const again = await gw.client.delete(`/v2/${repository}/blobs/${digest}`).expect(404);
    const gone = await gw.client.get(`/v2/${repository}/blobs/${digest}`).expect(404);

    expect(head.headers['docker-content-digest']).toBe(digest);
    expect(head.headers['content-length']).toBe(String('to delete'.length));
    expect(errorCodes(again.body)).toEqual(['BLOB_UNKNOWN']);
    expect(errorCodes(gone.body)).toEqual(['BLOB_UNKNOWN']);
  });
});
