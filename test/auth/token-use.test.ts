import { Redis } from 'ioredis';

import { TokenStore, TokenStoreError } from '../../src/auth/token-store';
import type { PatRecord } from '../../src/auth/token-store';
import { TokenUseRecorder, USE_RECORD_INTERVAL_MS } from '../../src/auth/token-use';
import { requireEnv } from '../harness/gateway';

/**
 * "Last used" against the real Redis: the store writes it into the token's record without
 * bringing a revoked one back, and the recorder writes a token's use at most once a minute.
 * Also the owner's list of tokens that expired in the last week.
 */
const DAY_MS = 24 * 3600 * 1000;

let redis: Redis;
let store: TokenStore;

beforeAll(() => {
  redis = new Redis(requireEnv('TEST_REDIS_URL'));
  store = new TokenStore(redis);
});
afterAll(() => redis.quit());

/** A login of its own: other test files share this Redis and create tokens too. */
const newUser = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

const lastUsed = async (id: string) => ((await store.get(id)) as PatRecord | undefined)?.lastUsedAt;

describe('TokenStore.recordUse', () => {
  it('writes when a token was used into its record, keeping its expiry', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const clocked = new TokenStore(redis, () => now);
    const { record } = await clocked.createPat({
      user: newUser('used'),
      scopes: ['read:packages'],
      expiresInMs: 30 * DAY_MS,
    });
    const key = `crgate:rec:token:${await redis.get(`crgate:rec:token-id:${record.id}`)}`;
    const ttlBefore = await redis.pttl(key);

    now += 5_000;
    await clocked.recordUse(record.id);

    expect(((await clocked.get(record.id)) as PatRecord).lastUsedAt).toBe(
      '2030-01-01T00:00:05.000Z',
    );
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(ttlBefore);
  });

  it('does not bring a revoked token back', async () => {
    const { secret, record } = await store.createPat({
      user: newUser('gone'),
      scopes: ['read:packages'],
    });
    await store.revoke(record.id);

    await store.recordUse(record.id);

    expect(await store.find(secret)).toBeUndefined();
    expect(await store.isLive(record.id)).toBe(false);
  });
});

describe('TokenUseRecorder', () => {
  it('writes a token’s use at most once a minute in one process', async () => {
    const { record: first } = await store.createPat({
      user: newUser('memo'),
      scopes: ['read:packages'],
    });
    const { record: second } = await store.createPat({
      user: newUser('memo'),
      scopes: ['read:packages'],
    });
    const writes: string[] = [];
    // The real store, counted: each call is a write to Redis.
    const counted = {
      recordUse: (id: string) => {
        writes.push(id);
        return store.recordUse(id);
      },
    };
    let now = 1_000_000;
    const recorder = new TokenUseRecorder(counted, { now: () => now });

    recorder.record(first.id);
    recorder.record(first.id);
    now += USE_RECORD_INTERVAL_MS - 1;
    recorder.record(first.id);
    recorder.record(second.id);
    now += 1;
    recorder.record(first.id);

    expect(writes).toEqual([first.id, second.id, first.id]);
    while (!(await lastUsed(first.id)) || !(await lastUsed(second.id)));
  });

  it('hands a failed write to onFailure and does not throw', async () => {
    const failures: unknown[] = [];
    const failing = { recordUse: () => Promise.reject(new Error('redis away')) };
    const recorder = new TokenUseRecorder(failing, { onFailure: (error) => failures.push(error) });

    expect(() => recorder.record('0123456789abcdef')).not.toThrow();
    while (failures.length === 0) await new Promise((resolve) => setImmediate(resolve));

    expect(String(failures[0])).toBe('Error: redis away');
  });
});

describe('listing expired tokens', () => {
  it('lists a token that expired in the last week for its owner only when asked', async () => {
    const user = newUser('expired');
    const past = new TokenStore(redis, () => Date.now() - 2 * DAY_MS);
    const { record: expired } = await past.createPat({
      user,
      scopes: ['read:packages'],
      expiresInMs: DAY_MS,
    });
    const { record: live } = await store.createPat({ user, scopes: ['read:packages'] });

    const all = await store.list(user, { includeExpired: true });
    const current = await store.list(user);

    expect(all.map((record) => record.id)).toEqual([expired.id, live.id]);
    expect(current.map((record) => record.id)).toEqual([live.id]);
    // Listing without the expired ones leaves them listable.
    expect((await store.list(user, { includeExpired: true })).length).toBe(2);
  });

  it('finds a token by id once its id key is gone, and revoking removes it', async () => {
    const user = newUser('lapsed');
    const { record } = await store.createPat({
      user,
      scopes: ['read:packages'],
      expiresInMs: DAY_MS,
    });
    // As Redis does when the token's time is up: the id key goes, the record stays a week.
    await redis.del(`crgate:rec:token-id:${record.id}`);

    const found = await store.getIncludingExpired(record.id);
    const revoked = await store.revoke(record.id);

    expect(found).toMatchObject({ id: record.id });
    expect(await store.get(record.id)).toBeUndefined();
    expect(revoked).toBe(true);
    expect(await store.getIncludingExpired(record.id)).toBeUndefined();
    expect(await store.list(user, { includeExpired: true })).toEqual([]);
  });
});

describe('notes', () => {
  it('refuses a note longer than 255 characters', async () => {
    const note = '🙂'.repeat(256);

    await expect(
      store.createPat({ user: newUser('note'), scopes: ['read:packages'], note }),
    ).rejects.toThrow(TokenStoreError);
    await expect(
      store.createPat({
        user: newUser('note'),
        scopes: ['read:packages'],
        note: note.slice(0, 510),
      }),
    ).resolves.toBeDefined();
  });
});
