import { randomUUID } from 'node:crypto';

import request from 'supertest';

import { PACKAGE_KEYS } from '../../src/packages/package-keys';
import { requireEnv, startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_MANIFEST } from '../harness/registry-client';
import { usePurgingGateway } from '../harness/purging-gateway';

/**
 * What registry clients see of deletions, through crgate in front of the real registry:
 * hidden tags and digests, a hidden package, fresh pushes, download counts, and the purge
 * that finally deletes manifests from the registry.
 */
const suffix = randomUUID().slice(0, 8);
const registry = () => request(requireEnv('TEST_REGISTRY_URL'));

function errorCodes(body: unknown): string[] {
  return ((body as { errors?: { code: string }[] }).errors ?? []).map((e) => e.code);
}

describe('deletions seen through the registry origin', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('answers MANIFEST_UNKNOWN for a deleted version, by tag and by digest, until restored', async () => {
    const repository = `octocat/gone-version-${suffix}`;
    const kept = await gw.client.pushImage(repository, 'kept', { build: 'kept' });
    const gone = await gw.client.pushImage(repository, 'gone', { build: 'gone' });
    const id = await gw.versionId(repository, gone.digest);

    await gw.gateway.deletions.deleteVersion(repository, id);
    const byTag = await gw.client
      .get(`/v2/${repository}/manifests/gone`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    const byDigest = await gw.client
      .head(`/v2/${repository}/manifests/${gone.digest}`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    const tags = await gw.client.get(`/v2/${repository}/tags/list`).expect(200);
    const keptPull = await gw.client
      .get(`/v2/${repository}/manifests/kept`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    await gw.gateway.deletions.restoreVersion(repository, id);
    const restored = await gw.client
      .get(`/v2/${repository}/manifests/gone`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);

    expect(errorCodes(byTag.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(byDigest.headers['docker-content-digest']).toBeUndefined();
    expect(tags.body).toEqual({ name: repository, tags: ['kept'] });
    expect(keptPull.headers['docker-content-digest']).toBe(kept.digest);
    expect(restored.headers['docker-content-digest']).toBe(gone.digest);
  });

  it('answers NAME_UNKNOWN for a deleted package, and starts a push under its name fresh', async () => {
    const repository = `octocat/gone-package-${suffix}`;
    const old = await gw.client.pushImage(repository, 'old', { build: 'old' });
    await gw.client.pushImage(repository, 'shared', { build: 'first' });

    await gw.gateway.deletions.deletePackage(repository);
    const tagsWhileDeleted = await gw.client.get(`/v2/${repository}/tags/list`).expect(404);
    const pullWhileDeleted = await gw.client
      .get(`/v2/${repository}/manifests/old`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    const again = await gw.client.pushImage(repository, 'shared', { build: 'second' });
    const oldTag = await gw.client
      .get(`/v2/${repository}/manifests/old`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    const oldDigest = await gw.client
      .get(`/v2/${repository}/manifests/${old.digest}`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    const shared = await gw.client
      .get(`/v2/${repository}/manifests/shared`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    const tags = await gw.client.get(`/v2/${repository}/tags/list`).expect(200);

    expect(errorCodes(tagsWhileDeleted.body)).toEqual(['NAME_UNKNOWN']);
    expect(errorCodes(pullWhileDeleted.body)).toEqual(['NAME_UNKNOWN']);
    expect(errorCodes(oldTag.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(errorCodes(oldDigest.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(shared.headers['docker-content-digest']).toBe(again.digest);
    expect(tags.body.tags).toEqual(['shared']);
    expect((await gw.gateway.packages.get(repository))?.record.visibility).toBe('private');
  });

  it('counts each manifest GET as a download of its version, and no HEAD', async () => {
    const repository = `octocat/downloads-${suffix}`;
    const { digest } = await gw.client.pushImage(repository, 'latest');

    await gw.client
      .get(`/v2/${repository}/manifests/latest`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    await gw.client
      .get(`/v2/${repository}/manifests/${digest}`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    await gw.client
      .head(`/v2/${repository}/manifests/latest`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    await gw.client
      .get(`/v2/${repository}/manifests/missing`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);

    // Counts are gathered in memory and added a few times a second.
    await gw.gateway.downloads.flush();
    expect(await gw.gateway.packages.downloads(repository)).toEqual({ [digest]: 2 });
  });
});

describe('the purge', () => {
  const purging = usePurgingGateway();

  it('deletes purged manifests from the registry, but not a digest pushed again', async () => {
    const repository = `octocat/purged-${suffix}`;
    const gone = await purging.gw.client.pushImage(repository, 'gone', { build: 'gone' });
    const back = await purging.gw.client.pushImage(repository, 'back', { build: 'back' });
    await purging.gw.gateway.deletions.deleteVersion(
      repository,
      await purging.gw.versionId(repository, gone.digest),
    );
    await purging.gw.gateway.deletions.deleteVersion(
      repository,
      await purging.gw.versionId(repository, back.digest),
    );
    await purging.gw.client
      .put(`/v2/${repository}/manifests/again`)
      .set('Content-Type', OCI_MANIFEST)
      .send(back.manifest.toString('utf8'))
      .expect(201);

    const report = await purging.gw.gateway.purger.purgeDue();

    expect(report).toEqual({ purged: 2, failed: 0 });
    await registry()
      .get(`/v2/${repository}/manifests/${gone.digest}`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    await registry()
      .get(`/v2/${repository}/manifests/${back.digest}`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    await purging.gw.client
      .get(`/v2/${repository}/manifests/again`)
      .set('Accept', OCI_MANIFEST)
      .expect(200);
    expect(await purging.gw.gateway.deletions.deletedVersions(repository)).toEqual([]);
    expect(await purging.gw.gateway.deletions.restoreVersion(repository, 1)).toMatchObject({
      done: false,
    });
  });

  it('forgets a tag untagged before its version was deleted, once the version is purged', async () => {
    const repository = `octocat/purged-untag-${suffix}`;
    const { digest } = await purging.gw.client.pushImage(repository, 'untagged');
    await purging.gw.client.delete(`/v2/${repository}/manifests/untagged`).expect(202);
    const hiddenBefore = await purging.gw.gateway.deletions.hidden(repository, 'untagged');
    await purging.gw.gateway.deletions.deleteVersion(
      repository,
      await purging.gw.versionId(repository, digest),
    );

    await purging.gw.gateway.purger.purgeDue();

    expect(hiddenBefore).toBe('reference');
    expect(await purging.gw.gateway.deletions.hidden(repository, 'untagged')).toBeUndefined();
    await registry()
      .get(`/v2/${repository}/manifests/untagged`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
  });

  it('purges a deleted package: its manifests leave the registry, the name is free', async () => {
    const repository = `octocat/purged-package-${suffix}`;
    const { digest } = await purging.gw.client.pushImage(repository, 'only');
    await purging.gw.gateway.deletions.deletePackage(repository);

    await purging.gw.gateway.purger.purgeDue();

    await registry()
      .get(`/v2/${repository}/manifests/${digest}`)
      .set('Accept', OCI_MANIFEST)
      .expect(404);
    expect(await purging.gw.gateway.deletions.deletedPackages(repository)).toEqual([]);
    expect(await purging.gw.gateway.deletions.hidden(repository, 'only')).toBeUndefined();
    expect(await purging.gw.gateway.deletions.restorePackage(repository)).toEqual({
      done: false,
      refusal: { code: 'NOT_FOUND' },
    });
  });

  it("takes a purged package out of its namespace's deleted names", async () => {
    const repository = `octocat/purged-name-${suffix}`;
    const index = PACKAGE_KEYS.deletedNames('octocat');
    await purging.gw.client.pushImage(repository, 'only');
    await purging.gw.gateway.deletions.deletePackage(repository);
    const namedBefore = await purging.gw.gateway.deletions.deletedNames('octocat');
    const indexedBefore = await purging.gw.gateway.redis.zscore(index, repository);

    await purging.gw.gateway.purger.purgeDue();

    expect(namedBefore).toContain(`purged-name-${suffix}`);
    expect(indexedBefore).toBe('0');
    expect(await purging.gw.gateway.deletions.deletedNames('octocat')).not.toContain(
      `purged-name-${suffix}`,
    );
    expect(await purging.gw.gateway.redis.zscore(index, repository)).toBeNull();
  });
});
