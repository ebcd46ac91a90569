import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/**
 * A real browser for the page tests: Debian's chromium (deploy/local/prerequisites.sh test
 * installs it), driven by playwright-core, which downloads no browser of its own. Every host
 * name resolves to loopback, so `localhost:PORT`, `containers.localhost:PORT` and a foreign
 * site such as `evil.example:PORT` all reach servers of the test.
 */
export const CHROMIUM_PATH = process.env.CRGATE_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // The sandbox needs privileges a test machine running as root does not grant chromium.
    args: ['--no-sandbox', '--host-resolver-rules=MAP * 127.0.0.1', '--no-proxy-server'],
  });
}

/** Screenshots and other files a run leaves for people to look at; git ignores the folder. */
export const ARTIFACTS_DIR = path.resolve(__dirname, '../../test-artifacts');

export async function artifactPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}
