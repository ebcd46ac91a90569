import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import { PACKAGE_KEYS } from '../../src/packages/package-keys';
import { PackageStore } from '../../src/packages/package-store';
import { requireEnv } from '../harness/gateway';

describe('package store (real Redis)', () => {
  let redis: Redis;
  let store: PackageStore;
  const fresh = () => `octocat/stored-${randomBytes(4).toString('hex')}`;

  beforeAll(() => {
    redis = new Redis(requireEnv('TEST_REDIS_URL'));
    store = new PackageStore(redis);
  });
  afterAll(() => redis.quit());

  it('creates a private package once; creating it again changes nothing', async () => {
    const repository = fresh();

    const first = await store.create(repository, {
      createdBy: 'user:hubot',
      access: [[{ kind: 'user', name: 'hubot' }, 'admin']],
    });
    const second = await store.create(repository, { createdBy: 'user:mona' });
    const pkg = await store.get(repository);

    expect([first, second]).toEqual([true, false]);
    expect(pkg?.record).toMatchObject({
      visibility: 'private',
      createdBy: 'user:hubot',
      inheritAccess: true,
    });
    expect(pkg?.access).toEqual({ users: { hubot: 'admin' }, teams: {}, actions: {} });
  });

  it('bumps the revision with each settings change, not with a new version', async () => {
    const repository = fresh();
    await store.create(repository, { createdBy: 'user:octocat' });
    const created = (await store.get(repository))?.record.revision ?? 0;

    await store.recordVersion(repository, {
      digest: `sha256:${'1'.repeat(64)}`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      createdAt: new Date().toISOString(),
      size: 10,
      platforms: [],
    });
    const afterVersion = (await store.get(repository))?.record.revision;
    await store.update(repository, { visibility: 'internal' });
    await store.setRole(repository, { kind: 'team', name: 'builders' }, 'write');
    const afterChanges = (await store.get(repository))?.record.revision;

    expect(afterVersion).toBe(created);
    expect(afterChanges).toBe(created + 2);
  });

  it('links, notes and unlinks', async () => {
    const repository = fresh();
    await store.create(repository, { createdBy: 'user:octocat' });

    const note = { code: 'SOURCE_UNKNOWN_REPOSITORY', message: 'no such repository' } as const;
    await store.update(repository, { linkedRepository: 'octocat/hello', linkNote: note });
    const linked = (await store.get(repository))?.record;
    await store.update(repository, { linkedRepository: null, linkNote: null });
    const unlinked = (await store.get(repository))?.record;

    expect(linked).toMatchObject({ linkedRepository: 'octocat/hello', linkNote: note });
    expect(unlinked?.linkedRepository).toBeUndefined();
    expect(unlinked?.linkNote).toBeUndefined();
  });

  it('records a version found in the registry without replacing what it records since', async () => {
    const repository = fresh();
    const version = (n: number) => ({
      digest: `sha256:${String(n).repeat(64)}`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      createdAt: new Date().toISOString(),
      size: n,
      platforms: [],
    });
    const withoutPackage = await store.recordFound(repository, version(1), 'old');
    await store.create(repository, { createdBy: 'user:octocat' });
    await store.recordVersion(repository, version(2), 'latest');

    const found = await store.recordFound(repository, version(1), 'old');
    const foundByLatest = await store.recordFound(repository, version(3), 'latest');
    const digests = (await store.versions(repository)).map((v) => v.digest);
    const tags = await redis.hgetall(PACKAGE_KEYS.tags(repository));

    expect([withoutPackage, found, foundByLatest]).toEqual([false, true, true]);
    expect(digests.sort()).toEqual([version(1), version(2), version(3)].map((v) => v.digest));
    expect(tags).toEqual({ old: version(1).digest, latest: version(2).digest });
  });

  it('changes nothing for a package that does not exist', async () => {
    const repository = fresh();

    const updated = await store.update(repository, { visibility: 'public' });
    const granted = await store.setRole(repository, { kind: 'user', name: 'mona' }, 'read');

    expect([updated, granted]).toEqual([false, false]);
    expect(await store.get(repository)).toBeUndefined();
  });
});
