import type { RedisOptions } from 'ioredis';

/**
 * Where Redis is, as one URL: `redis://` or `rediss://` for a single server, or
 * `redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]` for Redis Sentinel, which
 * ioredis follows through fail-overs. (ioredis reads the first two forms itself.)
 */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

const SENTINEL = /^redis\+sentinel:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/@]+)\/([^/?#]+)(?:\/(\d+))?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):(\d{1,5})$/;

function sentinels(list: string): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const match = HOST_PORT.exec(entry.trim());
    if (!match) throw new RedisUrlError(`"${entry}" is not host:port`);
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  });
}

/** Connection options for ioredis; throws RedisUrlError for a URL it cannot use. */
export function redisOptions(url: string): RedisOptions | string {
  if (!url.startsWith('redis+sentinel:')) {
    const protocol = new URL(url).protocol;
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      throw new RedisUrlError('must start with redis://, rediss:// or redis+sentinel://');
    }
    return url;
  }

  const match = SENTINEL.exec(url);
  if (!match) throw new RedisUrlError('is not redis+sentinel://HOST:PORT[,HOST:PORT]/MASTER[/DB]');
  const [, password, hosts, master, db] = match;
  return {
    sentinels: sentinels(hosts as string),
    name: decodeURIComponent(master as string),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    ...(db ? { db: Number(db) } : {}),
  };
}
