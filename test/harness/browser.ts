import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';

import { startGateway } from './gateway';
import type { TestGateway } from './gateway';

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

/**
 * A gateway and a chromium for one test file, started before its tests and closed after them,
 * and browser profiles that each last one test.
 */
export function useBrowserGateway() {
  let gw: TestGateway | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  beforeAll(async () => {
    gw = await startGateway();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  return {
    get gw(): TestGateway {
      if (!gw) throw new Error('the gateway starts in beforeAll');
      return gw;
    },
    /** A fresh browser profile, closed after the test. */
    async newContext(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext> {
      if (!browser) throw new Error('chromium starts in beforeAll');
      context = await browser.newContext(options);
      // No time limit of Playwright's own: jest's bound for the test is the only one.
      context.setDefaultTimeout(0);
      return context;
    },
  };
}

/**
 * A form of another site, evil.example, that posts `fields` to `action` without crgate's CSRF
 * token when its Go button is pressed: served from a loopback port of its own while the file's
 * tests run. `url` is its address as chromium reaches it.
 */
export function useForeignForm(
  action: () => string,
  fields: Readonly<Record<string, string>>,
): { readonly url: string } {
  let server: http.Server | undefined;
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input name="${name}" value="${value}">`)
    .join('');
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><form method="post" action="${action()}">
${inputs}<button type="submit">Go</button></form>`);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  });
  afterAll(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );
  return {
    get url(): string {
      const { port } = server?.address() as AddressInfo;
      return `http://evil.example:${port}/`;
    },
  };
}
