import { startGateway } from './gateway';
import type { TestGateway } from './gateway';
import { startRedis } from './services';
import type { Service } from './services';

/**
 * A gateway for the purge's tests, started before the file's tests and closed after them: on
 * a Redis of its own, so the purge sees no other test's deletions, with a restore window of
 * zero, so every deletion is due at once, and no purge but the one a test runs.
 */
export function usePurgingGateway(): { readonly gw: TestGateway } {
  let redis: Service | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startGateway({
      CRGATE_REDIS_URL: redis.url,
      CRGATE_RESTORE_WINDOW_SECONDS: '0',
      CRGATE_PURGE_INTERVAL_SECONDS: '0',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });
  return {
    get gw(): TestGateway {
      if (!gw) throw new Error('the gateway starts in beforeAll');
      return gw;
    },
  };
}
