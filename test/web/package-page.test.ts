import type { Browser, BrowserContext, Page } from 'playwright-core';

import { artifactPath, launchBrowser, useForeignForm } from '../harness/browser';
import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_MANIFEST } from '../harness/registry-client';
import { DESCRIPTION, LICENSES, publishImage, uniqueName } from './published';

/**
 * The package pages in a real browser (chromium), as a person sees them: what the page
 * shows, that a hostile description stays text, that the CSP lets the page's own stylesheet
 * in and nothing complains, that signing in through the form shows a private package and
 * signing out hides it again, and that a form on another site cannot sign anyone in.
 */
const HOSTILE = 'Serves <script>alert(1)</script> pages';

let gw: TestGateway;
let browser: Browser;
let publicName: string;
let privateName: string;
let digest: string;

beforeAll(async () => {
  gw = await startGateway();
  browser = await launchBrowser();
  publicName = uniqueName('web');
  privateName = uniqueName('secret');
  ({ digest } = await publishImage(gw.client, `octocat/${publicName}`, 'latest', {
    [DESCRIPTION]: HOSTILE,
    [LICENSES]: 'MIT',
  }));
  await gw.gateway.packages.update(`octocat/${publicName}`, { visibility: 'public' });
  await publishImage(gw.client, `octocat/${privateName}`, '2.0', { [DESCRIPTION]: 'Private' });
  await gw.client
    .get(`/v2/octocat/${publicName}/manifests/latest`)
    .set('Accept', OCI_MANIFEST)
    .expect(200);
  // The registry origin counts a pull after answering it; wait for the count, not a time.
  while (((await gw.gateway.packages.downloads(`octocat/${publicName}`))[digest] ?? 0) < 1);
});
afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

const packageUrl = (name: string) =>
  `http://${gw.webHost}/users/octocat/packages/container/package/${encodeURIComponent(name)}`;

/** A fresh browser profile that records dialogs and console errors. */
async function open(options: Parameters<Browser['newContext']>[0] = {}) {
  const context = await browser.newContext(options);
  // No time limit of Playwright's own: jest's bound for the test is the only one.
  context.setDefaultTimeout(0);
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, dialogs, errors };
}

let context: BrowserContext | undefined;
afterEach(async () => {
  await context?.close();
  context = undefined;
});

describe('a public package page', () => {
  let page: Page;
  let dialogs: string[];
  let errors: string[];
  let csp: string | undefined;

  beforeEach(async () => {
    ({ context, page, dialogs, errors } = await open());
    const response = await page.goto(packageUrl(publicName));
    csp = response?.headers()['content-security-policy'];
    expect(response?.status()).toBe(200);
  });

  it('shows the name, and the description as text with no script run', async () => {
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      publicName,
    );
    await expect(page.locator('p.description').textContent()).resolves.toBe(HOSTILE);
    expect(await page.locator('script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('shows the license, the pull commands and the versions with their downloads', async () => {
    const details = await page.getByRole('complementary').innerText();
    const commands = await page.locator('pre.command').allInnerTexts();
    const [version] = await gw.gateway.packages.versions(`octocat/${publicName}`);
    const cells = await page.locator(`#version-${version?.id} td`).allInnerTexts();

    expect(details).toMatch(/License\s+MIT/);
    expect(commands).toEqual([
      `docker pull ${gw.registryHost}/octocat/${publicName}:latest`,
      `docker pull ${gw.registryHost}/octocat/${publicName}@${digest}`,
    ]);
    expect(cells[0]).toBe('latest');
    expect(cells[1]).toBe(`${digest.slice(0, 19)}…`);
    expect(cells[4]).toBe('1');
  });

  it('is styled by its own stylesheet under the CSP, with no console errors', async () => {
    // Evaluated in the page; a string, since the tests compile without the DOM's types.
    const margin = await page.evaluate<string>('getComputedStyle(document.body).margin');

    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'self'");
    expect(margin).toBe('0px');
    expect(errors).toEqual([]);
  });

  it('starts keyboard navigation with a link that skips to the content', async () => {
    await page.keyboard.press('Tab');

    await expect(page.locator(':focus').textContent()).resolves.toBe('Skip to content');
  });

  it('leaves screenshots of the page, full size and on a phone', async () => {
    const desktop = await artifactPath('package-page.png');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: desktop, fullPage: true });

    const phone = await open({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.page.goto(packageUrl(publicName));
    const phoneShot = await artifactPath('package-page-phone.png');
    await phone.page.screenshot({ path: phoneShot, fullPage: true });
    const overflow = await phone.page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    await phone.context.close();

    console.log(`package page screenshots: ${desktop} and ${phoneShot}`);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

describe('a private package page', () => {
  it('is not found anonymously, shows after signing in, and hides after signing out', async () => {
    const opened = await open();
    ({ context } = opened);
    const { page } = opened;
    const password = await gw.createToken('octocat', ['read:packages']);

    const anonymous = await page.goto(packageUrl(privateName));
    expect(anonymous?.status()).toBe(404);
    await page.getByRole('link', { name: 'Sign in' }).first().click();
    await page.getByLabel('Username').fill('octocat');
    await page.screenshot({ path: await artifactPath('sign-in.png') });
    await page.getByLabel('Personal access token').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(packageUrl(privateName));
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      privateName,
    );
    await expect(page.locator('header').innerText()).resolves.toContain('Signed in as octocat');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`http://${gw.webHost}/`);
    const after = await page.goto(packageUrl(privateName));
    expect(after?.status()).toBe(404);
    // Chromium logs each 404 answer as a failed resource; those 404s are the point here.
    expect(opened.errors.filter((text) => !text.includes('404'))).toEqual([]);
  });
});

describe('a sign-in form on another site', () => {
  const evil = useForeignForm(() => `http://${gw.webHost}/login`, {
    login: 'octocat',
    password: 'x',
  });

  it('is refused with 403 and signs no one in', async () => {
    const opened = await open();
    ({ context } = opened);
    await opened.page.goto(evil.url);

    const [response] = await Promise.all([
      opened.page.waitForResponse(`http://${gw.webHost}/login`),
      opened.page.getByRole('button', { name: 'Go' }).click(),
    ]);

    expect(response.status()).toBe(403);
    expect(response.headers()['set-cookie'] ?? '').not.toContain('crgate_session');
    await expect(opened.page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Form refused',
    );
  });
});
