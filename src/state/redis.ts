import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'winston';

import { redisOptions } from './redis-url';

/**
 * The Redis connection. Commands fail fast while Redis is away instead of queueing without
 * bound, so a request that needs Redis gets an answer rather than a hang.
 */
export function connectRedis(url: string, logger: Logger): Redis {
  const behaviour: RedisOptions = {
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    enableOfflineQueue: true,
    lazyConnect: false,
  };
  const where = redisOptions(url);
  const redis =
    typeof where === 'string' ? new Redis(where, behaviour) : new Redis({ ...where, ...behaviour });
  let lastError = '';
  redis.on('error', (error: NodeJS.ErrnoException) => {
    // ioredis retries on its own; say so once per distinct failure, not once per retry.
    const reason = error.code ?? error.message;
    if (reason !== lastError) logger.warn('redis unavailable', { reason });
    lastError = reason;
  });
  redis.on('ready', () => {
    if (lastError) logger.info('redis available again');
    lastError = '';
  });
  return redis;
}
