import { readFileSync } from 'node:fs';

import { requireEnv } from './gateway';

/** How many lines of the run's real registry access log mention `text`. */
export function registrySaw(text: string): number {
  const log = readFileSync(requireEnv('TEST_REGISTRY_LOG'), 'utf8');
  return log.split('\n').filter((line) => line.includes(text)).length;
}

/** Polls `check` for up to about 2 s; the registry writes its log a moment after answering. */
export async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i += 1) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
