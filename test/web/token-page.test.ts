import { artifactPath, useBrowserGateway } from '../harness/browser';

/**
 * The token pages in a real browser (chromium): GitHub's `?scopes=write:packages` link opens
 * the form with that scope chosen, the form creates a token through the sign-in session, and
 * the Copy button puts the new token on the clipboard under the page's CSP without a
 * complaint. Screenshots of the form and of the new token go to test-artifacts/.
 */
const web = useBrowserGateway();

it('creates a write:packages token from GitHub’s link and copies it', async () => {
  const password = await web.gw.createToken('mona', ['read:packages', 'write:packages']);
  const context = await web.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: `http://${web.gw.webHost}`,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    // crgate serves no icon; Chromium asks for /favicon.ico all the same.
    if (message.location().url.endsWith('/favicon.ico')) return;
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(`http://${web.gw.webHost}/settings/tokens/new?scopes=write:packages`);
  await page.getByLabel('Username').fill('mona');
  await page.getByLabel('Personal access token').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Note').fill('pushes from CI');
  await page.screenshot({ path: await artifactPath('tokens-new.png'), fullPage: true });

  expect(await page.getByLabel('write:packages').isChecked()).toBe(true);
  expect(await page.getByLabel('read:packages').isChecked()).toBe(false);

  await page.getByRole('button', { name: 'Generate token' }).click();
  const field = page.locator('#new-token');
  const secret = await field.inputValue();
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.getByText('Copied.').waitFor();
  await page.screenshot({ path: await artifactPath('tokens-created.png'), fullPage: true });

  expect(secret).toMatch(/^ghp_[0-9A-Za-z]{36}$/);
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
  expect(await web.gw.gateway.tokens.lookup(secret)).toMatchObject({
    user: 'mona',
    note: 'pushes from CI',
    scopes: ['write:packages'],
  });
  expect(errors).toEqual([]);
});

it('shows the new token without JavaScript, and no Copy button', async () => {
  const password = await web.gw.createToken('hubot', ['read:packages']);
  const context = await web.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();

  await page.goto(`http://${web.gw.webHost}/settings/tokens/new?scopes=read:packages`);
  await page.getByLabel('Username').fill('hubot');
  await page.getByLabel('Personal access token').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Note').fill('no script');
  await page.getByRole('button', { name: 'Generate token' }).click();

  expect(await page.locator('#new-token').inputValue()).toMatch(/^ghp_/);
  expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(0);
});
