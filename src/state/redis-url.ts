import type { RedisOptions } from 'ioredis';

/**
 * Where Redis is, as one URL:
 * - `redis://` or `rediss://` for a single server (ioredis reads these itself);
 * - `redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]` for Redis Sentinel,
 *   which ioredis follows through fail-overs;
 * - `redis+cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...]` for Redis Cluster, from which
 *   ioredis learns the rest of the nodes.
 */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export type RedisTarget =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'sentinel'; readonly options: RedisOptions }
  | { readonly kind: 'cluster'; readonly nodes: RedisNode[]; readonly options: RedisOptions };

const SENTINEL = /^redis\+sentinel:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/@]+)\/([^/?#]+)(?:\/(\d+))?$/;
const CLUSTER = /^redis\+cluster:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^/@]+)\/?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):(\d{1,5})$/;

function nodes(list: string): RedisNode[] {
  return list.split(',').map((entry) => {
    const match = HOST_PORT.exec(entry.trim());
    if (!match) throw new RedisUrlError(`"${entry}" is not host:port`);
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  });
}

function password(raw: string | undefined): RedisOptions {
  return raw ? { password: decodeURIComponent(raw) } : {};
}

function sentinel(url: string): RedisTarget {
  const match = SENTINEL.exec(url);
  if (!match) throw new RedisUrlError('is not redis+sentinel://HOST:PORT[,HOST:PORT]/MASTER[/DB]');
  const [, secret, hosts, master, db] = match;
  const options: RedisOptions = {
    sentinels: nodes(hosts as string),
    name: decodeURIComponent(master as string),
    ...password(secret),
    ...(db ? { db: Number(db) } : {}),
  };
  return { kind: 'sentinel', options };
}

function cluster(url: string): RedisTarget {
  const match = CLUSTER.exec(url);
  if (!match) throw new RedisUrlError('is not redis+cluster://HOST:PORT[,HOST:PORT]');
  return { kind: 'cluster', nodes: nodes(match[2] as string), options: password(match[1]) };
}

/** How to reach Redis; throws RedisUrlError for a URL crgate cannot use. */
export function redisTarget(url: string): RedisTarget {
  if (url.startsWith('redis+sentinel:')) return sentinel(url);
  if (url.startsWith('redis+cluster:')) return cluster(url);
  const protocol = new URL(url).protocol;
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new RedisUrlError(
      'must start with redis://, rediss://, redis+sentinel:// or redis+cluster://',
    );
  }
  return { kind: 'url', url };
}
