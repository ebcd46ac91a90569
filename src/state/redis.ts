import { Cluster, MaxRetriesPerRequestError, Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'winston';

import { redisTarget } from './redis-url';

/**
 * The Redis connection: one server, a Sentinel-watched master, or a Redis Cluster. Every key
 * a command or transaction touches together shares a hash tag, so all three work alike.
 * Commands fail fast while Redis is away instead of queueing without bound, so a request that
 * needs Redis gets an answer rather than a hang.
 */
export type RedisClient = Redis | Cluster;

const BEHAVIOUR: RedisOptions = {
  // Commands issued in the same tick go out in one write: under load, one syscall for many
  // requests' lookups instead of one each.
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  // Reconnect at least every half second while Redis is away: ioredis's own back-off grows to
  // 2 s, and each command waits out a reconnect attempt before it fails.
  retryStrategy: (attempts: number) => Math.min(attempts * 100, 500),
  enableOfflineQueue: true,
  lazyConnect: false,
};

function connect(url: string): RedisClient {
  const target = redisTarget(url);
  if (target.kind === 'url') return new Redis(target.url, BEHAVIOUR);
  if (target.kind === 'sentinel') return new Redis({ ...target.options, ...BEHAVIOUR });
  return new Cluster(target.nodes, {
    redisOptions: { ...target.options, ...BEHAVIOUR },
    enableAutoPipelining: true,
    enableOfflineQueue: true,
  });
}

export function connectRedis(url: string, logger: Logger): RedisClient {
  const redis = connect(url);
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

/**
 * Whether a failed command failed because Redis is away, not for a reason of its own: ioredis
 * gave up retrying it, or the connection is not up. Such a failure is a 503, never a 500.
 */
export function isRedisOutage(error: unknown, redis: RedisClient): boolean {
  return error instanceof MaxRetriesPerRequestError || redis.status !== 'ready';
}
