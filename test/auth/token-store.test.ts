import { Redis } from 'ioredis';

import { StoredTokens } from '../../src/auth/credentials';
import { mintToken } from '../../src/auth/token-format';
import { parseScopes, TokenStore, TokenStoreError } from '../../src/auth/token-store';
import type { PatRecord } from '../../src/auth/token-store';
import { TokenUseRecorder } from '../../src/auth/token-use';
import { FileDirectory } from '../../src/identity/file-directory';
import { requireEnv, TEST_DIRECTORY, writeDirectory } from '../harness/gateway';

describe('token store (real Redis)', () => {
  let redis: Redis;
  let store: TokenStore;

  beforeAll(() => {
    redis = new Redis(requireEnv('TEST_REDIS_URL'));
    store = new TokenStore(redis);
  });
  afterAll(() => redis.quit());

  it('finds a personal access token by its secret, and keeps only its hash', async () => {
    const { secret, record } = await store.createPat({
      user: 'Octocat',
      scopes: ['read:packages', 'write:packages'],
      note: 'ci',
    });

    const found = await store.lookup(secret);
    const stored = await redis.keys('crgate:rec:token*');
    const values = await Promise.all(stored.map((key) => redis.get(key)));

    expect(found).toEqual(record);
    expect(found).toMatchObject({ kind: 'pat', user: 'octocat', note: 'ci', ssoOrgs: [] });
    expect(JSON.stringify(values)).not.toContain(secret);
  });

  it('lists a user’s tokens and revokes one at once', async () => {
    // A login of its own: other test files share this Redis and create tokens too.
    const user = `listed-${Date.now().toString(36)}`;
    // A clock a millisecond on at every reading: two tokens made in the same millisecond
    // would be listed in the order of their ids, not the order they were made in.
    let now = Date.now();
    const ticking = new TokenStore(redis, () => (now += 1));
    const first = await ticking.createPat({ user, scopes: ['read:packages'] });
    const second = await ticking.createPat({ user, scopes: ['delete:packages'] });

    const before = await ticking.list(user);
    const revoked = await ticking.revoke(first.record.id);

    expect(before.map((record) => record.id)).toEqual([first.record.id, second.record.id]);
    expect(revoked).toBe(true);
    expect(await ticking.lookup(first.secret)).toBeUndefined();
    expect(await ticking.isLive(first.record.id)).toBe(false);
    expect(await ticking.isLive(second.record.id)).toBe(true);
    expect((await ticking.list(user)).map((record) => record.id)).toEqual([second.record.id]);
    expect(await ticking.revoke(first.record.id)).toBe(false);
  });

  it('treats an expired token as gone', async () => {
    const { secret, record } = await store.createPat({
      user: 'expiring',
      scopes: ['read:packages'],
      expiresInMs: 60_000,
    });
    const later = new TokenStore(redis, () => Date.now() + 120_000);

    expect(await store.lookup(secret)).toMatchObject({ id: record.id });
    expect(await later.lookup(secret)).toBeUndefined();
    expect(later.expired((await later.find(secret)) as PatRecord)).toBe(true);
    expect(await redis.pttl(`crgate:rec:token-id:${record.id}`)).toBeGreaterThan(0);
  });

  it('issues workflow tokens bound to one repository', async () => {
    const { secret } = await store.createWorkflowToken({
      repository: 'acme/web',
      permission: 'write',
      expiresInMs: 3_600_000,
    });

    expect(await store.lookup(secret)).toMatchObject({
      kind: 'workflow',
      repository: 'acme/web',
      permission: 'write',
    });
  });

  it('does not find a well-formed secret it never issued', async () => {
    expect(await store.lookup(mintToken('pat'))).toBeUndefined();
    expect(await store.lookup('not-a-token')).toBeUndefined();
  });
});

describe('signing in with an expired token', () => {
  it('says when the token expired', async () => {
    const redis = new Redis(requireEnv('TEST_REDIS_URL'));
    const { secret } = await new TokenStore(redis).createPat({
      user: 'octocat',
      scopes: ['read:packages'],
      expiresInMs: 60_000,
    });
    const later = new TokenStore(redis, () => Date.now() + 120_000);
    const directory = FileDirectory.load(writeDirectory(TEST_DIRECTORY));

    const uses = new TokenUseRecorder(later);
    const signIn = new StoredTokens(later, directory, uses).principal(secret);

    await expect(signIn).rejects.toThrow(/^this token expired on \d{4}-\d\d-\d\dT/);
    await redis.quit();
  });
});

describe('parseScopes', () => {
  it('accepts the package scopes and repo, once each', () => {
    expect(parseScopes('read:packages,write:packages read:packages repo')).toEqual([
      'read:packages',
      'write:packages',
      'repo',
    ]);
  });

  it('refuses an unknown scope', () => {
    expect(() => parseScopes('read:packages,admin:org')).toThrow(TokenStoreError);
  });
});
