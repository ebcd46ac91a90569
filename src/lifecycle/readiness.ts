import http from 'node:http';
import https from 'node:https';

import type { RedisClient } from '../state/redis';

/** Whether crgate can serve: the registry answers and Redis answers, each within a bound. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<'registry' | 'redis', string>>;
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in time`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The registry is reachable when its base endpoint answers at all below 500 (401 included). */
function pingRegistry(registryUrl: URL, agent: http.Agent): Promise<string> {
  const get = registryUrl.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(new URL('/v2/', registryUrl), { agent }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status < 500) resolve('ok');
      else reject(new Error(`answered ${status}`));
    });
    req.on('error', reject);
  });
}

async function check(probe: () => Promise<unknown>, what: string): Promise<string> {
  try {
    await withTimeout(probe(), what);
    return 'ok';
  } catch (error) {
    return (error as Error).message || 'failed';
  }
}

export async function checkReadiness(
  registryUrl: URL,
  agent: http.Agent,
  redis: RedisClient,
): Promise<Readiness> {
  const [registry, redisState] = await Promise.all([
    check(() => pingRegistry(registryUrl, agent), 'the registry'),
    check(() => redis.ping(), 'redis'),
  ]);
  return {
    ready: registry === 'ok' && redisState === 'ok',
    checks: { registry, redis: redisState },
  };
}
