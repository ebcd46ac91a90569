import { readFileSync } from 'node:fs';

import { requireEnv } from './gateway';

/** How many lines of the run's real registry access log mention `text`. */
export function registrySaw(text: string): number {
  const log = readFileSync(requireEnv('TEST_REGISTRY_LOG'), 'utf8');
  return log.split('\n').filter((line) => line.includes(text)).length;
}

/**
 * How many requests for a path starting with `pathPrefix` the registry's access log holds:
 * one line each (`"GET /v2/... HTTP/1.1"`), where its application log may add more.
 */
export function registryRequests(pathPrefix: string): number {
  const log = readFileSync(requireEnv('TEST_REGISTRY_LOG'), 'utf8');
  const requestLine = new RegExp(`"[A-Z]+ ${pathPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  return log.split('\n').filter((line) => requestLine.test(line)).length;
}

/** Polls `check` for up to about 2 s; the registry writes its log a moment after answering. */
export async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
