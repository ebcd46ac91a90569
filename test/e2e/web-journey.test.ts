import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import type { Page } from 'playwright-core';

import { artifactPath, useBrowserGateway, useForeignForm } from '../harness/browser';
import { ALL_SCOPES } from '../harness/gateway';
import { buildSingleImage, makeTempDir, removeDir } from '../harness/images';
import type { OciImage } from '../harness/images';
import { run } from '../harness/tools';

/**
 * A person's way through the web origin, with real clients: chromium signs in and follows
 * GitHub's `?scopes=write:packages` link to make a token, skopeo pushes with it, the package's
 * settings page makes the package public, skopeo pulls it with no credentials, the token page
 * revokes the token, and skopeo's next push with it is refused. A form on another site cannot
 * make a token. Each page leaves a screenshot in test-artifacts/.
 */
jest.setTimeout(300_000);

const started = useBrowserGateway();
let workDir: string;
let image: OciImage;

beforeAll(async () => {
  workDir = await makeTempDir('crgate-web-journey-');
  image = await buildSingleImage(path.join(workDir, 'image'));
});
afterAll(() => removeDir(workDir));

const name = `journey-${randomUUID().slice(0, 8)}`;
const web = (pathname: string) => `http://${started.gw.webHost}${pathname}`;
const remote = (tag: string) => `docker://${started.gw.registryHost}/octocat/${name}:${tag}`;

/** skopeo pushes the test image as `tag`, signed in with `token`; resolves with its digest. */
async function push(tag: string, token: string): Promise<string> {
  const digestFile = path.join(workDir, `digest-${tag}`);
  await run('skopeo', [
    '--insecure-policy',
    'copy',
    '--dest-tls-verify=false',
    '--dest-creds',
    `octocat:${token}`,
    '--digestfile',
    digestFile,
    image.ref,
    remote(tag),
  ]);
  return (await readFile(digestFile, 'utf8')).trim();
}

async function shot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: await artifactPath(file), fullPage: true });
}

test('a token from GitHub’s link pushes, the settings page publishes, a revoke stops it', async () => {
  const signInToken = await started.gw.createToken('octocat', ALL_SCOPES);
  const context = await started.newContext();
  const page = await context.newPage();

  await page.goto(web('/settings/tokens/new?scopes=write:packages'));
  await page.getByLabel('Username').fill('octocat');
  await page.getByLabel('Personal access token').fill(signInToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Note').fill('journey push');
  const chosen = await Promise.all(
    ALL_SCOPES.map((scope) => page.getByLabel(scope, { exact: true }).isChecked()),
  );
  await shot(page, 'journey-1-new-token.png');
  await page.getByRole('button', { name: 'Generate token' }).click();
  const secret = await page.locator('#new-token').inputValue();
  await shot(page, 'journey-2-token-created.png');

  expect(chosen).toEqual([false, true, false]);

  const digest = await push('1.0', secret);
  await page.goto(web(`/users/octocat/packages/container/package/${name}`));
  await page.getByRole('link', { name: 'Package settings' }).click();
  await page.getByLabel('public', { exact: true }).check();
  await page.getByLabel(/To make it public, type/).fill(name);
  await page.getByRole('button', { name: 'Change visibility' }).click();
  await page.getByRole('status').waitFor();
  await shot(page, 'journey-3-package-public.png');
  const anonymous = await run('skopeo', [
    'inspect',
    '--tls-verify=false',
    '--no-creds',
    '--format',
    '{{.Digest}}',
    remote('1.0'),
  ]);

  expect(anonymous.stdout.trim()).toBe(digest);

  await page.goto(web('/settings/tokens'));
  await page.getByRole('button', { name: 'Revoke journey push' }).click();
  await page.getByText('The token was revoked. It no longer works.').waitFor();
  await shot(page, 'journey-4-token-revoked.png');
  const refused = await push('2.0', secret).catch((error: Error) => error);

  expect(refused).toBeInstanceOf(Error);
  expect(String(refused)).toMatch(/unauthorized|authentication required/i);
});

describe('a token form on another site', () => {
  // It asks crgate for a token in the name of whoever is signed in.
  const evil = useForeignForm(() => web('/settings/tokens'), {
    note: 'stolen',
    scopes: 'write:packages',
    expiration: 'none',
  });

  it('is refused with 403 and makes no token, though the viewer is signed in', async () => {
    const context = await started.newContext();
    const page = await context.newPage();
    await page.goto(web('/login'));
    await page.getByLabel('Username').fill('hubot');
    await page
      .getByLabel('Personal access token')
      .fill(await started.gw.createToken('hubot', ALL_SCOPES));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(web('/'));
    const before = await started.gw.gateway.tokens.list('hubot');
    await page.goto(evil.url);

    const [response] = await Promise.all([
      page.waitForResponse(web('/settings/tokens')),
      page.getByRole('button', { name: 'Go' }).click(),
    ]);

    expect(response.status()).toBe(403);
    expect((await started.gw.gateway.tokens.list('hubot')).length).toBe(before.length);
  });
});
