import { randomUUID } from 'node:crypto';

import request from 'supertest';

import { PurgeMarks } from '../../src/packages/purge-marks';
import type { PurgeMarkOptions } from '../../src/packages/purge-marks';
import { requireEnv } from '../harness/gateway';
import { OCI_MANIFEST } from '../harness/registry-client';
import { usePurgingGateway } from '../harness/purging-gateway';

/**
 * A manifest push and the purge of the same digest, through crgate in front of the real
 * registry: the marks that keep them apart are taken here through purge-marks.ts, as the
 * other side would take them, so each case is one fixed order of events rather than a race.
 */
const suffix = randomUUID().slice(0, 8);
const TTL_MS = 60_000;
const registry = () => request(requireEnv('TEST_REGISTRY_URL'));

function errorCodes(body: unknown): string[] {
  return ((body as { errors?: { code: string }[] }).errors ?? []).map((e) => e.code);
}

describe('a push and the purge of the same digest', () => {
  const purging = usePurgingGateway();
  const marks = (options: Partial<PurgeMarkOptions> = {}) =>
    new PurgeMarks(purging.gw.gateway.redis, { ttlMs: TTL_MS, ...options });
  // A clock two lifetimes behind: a mark it takes is past its deadline at once.
  const longAgo = () => Date.now() - 2 * TTL_MS;

  /** An image pushed through crgate as `v1`, whose version is deleted and due for the purge. */
  async function deletedImage(name: string) {
    const { gw } = purging;
    const repository = `octocat/${name}-${suffix}`;
    const image = await gw.client.pushImage(repository, 'v1', { build: name });
    await gw.gateway.deletions.deleteVersion(
      repository,
      await gw.versionId(repository, image.digest),
    );
    return { repository, ...image };
  }

  function registryManifest(repository: string, digest: string) {
    return registry().get(`/v2/${repository}/manifests/${digest}`).set('Accept', OCI_MANIFEST);
  }

  function pushThroughCrgate(repository: string, tag: string, manifest: Buffer) {
    return purging.gw.client
      .put(`/v2/${repository}/manifests/${tag}`)
      .set('Content-Type', OCI_MANIFEST)
      .send(manifest.toString('utf8'));
  }

  it('leaves a digest in the registry while a push of it is in flight, and purges it on the next run', async () => {
    const { gw } = purging;
    const { repository, digest } = await deletedImage('push-in-flight');
    const push = await marks().beginPush(repository, digest);
    if (!push) throw new Error('the push was refused');

    await gw.gateway.purger.purgeDue();
    const during = await registryManifest(repository, digest);
    const deletedDuring = await gw.gateway.deletions.deletedVersions(repository);
    await marks().endPush(push);
    await gw.gateway.purger.purgeDue();
    const after = await registryManifest(repository, digest);

    expect(during.status).toBe(200);
    expect(deletedDuring.map((deleted) => deleted.version.digest)).toEqual([digest]);
    expect(after.status).toBe(404);
    expect(await gw.gateway.deletions.deletedVersions(repository)).toEqual([]);
  });

  it('refuses a push of a digest the purge is deleting with 503 UNAVAILABLE, and records nothing', async () => {
    const { gw } = purging;
    const { repository, digest, manifest } = await deletedImage('purge-in-progress');
    const purge = await marks().beginPurge(repository, digest);
    if (typeof purge === 'string') throw new Error(`the purge got no mark: ${purge}`);

    const refused = await pushThroughCrgate(repository, 'again', manifest);
    const versionsDuring = (await gw.gateway.packages.versions(repository)).map((v) => v.digest);
    const tagsDuring = await gw.gateway.packages.tags(repository);
    const hiddenDuring = await gw.gateway.deletions.hidden(repository, digest);
    const registryTags = await registry().get(`/v2/${repository}/tags/list`).expect(200);
    await marks().endPurge(purge);
    const retried = await pushThroughCrgate(repository, 'again', manifest);

    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(errorCodes(refused.body)).toEqual(['UNAVAILABLE']);
    expect(versionsDuring).toEqual([]);
    expect(tagsDuring).toEqual({});
    expect(hiddenDuring).toBe('reference');
    expect(registryTags.body.tags).toEqual(['v1']);
    expect(retried.status).toBe(201);
    expect(await gw.gateway.packages.tags(repository)).toEqual({ again: digest });
  });

  it('purges a digest whose push mark is past its deadline, as after a crashed replica', async () => {
    const { gw } = purging;
    const { repository, digest } = await deletedImage('stale-push');
    await marks({ now: longAgo }).beginPush(repository, digest);

    await gw.gateway.purger.purgeDue();

    await registryManifest(repository, digest).expect(404);
    expect(await gw.gateway.deletions.deletedVersions(repository)).toEqual([]);
  });

  it('takes a push of a digest whose purge mark is past its deadline', async () => {
    const { gw } = purging;
    const { repository, digest, manifest } = await deletedImage('stale-purge');
    await marks({ now: longAgo }).beginPurge(repository, digest);

    await pushThroughCrgate(repository, 'again', manifest).expect(201);

    expect(await gw.gateway.packages.tags(repository)).toEqual({ again: digest });
  });
});
