import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { FailureLimiter } from '../../src/auth/rate-limit';
import { requireEnv } from '../harness/gateway';

/**
 * The failure limiter against a real Redis, two limiters standing for two replicas. An
 * address found under its limit is not asked about again for a moment; failures this replica
 * counts end that at once, failures other replicas count once the moment has passed.
 */
const LIMITS = { perAddressPerMinute: 3, perUserPerMinute: 100 };
// crgate's own; the failures elsewhere must be counted well within it.
const MEMO_MS = 1_000;

let redis: Redis;

beforeAll(() => {
  redis = new Redis(requireEnv('TEST_REDIS_URL'));
});
afterAll(() => redis.quit());

// An address of its own per test: other test files share this Redis.
const freshAddress = () => `address-${randomUUID()}`;

// Each failure in the name of a username of its own, whose counter no other test reads.
async function fail(limiter: FailureLimiter, address: string, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) await limiter.recordFailure(address, `user-${randomUUID()}`);
}

describe('FailureLimiter', () => {
  it('blocks an address on the next check once this replica counted its failures', async () => {
    const limiter = new FailureLimiter(redis, LIMITS, MEMO_MS);
    const address = freshAddress();
    const before = await limiter.blocked(address);

    await fail(limiter, address, 3);

    expect(before).toBeUndefined();
    expect(await limiter.blocked(address)).toBeGreaterThan(0);
  });

  it('hears of failures another replica counted once its memo of the address expires', async () => {
    const here = new FailureLimiter(redis, LIMITS, MEMO_MS);
    const elsewhere = new FailureLimiter(redis, LIMITS, MEMO_MS);
    const address = freshAddress();
    await here.blocked(address);

    await fail(elsewhere, address, 3);
    const meanwhile = await here.blocked(address);
    await sleep(MEMO_MS + 50);

    expect(meanwhile).toBeUndefined();
    expect(await here.blocked(address)).toBeGreaterThan(0);
  });

  it('asks Redis every time when its memo is off', async () => {
    const here = new FailureLimiter(redis, LIMITS, 0);
    const elsewhere = new FailureLimiter(redis, LIMITS, MEMO_MS);
    const address = freshAddress();
    await here.blocked(address);

    await fail(elsewhere, address, 3);

    expect(await here.blocked(address)).toBeGreaterThan(0);
  });

  it('keeps addresses apart', async () => {
    const limiter = new FailureLimiter(redis, LIMITS, MEMO_MS);
    const [guesser, neighbour] = [freshAddress(), freshAddress()];

    await fail(limiter, guesser, 3);

    expect(await limiter.blocked(guesser)).toBeGreaterThan(0);
    expect(await limiter.blocked(neighbour)).toBeUndefined();
  });
});
