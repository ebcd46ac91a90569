import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import { PackageDeletions } from '../../src/packages/deletion';
import type { DeletionOptions } from '../../src/packages/deletion';
import { PACKAGE_KEYS } from '../../src/packages/package-keys';
import { PackageStore } from '../../src/packages/package-store';
import { requireEnv } from '../harness/gateway';

/**
 * Deletion and restore over the package records in a real Redis: what a deletion hides,
 * what a restore brings back, and what it refuses because it was used again since.
 */
const DAY_MS = 24 * 3600 * 1000;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('package deletion (real Redis)', () => {
  let redis: Redis;
  let store: PackageStore;
  let clock: number;
  const fresh = () => `octocat/deleted-${randomBytes(4).toString('hex')}`;
  const digestOf = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

  function deletions(options: Partial<DeletionOptions> = {}): PackageDeletions {
    return new PackageDeletions(redis, {
      restoreWindowMs: 30 * DAY_MS,
      publicDeleteMaxDownloads: 5000,
      now: () => clock,
      ...options,
    });
  }

  /** A package with one version per digest number, each tagged `v<n>`. */
  async function publish(repository: string, ...numbers: number[]) {
    await store.create(repository, { createdBy: 'user:octocat' });
    for (const n of numbers) await push(repository, n, `v${n}`);
  }

  async function push(repository: string, n: number, tag?: string) {
    const version = { digest: digestOf(n), mediaType: MANIFEST, size: n, platforms: [] };
    await store.recordVersion(repository, { ...version, createdAt: new Date().toISOString() }, tag);
  }

  async function idOf(repository: string, n: number): Promise<number> {
    const version = (await store.versions(repository)).find((v) => v.digest === digestOf(n));
    if (!version) throw new Error(`no version ${n}`);
    return version.id;
  }

  beforeAll(() => {
    redis = new Redis(requireEnv('TEST_REDIS_URL'));
    store = new PackageStore(redis);
  });
  beforeEach(() => {
    clock = Date.now();
  });
  afterAll(() => redis.quit());

  it('hides a deleted version and its tags, and restores them with its downloads', async () => {
    const repository = fresh();
    await publish(repository, 1, 2);
    await store.countDownload(repository, digestOf(1));
    const id = await idOf(repository, 1);

    const deleted = await deletions().deleteVersion(repository, id);
    const whileDeleted = {
      versions: (await store.versions(repository)).map((v) => v.digest),
      tags: await store.tags(repository),
      byTag: await deletions().hidden(repository, 'v1'),
      byDigest: await deletions().hidden(repository, digestOf(1)),
      other: await deletions().hidden(repository, 'v2'),
      listed: await deletions().deletedVersions(repository),
    };
    const restored = await deletions().restoreVersion(repository, id);

    expect(deleted).toEqual({ done: true });
    expect(whileDeleted.versions).toEqual([digestOf(2)]);
    expect(whileDeleted.tags).toEqual({ v2: digestOf(2) });
    expect([whileDeleted.byTag, whileDeleted.byDigest, whileDeleted.other]).toEqual([
      'reference',
      'reference',
      undefined,
    ]);
    expect(whileDeleted.listed).toMatchObject([{ version: { id }, tags: ['v1'], downloads: 1 }]);
    expect(restored).toEqual({ done: true });
    expect(await store.tags(repository)).toEqual({ v1: digestOf(1), v2: digestOf(2) });
    expect(await store.downloads(repository)).toEqual({ [digestOf(1)]: 1 });
    expect(await deletions().hidden(repository, 'v1')).toBeUndefined();
  });

  it('refuses to restore a version whose tag was pushed again since', async () => {
    const repository = fresh();
    await publish(repository, 1, 2);
    const id = await idOf(repository, 1);
    await deletions().deleteVersion(repository, id);

    await push(repository, 3, 'v1');
    const whileTagged = await deletions().restoreVersion(repository, id);
    await deletions().deleteVersion(repository, await idOf(repository, 3));
    const afterThatIsDeleted = await deletions().restoreVersion(repository, id);

    const refusal = { done: false, refusal: { code: 'TAG_REUSED', tag: 'v1' } };
    expect(whileTagged).toEqual(refusal);
    expect(afterThatIsDeleted).toEqual(refusal);
  });

  it('starts a digest pushed again after deletion fresh, and then refuses the old one', async () => {
    const repository = fresh();
    await publish(repository, 1, 2);
    const id = await idOf(repository, 1);
    await deletions().deleteVersion(repository, id);

    await push(repository, 1);
    const again = await idOf(repository, 1);

    expect(again).not.toBe(id);
    expect(await deletions().hidden(repository, digestOf(1))).toBeUndefined();
    expect(await deletions().restoreVersion(repository, id)).toEqual({
      done: false,
      refusal: { code: 'DIGEST_REUSED' },
    });
  });

  it('refuses a restore after the window, and one of a version never deleted', async () => {
    const repository = fresh();
    await publish(repository, 1, 2);
    const id = await idOf(repository, 1);
    await deletions().deleteVersion(repository, id);

    clock += 30 * DAY_MS + 1;
    const late = await deletions().restoreVersion(repository, id);
    const never = await deletions().restoreVersion(repository, await idOf(repository, 2));

    expect(late).toEqual({ done: false, refusal: { code: 'EXPIRED' } });
    expect(never).toEqual({ done: false, refusal: { code: 'NOT_FOUND' } });
  });

  it('hides a deleted package and brings it back whole, id and settings included', async () => {
    const repository = fresh();
    await publish(repository, 1, 2);
    await store.update(repository, {
      visibility: 'public',
      description: { value: 'd', truncated: false },
    });
    await store.setRole(repository, { kind: 'user', name: 'mona' }, 'write');
    await deletions().deleteVersion(repository, await idOf(repository, 2));
    const before = await store.get(repository);

    const deleted = await deletions().deletePackage(repository);
    const whileDeleted = {
      pkg: await store.get(repository),
      listed: await store.inNamespace('octocat'),
      hidden: await deletions().hidden(repository, 'v1'),
      trash: await deletions().deletedPackages(repository),
    };
    const restored = await deletions().restorePackage(repository);
    const after = await store.get(repository);

    expect(deleted.done).toBe(true);
    expect(whileDeleted.pkg).toBeUndefined();
    expect(whileDeleted.listed).not.toContain(repository);
    expect(whileDeleted.hidden).toBe('package');
    expect(whileDeleted.trash).toMatchObject([{ token: deleted.token, versionCount: 1 }]);
    expect(restored).toEqual({ done: true });
    expect(after?.record).toMatchObject({
      id: before?.record.id,
      visibility: 'public',
      description: 'd',
      revision: (before?.record.revision ?? 0) + 1,
    });
    expect(after?.access.users).toEqual({ mona: 'write' });
    expect(await store.tags(repository)).toEqual({ v1: digestOf(1) });
    expect((await deletions().deletedVersions(repository)).map((d) => d.tags)).toEqual([['v2']]);
    expect(await store.inNamespace('octocat')).toContain(repository);
    expect(await deletions().hidden(repository, 'v1')).toBeUndefined();
  });

  // The clock stands still within a test, so both deletions below share one millisecond.
  it('publishes a fresh package under a deleted name, whose restore is then refused', async () => {
    const repository = fresh();
    await publish(repository, 1);
    const deleted = await deletions().deletePackage(repository);

    await publish(repository, 2);
    const oldTag = await deletions().hidden(repository, 'v1');
    const whileLive = await deletions().restorePackage(repository, deleted.token);
    await deletions().deletePackage(repository);
    const olderOfTwo = await deletions().restorePackage(repository, deleted.token);

    expect(oldTag).toBe('reference');
    expect(whileLive).toEqual({ done: false, refusal: { code: 'NAME_REUSED' } });
    expect(olderOfTwo).toEqual({ done: false, refusal: { code: 'NAME_REUSED' } });
    expect((await deletions().deletedPackages(repository))[1]?.token).toBe(deleted.token);
  });

  it('refuses to delete a public package with a version pulled past the limit', async () => {
    const repository = fresh();
    await publish(repository, 1);
    for (let i = 0; i < 3; i += 1) await store.countDownload(repository, digestOf(1));
    const limited = deletions({ publicDeleteMaxDownloads: 2 });

    const whilePrivate = await store.get(repository);
    await store.update(repository, { visibility: 'public' });
    const refused = await limited.deletePackage(repository);

    expect(whilePrivate?.record.visibility).toBe('private');
    expect(refused).toEqual({ done: false, refusal: { code: 'TOO_MANY_DOWNLOADS' } });
    expect(await store.get(repository)).toBeDefined();
    await store.update(repository, { visibility: 'private' });
    expect((await limited.deletePackage(repository)).done).toBe(true);
  });

  it('refuses to delete a public package’s version pulled past the limit', async () => {
    const repository = fresh();
    await publish(repository, 1, 2, 3);
    for (let i = 0; i < 3; i += 1) await store.countDownload(repository, digestOf(1));
    for (let i = 0; i < 2; i += 1) await store.countDownload(repository, digestOf(2));
    const limited = deletions({ publicDeleteMaxDownloads: 2 });

    await store.update(repository, { visibility: 'public' });
    const refused = await limited.deleteVersion(repository, await idOf(repository, 1));
    const atTheLimit = await limited.deleteVersion(repository, await idOf(repository, 2));
    await store.update(repository, { visibility: 'private' });
    const whilePrivate = await limited.deleteVersion(repository, await idOf(repository, 1));

    expect(refused).toEqual({ done: false, refusal: { code: 'VERSION_TOO_MANY_DOWNLOADS' } });
    expect(atTheLimit.done).toBe(true);
    expect(whilePrivate.done).toBe(true);
  });

  it("names a namespace's deleted packages, leaving out the refused, the restored and others'", async () => {
    const namespace = `ns${randomBytes(4).toString('hex')}`;
    const names = ['gone', 'app/gone', 'back', 'popular', 'live'];
    for (const name of [...names, 'x']) await publish(`${namespace}/${name}`, 1);
    await publish(`${namespace}-other/gone`, 1);
    await store.update(`${namespace}/popular`, { visibility: 'public' });
    await store.countDownload(`${namespace}/popular`, digestOf(1));
    const limited = deletions({ publicDeleteMaxDownloads: 0 });

    for (const name of ['gone', 'app/gone', 'back', 'popular']) {
      await limited.deletePackage(`${namespace}/${name}`);
    }
    await limited.deletePackage(`${namespace}-other/gone`);
    await limited.restorePackage(`${namespace}/back`);

    expect(await limited.deletedNames(namespace)).toEqual(['app/gone', 'gone']);
  });

  it('keeps naming a package whose latest deletion was restored while an older one is left', async () => {
    const namespace = `ns${randomBytes(4).toString('hex')}`;
    const repository = `${namespace}/twice`;
    await publish(repository, 1);
    await deletions().deletePackage(repository);
    await publish(repository, 2);
    await deletions().deletePackage(repository);

    const restored = await deletions().restorePackage(repository);

    expect(restored).toEqual({ done: true });
    expect(await deletions().deletedNames(namespace)).toEqual(['twice']);
    expect(await redis.zrange(PACKAGE_KEYS.deletedNames(namespace), 0, -1)).toEqual([repository]);
  });

  it('leaves out a name the index kept after its trash emptied, as a crash would leave it', async () => {
    const namespace = `ns${randomBytes(4).toString('hex')}`;
    await publish(`${namespace}/kept`, 1);
    await deletions().deletePackage(`${namespace}/kept`);
    // As a crash between a restore's script and the index would leave it.
    await redis.zadd(PACKAGE_KEYS.deletedNames(namespace), 0, `${namespace}/restored`);

    expect(await deletions().deletedNames(namespace)).toEqual(['kept']);
  });
});
