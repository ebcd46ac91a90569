import { startRedis, startRegistry } from './services';
import type { Service } from './services';

/**
 * Starts one real registry and one real Redis for the whole run. Their addresses reach the
 * test files through the environment, which jest's workers inherit.
 */
declare global {
  var crgateServices: Service[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const [registry, redis] = await Promise.all([startRegistry(), startRedis()]);
  globalThis.crgateServices = [registry, redis];
  process.env.TEST_REGISTRY_URL = registry.url;
  process.env.TEST_REGISTRY_LOG = registry.logFile;
  process.env.TEST_REDIS_URL = redis.url;
}
