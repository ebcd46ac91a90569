import { randomUUID } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_CONFIG, OCI_MANIFEST, sha256 } from '../harness/registry-client';
import type { RegistryClient } from '../harness/registry-client';
import { eventually, registrySaw } from '../harness/registry-log';

/**
 * Where registry 2.8 departs from OCI distribution spec 1.1 and crgate answers as the spec
 * says (docs/oci-conformance.md lists each with its test): tag deletion, manifest pulls that
 * name no type, the tags of a package with no tag yet, manifests sent without their type.
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

async function tagsOf(repository: string): Promise<string[]> {
  return (
    (await gw.client.get(`/v2/${repository}/tags/list`).expect(200)).body as { tags: string[] }
  ).tags;
}

/** Pushes the same manifest under another tag. */
async function tagAgain(repository: string, tag: string, manifest: Buffer): Promise<void> {
  await gw.client
    .put(`/v2/${repository}/manifests/${tag}`)
    .set('Content-Type', OCI_MANIFEST)
    .send(manifest.toString('utf8'))
    .expect(201);
}

describe('tag deletion (spec 1.1, "Deleting tags")', () => {
  it('untags with 202: the tag leaves pulls, tags lists, the records and the REST API, the version stays', async () => {
    const repository = `octocat/untag-${suffix}`;
    const { digest, manifest } = await gw.client.pushImage(repository, 'gone');
    await tagAgain(repository, 'kept', manifest);

    await gw.client.delete(`/v2/${repository}/manifests/gone`).expect(202);
    const byTag = await pull(gw.client, repository, 'gone').expect(404);
    await gw.client
      .head(`/v2/${repository}/manifests/gone`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    const byDigest = await pull(gw.client, repository, digest).expect(200);
    const versions = await gw.http
      .get(`/api/v3/user/packages/container/${encodeURIComponent(`untag-${suffix}`)}/versions`)
      .set('Host', gw.webHost)
      .set('Authorization', `token ${gw.ownerToken}`)
      .expect(200);

    expect(errorCodes(byTag.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(byDigest.headers['docker-content-digest']).toBe(digest);
    expect(await tagsOf(repository)).toEqual(['kept']);
    expect(await gw.gateway.packages.tags(repository)).toEqual({ kept: digest });
    expect(versions.body.map((v: { name: string }) => v.name)).toEqual([digest]);
    expect(versions.body[0].metadata.container.tags).toEqual(['kept']);
  });

  it('never forwards the DELETE of a tag to the registry, which would answer DIGEST_INVALID', async () => {
    const repository = `octocat/untag-unseen-${suffix}`;
    await gw.client.pushImage(repository, 'gone');

    await gw.client.delete(`/v2/${repository}/manifests/gone`).expect(202);

    // crgate asks the registry which digest the tag names; once that is logged, so is the rest.
    expect(await eventually(() => registrySaw(`HEAD /v2/${repository}/manifests/gone`) > 0)).toBe(
      true,
    );
    expect(registrySaw(`DELETE /v2/${repository}/manifests/gone`)).toBe(0);
  });

  it('answers MANIFEST_UNKNOWN for a tag deleted already or never pushed, NAME_UNKNOWN for a deleted package', async () => {
    const repository = `octocat/untag-twice-${suffix}`;
    await gw.client.pushImage(repository, 'once');
    await gw.client.delete(`/v2/${repository}/manifests/once`).expect(202);
    const gonePackage = `octocat/untag-gone-package-${suffix}`;
    await gw.client.pushImage(gonePackage, 'only');
    await gw.gateway.deletions.deletePackage(gonePackage);

    const again = await gw.client.delete(`/v2/${repository}/manifests/once`).expect(404);
    const never = await gw.client.delete(`/v2/${repository}/manifests/never`).expect(404);
    const deleted = await gw.client.delete(`/v2/${gonePackage}/manifests/only`).expect(404);

    expect(errorCodes(again.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(errorCodes(never.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(errorCodes(deleted.body)).toEqual(['NAME_UNKNOWN']);
  });

  it('shows the tag again once it is pushed again', async () => {
    const repository = `octocat/untag-push-${suffix}`;
    const { digest, manifest } = await gw.client.pushImage(repository, 'back');
    await gw.client.delete(`/v2/${repository}/manifests/back`).expect(202);

    await tagAgain(repository, 'back', manifest);

    const pulled = await pull(gw.client, repository, 'back').expect(200);
    expect(pulled.headers['docker-content-digest']).toBe(digest);
    expect(await tagsOf(repository)).toEqual(['back']);
    expect(await gw.gateway.packages.tags(repository)).toEqual({ back: digest });
  });

  it('needs delete: a token with write:packages but not delete:packages is refused, and the tag stays', async () => {
    const repository = `octocat/untag-scope-${suffix}`;
    await gw.client.pushImage(repository, 'stays');
    const writer = gw.client.as({
      username: 'octocat',
      password: await gw.createToken('octocat', ['read:packages', 'write:packages']),
    });

    const refused = await writer.delete(`/v2/${repository}/manifests/stays`).expect(403);

    expect(errorCodes(refused.body)).toEqual(['DENIED']);
    await pull(gw.client, repository, 'stays').expect(200);
    expect(await tagsOf(repository)).toEqual(['stays']);
  });

  it('a version deleted after one of its tags was untagged comes back without that tag', async () => {
    const repository = `octocat/untag-restore-${suffix}`;
    const { digest, manifest } = await gw.client.pushImage(repository, 'untagged');
    await tagAgain(repository, 'other', manifest);
    await gw.client.pushImage(repository, 'unrelated', { build: 'unrelated' });
    await gw.client.delete(`/v2/${repository}/manifests/untagged`).expect(202);
    const id = await gw.versionId(repository, digest);

    await gw.gateway.deletions.deleteVersion(repository, id);
    const restore = await gw.gateway.deletions.restoreVersion(repository, id);

    expect(restore).toEqual({ done: true });
    await pull(gw.client, repository, 'untagged').expect(404);
    await pull(gw.client, repository, 'other').expect(200);
    expect(await tagsOf(repository)).toEqual(['other', 'unrelated']);
  });

  it('a tag of a deleted version is MANIFEST_UNKNOWN, and comes back with the restore', async () => {
    const repository = `octocat/untag-deleted-${suffix}`;
    const { digest } = await gw.client.pushImage(repository, 'withversion');
    await gw.client.pushImage(repository, 'keep', { build: 'keep' });
    const id = await gw.versionId(repository, digest);
    await gw.gateway.deletions.deleteVersion(repository, id);

    const refused = await gw.client.delete(`/v2/${repository}/manifests/withversion`).expect(404);
    await gw.gateway.deletions.restoreVersion(repository, id);

    expect(errorCodes(refused.body)).toEqual(['MANIFEST_UNKNOWN']);
    await pull(gw.client, repository, 'withversion').expect(200);
  });

  it('a restore finds the tag reused when it was pushed to another version and untagged there', async () => {
    const repository = `octocat/untag-reused-${suffix}`;
    const first = await gw.client.pushImage(repository, 'moving', { build: 'first' });
    await gw.client.pushImage(repository, 'keep', { build: 'keep' });
    const id = await gw.versionId(repository, first.digest);
    await gw.gateway.deletions.deleteVersion(repository, id);
    await gw.client.pushImage(repository, 'moving', { build: 'second' });
    await gw.client.delete(`/v2/${repository}/manifests/moving`).expect(202);

    const restore = await gw.gateway.deletions.restoreVersion(repository, id);

    expect(restore).toEqual({ done: false, refusal: { code: 'TAG_REUSED', tag: 'moving' } });
    await pull(gw.client, repository, 'moving').expect(404);
  });

  it('a package deleted and restored after an untag keeps the tag hidden', async () => {
    const repository = `octocat/untag-package-${suffix}`;
    const { manifest } = await gw.client.pushImage(repository, 'dropped');
    await tagAgain(repository, 'kept', manifest);
    await gw.client.delete(`/v2/${repository}/manifests/dropped`).expect(202);

    await gw.gateway.deletions.deletePackage(repository);
    const restore = await gw.gateway.deletions.restorePackage(repository);

    expect(restore).toEqual({ done: true });
    await pull(gw.client, repository, 'dropped').expect(404);
    await pull(gw.client, repository, 'kept').expect(200);
    expect(await tagsOf(repository)).toEqual(['kept']);
  });
});

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

  it('answers a single POST with a digest as an upload session: 202 with a Location, no blob yet', async () => {
    const repository = `octocat/single-post-${suffix}`;
    const data = Buffer.from('in one request');

    const started = await gw.client
      .post(`/v2/${repository}/blobs/uploads/?digest=${sha256(data)}`)
      .set('Content-Type', 'application/octet-stream')
      .send(data)
      .expect(202);
    await gw.client.head(`/v2/${repository}/blobs/${sha256(data)}`).expect(404);

    expect(gw.client.localPath(started.headers.location as string)).toMatch(
      new RegExp(`^/v2/${repository}/blobs/uploads/[0-9a-f-]{36}$`),
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
