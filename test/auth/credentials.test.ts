import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { CredentialsError, StoredTokens } from '../../src/auth/credentials';
import { TOKEN_ID_PREFIX, TokenStore } from '../../src/auth/token-store';
import { TokenUseRecorder } from '../../src/auth/token-use';
import { FileDirectory } from '../../src/identity/file-directory';
import { KeyTracker } from '../../src/state/key-tracking';
import { createCrgateLogger } from '../../src/telemetry/logger';
import { requireEnv, TEST_DIRECTORY, writeDirectory } from '../harness/gateway';

/**
 * Signing in with crgate's own tokens against a real Redis and its key tracking: a secret's
 * record is read once and kept while Redis tells of every change to token ids, and a revoke
 * is refused on the very next sign-in.
 */

/** A token store that counts its reads of records by secret. */
class CountingStore extends TokenStore {
  reads = 0;

  override find(secret: string) {
    this.reads += 1;
    return super.find(secret);
  }
}

let redis: Redis;
let tracker: KeyTracker;
const directory = FileDirectory.load(writeDirectory(TEST_DIRECTORY));

async function trusted(keys: KeyTracker): Promise<void> {
  for (let i = 0; i < 200 && !keys.trusted; i += 1) await sleep(10);
  if (!keys.trusted) throw new Error('Redis key tracking was not set up');
}

function signIns(store: TokenStore, keys?: KeyTracker): StoredTokens {
  return new StoredTokens(store, directory, new TokenUseRecorder(store), keys);
}

async function newToken(store: TokenStore) {
  return store.createPat({ user: 'octocat', scopes: ['read:packages'] });
}

beforeAll(async () => {
  redis = new Redis(requireEnv('TEST_REDIS_URL'));
  tracker = new KeyTracker(
    requireEnv('TEST_REDIS_URL'),
    [TOKEN_ID_PREFIX],
    createCrgateLogger('error'),
  );
  tracker.start();
  await trusted(tracker);
});
afterAll(async () => {
  tracker.stop();
  await redis.quit();
});

describe('StoredTokens', () => {
  it('reads a secret’s record once while Redis tells of changes to tokens', async () => {
    const store = new CountingStore(redis);
    const { secret, record } = await newToken(store);
    const tokens = signIns(store, tracker);

    const principals = [await tokens.principal(secret), await tokens.principal(secret)];

    expect(principals).toEqual([
      expect.objectContaining({ tokenId: record.id }),
      expect.objectContaining({ tokenId: record.id }),
    ]);
    expect(store.reads).toBe(1);
  });

  it('refuses a revoked token on the very next sign-in', async () => {
    const store = new CountingStore(redis);
    const { secret, record } = await newToken(store);
    const tokens = signIns(store, tracker);
    await tokens.principal(secret);

    await store.revoke(record.id);

    await expect(tokens.principal(secret)).rejects.toThrow(CredentialsError);
  });

  it('keeps nothing of a token whose id key is gone', async () => {
    const store = new CountingStore(redis);
    const { secret, record } = await newToken(store);
    const tokens = signIns(store, tracker);

    // What a revoke leaves between its first deletion and its second.
    await redis.del(`${TOKEN_ID_PREFIX}${record.id}`);
    await tokens.principal(secret);
    await tokens.principal(secret);

    expect(store.reads).toBe(2);
  });

  it('reads the record at every sign-in without key tracking', async () => {
    const store = new CountingStore(redis);
    const { secret } = await newToken(store);
    const tokens = signIns(store);

    await tokens.principal(secret);
    await tokens.principal(secret);

    expect(store.reads).toBe(2);
  });

  it('reads the record again once key tracking is lost', async () => {
    const store = new CountingStore(redis);
    const { secret } = await newToken(store);
    const own = new KeyTracker(
      requireEnv('TEST_REDIS_URL'),
      [TOKEN_ID_PREFIX],
      createCrgateLogger('error'),
    );
    own.start();
    await trusted(own);
    const tokens = signIns(store, own);
    await tokens.principal(secret);

    own.stop();
    await tokens.principal(secret);

    expect(store.reads).toBe(2);
  });
});
