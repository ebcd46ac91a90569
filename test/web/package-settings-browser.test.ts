import { artifactPath, useBrowserGateway } from '../harness/browser';
import { ALL_SCOPES } from '../harness/gateway';
import { publishImage, uniqueName } from './published';

/**
 * A package's settings page in a real browser (chromium): signing in leads back to it, its
 * labelled controls make a package public once its name is typed, with no script and no
 * console error, and it fits a phone. Screenshots go to test-artifacts/.
 */
const web = useBrowserGateway();

const settingsUrl = (name: string) =>
  `http://${web.gw.webHost}/users/octocat/packages/container/${encodeURIComponent(name)}/settings`;

async function signedInPage(name: string, viewport = { width: 1280, height: 800 }) {
  const context = await web.newContext({ viewport, isMobile: viewport.width < 500 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    // Chromium asks for /favicon.ico on its own; crgate has none, and that 404 is not the page's.
    const favicon = message.location().url.endsWith('/favicon.ico');
    if (message.type() === 'error' && !favicon) errors.push(message.text());
  });
  const password = await web.gw.createToken('octocat', ALL_SCOPES);

  const returnTo = new URL(settingsUrl(name)).pathname;
  await page.goto(`http://${web.gw.webHost}/login?return_to=${encodeURIComponent(returnTo)}`);
  await page.getByLabel('Username').fill('octocat');
  await page.getByLabel('Personal access token').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(settingsUrl(name));
  return { page, errors };
}

describe('the package settings page', () => {
  it('makes a package public through its form once the name is typed', async () => {
    const name = uniqueName('browser-public');
    await publishImage(web.gw.client, `octocat/${name}`, '1.0');
    const { page, errors } = await signedInPage(name);

    await page.getByLabel('public', { exact: true }).check();
    await page.getByLabel(/To make it public, type/).fill(name);
    await page.screenshot({ path: await artifactPath('package-settings.png'), fullPage: true });
    await page.getByRole('button', { name: 'Change visibility' }).click();
    await page.waitForURL(`${settingsUrl(name)}?done=visibility`);

    await expect(page.getByRole('status').textContent()).resolves.toBe('Visibility changed.');
    await expect(page.getByLabel('public', { exact: true }).isChecked()).resolves.toBe(true);
    expect((await web.gw.gateway.packages.get(`octocat/${name}`))?.record.visibility).toBe(
      'public',
    );
    expect(await page.locator('script').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('names every button for a screen reader and fits a phone', async () => {
    const name = uniqueName('browser-phone');
    await publishImage(web.gw.client, `octocat/${name}`, '1.0');
    await publishImage(web.gw.client, `octocat/${name}`, '2.0');
    await web.gw.gateway.packages.setRole(
      `octocat/${name}`,
      { kind: 'user', name: 'mona' },
      'read',
    );
    const { page } = await signedInPage(name, { width: 390, height: 844 });

    const phoneShot = await artifactPath('package-settings-phone.png');
    await page.screenshot({ path: phoneShot, fullPage: true });
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );

    await expect(page.getByRole('button', { name: 'Remove mona' }).count()).resolves.toBe(1);
    await expect(
      page.getByRole('button', { name: /^Delete version sha256:/ }).count(),
    ).resolves.toBe(2);
    await expect(page.getByRole('combobox', { name: 'Role of mona' }).inputValue()).resolves.toBe(
      'read',
    );
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
