import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import { PackageStore } from '../../src/packages/package-store';
import { PurgeMarks } from '../../src/packages/purge-marks';
import type { PurgeMarkOptions, PurgeStart } from '../../src/packages/purge-marks';
import { requireEnv } from '../harness/gateway';

/**
 * The marks that keep a manifest push and the purge of the same digest apart, over a real
 * Redis: each side is refused or turned away while the other holds its mark, and only then.
 */
const TTL_MS = 60_000;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('purge marks (real Redis)', () => {
  let redis: Redis;
  const fresh = () => `octocat/marks-${randomBytes(4).toString('hex')}`;
  const digestOf = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
  const marks = (options: Partial<PurgeMarkOptions> = {}) =>
    new PurgeMarks(redis, { ttlMs: TTL_MS, ...options });
  // A clock two lifetimes behind: every mark it takes is past its deadline at once.
  const longAgo = () => Date.now() - 2 * TTL_MS;

  function marked(start: PurgeStart) {
    if (typeof start === 'string') throw new Error(`the purge got no mark: ${start}`);
    return start;
  }

  beforeAll(() => {
    redis = new Redis(requireEnv('TEST_REDIS_URL'));
  });
  afterAll(() => redis.quit());

  it('refuses a push of a digest while its purge holds the mark, and pushes of other digests not', async () => {
    const repository = fresh();
    const purge = marked(await marks().beginPurge(repository, digestOf(1)));

    const during = await marks().beginPush(repository, digestOf(1));
    const other = await marks().beginPush(repository, digestOf(2));
    await marks().endPurge(purge);
    const after = await marks().beginPush(repository, digestOf(1));

    expect(during).toBeUndefined();
    expect(other).toMatchObject({ repository, digest: digestOf(2) });
    expect(after).toMatchObject({ repository, digest: digestOf(1) });
  });

  it('turns the purge away while a push of the digest is in flight, until the last one ends', async () => {
    const repository = fresh();
    const first = await marks().beginPush(repository, digestOf(1));
    const second = await marks().beginPush(repository, digestOf(1));
    if (!first || !second) throw new Error('a push was refused');

    const both = await marks().beginPurge(repository, digestOf(1));
    const other = await marks().beginPurge(repository, digestOf(2));
    await marks().endPush(first);
    const one = await marks().beginPurge(repository, digestOf(1));
    await marks().endPush(second);
    const none = await marks().beginPurge(repository, digestOf(1));

    expect([both, one]).toEqual(['pushing', 'pushing']);
    expect(other).toMatchObject({ digest: digestOf(2) });
    expect(none).toMatchObject({ digest: digestOf(1) });
  });

  it('answers live for a digest a version holds, and takes no mark for it', async () => {
    const repository = fresh();
    const store = new PackageStore(redis);
    await store.create(repository, { createdBy: 'user:octocat' });
    const version = { digest: digestOf(1), mediaType: MANIFEST, size: 1, platforms: [] };
    await store.recordVersion(repository, { ...version, createdAt: new Date().toISOString() });

    const start = await marks().beginPurge(repository, digestOf(1));
    const push = await marks().beginPush(repository, digestOf(1));

    expect(start).toBe('live');
    expect(push).toBeDefined();
  });

  it('gives every mark an expiry, so a crashed holder blocks for ttlMs at most', async () => {
    const repository = fresh();
    await marks({ ttlMs: 5_000 }).beginPush(repository, digestOf(1));
    await marks({ ttlMs: 5_000 }).beginPurge(repository, digestOf(2));

    const keys = await redis.keys(`crgate:rec:package-*:{${repository}}:*`);
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));

    expect(keys).toHaveLength(2);
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    }
  });

  it('counts no mark past its deadline: a stale push lets the purge in, a stale purge a push', async () => {
    const repository = fresh();
    await marks({ now: longAgo }).beginPush(repository, digestOf(1));
    await marks({ now: longAgo }).beginPurge(repository, digestOf(2));

    const purge = await marks().beginPurge(repository, digestOf(1));
    const push = await marks().beginPush(repository, digestOf(2));

    expect(purge).toMatchObject({ digest: digestOf(1) });
    expect(push).toMatchObject({ digest: digestOf(2) });
  });
});
