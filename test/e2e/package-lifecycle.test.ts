import { randomUUID } from 'node:crypto';

import type { Browser, Page } from 'playwright-core';

import { allPages, restOf } from '../api/rest';
import { artifactPath, launchBrowser } from '../harness/browser';
import { useDockerSession } from '../harness/docker-session';
import { skopeoDigest } from '../harness/tools';

/**
 * The whole story of a package with real clients: docker pushes an image with labels, the
 * REST API lists it, chromium shows it on its page once signed in, a token without
 * `delete:packages` cannot delete a version and one with it can, docker then cannot pull it
 * and the page no longer lists it, a restore brings it back and docker pulls the same digest.
 */
jest.setTimeout(300_000);

const suffix = randomUUID().slice(0, 8);
const started = useDockerSession('crgate-package-lifecycle-');

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Signs octocat in through the sign-in form and opens the package's page. */
async function signedInPage(name: string, password: string) {
  const { gateway: gw } = started();
  const context = await browser.newContext();
  // No time limit of Playwright's own: jest's bound for the test is the only one.
  context.setDefaultTimeout(0);
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const url = `http://${gw.webHost}/users/octocat/packages/container/package/${name}`;
  await page.goto(
    `http://${gw.webHost}/login?return_to=${encodeURIComponent(new URL(url).pathname)}`,
  );
  await page.getByLabel('Username').fill('octocat');
  await page.getByLabel('Personal access token').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(url);
  return { page, dialogs };
}

/** The tags column of the versions table, one entry per version. */
function shownTags(page: Page): Promise<string[]> {
  return page.locator('table tbody tr td:first-child').allInnerTexts();
}

const DESCRIPTION = 'A greeting <script>alert("owned")</script> & more';

function api(path: string, token: string, method: 'get' | 'delete' | 'post' | 'patch' = 'get') {
  const { gateway: gw } = started();
  return gw.http[method](`/api/v3${path}`)
    .set('Host', gw.webHost)
    .set('Authorization', `Bearer ${token}`);
}

interface VersionJson {
  id: number;
  name: string;
  metadata: { container: { tags: string[] } };
}

test('push, list, delete a version, fail to pull it, restore it, pull the same digest', async () => {
  const { dockerd, gateway: gw } = started();
  const name = `lifecycle-${suffix}`;
  const repository = `octocat/${name}`;
  const labels = {
    'org.opencontainers.image.source': 'http://localhost/octocat/hello',
    'org.opencontainers.image.description': DESCRIPTION,
    'org.opencontainers.image.licenses': 'MIT',
  };
  const first = await started().buildAndPush(repository, '1.0', labels);
  await started().buildAndPush(repository, '2.0', labels);
  const readToken = await gw.createToken('octocat', ['read:packages']);
  const deleteToken = await gw.createToken('octocat', ['read:packages', 'delete:packages']);
  const writeToken = await gw.createToken('octocat', ['write:packages']);

  const listed = (
    await allPages<{ name: string }>(
      restOf(gw),
      '/user/packages?package_type=container&per_page=100',
      readToken,
    )
  ).map((p) => p.name);
  const pkg = await api(`/user/packages/container/${name}`, readToken).expect(200);
  const versions = await api(`/user/packages/container/${name}/versions`, readToken).expect(200);
  const version = (versions.body as VersionJson[]).find((v) => v.name === first.digest);
  if (!version) throw new Error(`no version ${first.digest} in ${JSON.stringify(versions.body)}`);

  expect(listed).toContain(name);
  expect(pkg.body).toMatchObject({
    name,
    package_type: 'container',
    visibility: 'private',
    version_count: 2,
    owner: { login: 'octocat' },
    repository: { full_name: 'octocat/hello' },
  });
  expect(version.metadata.container.tags).toEqual(['1.0']);

  const { page, dialogs } = await signedInPage(name, readToken);

  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(name);
  await expect(page.locator('p.description').textContent()).resolves.toBe(DESCRIPTION);
  await expect(page.getByRole('complementary').innerText()).resolves.toMatch(/License\s+MIT/);
  expect((await shownTags(page)).sort()).toEqual(['1.0', '2.0']);
  await page.screenshot({ path: await artifactPath('package-lifecycle.png'), fullPage: true });

  const versionPath = `/user/packages/container/${name}/versions/${version.id}`;
  await api(versionPath, readToken, 'delete').expect(403);
  await api(versionPath, deleteToken, 'delete').expect(204);
  await dockerd.docker(['rmi', first.image]);
  const refused = await dockerd.docker(['pull', first.image]).catch((error: Error) => error);

  expect(refused).toBeInstanceOf(Error);
  expect(String(refused)).toMatch(/manifest unknown/i);
  await page.reload();
  await expect(shownTags(page)).resolves.toEqual(['2.0']);

  await api(`${versionPath}/restore`, readToken, 'post').expect(403);
  await api(`${versionPath}/restore`, writeToken, 'post').expect(204);
  const pulled = await dockerd.docker(['pull', first.image]);

  expect(pulled.stdout).toContain(`Digest: ${first.digest}`);
  expect(await skopeoDigest(first.image, 'octocat', gw.ownerToken)).toBe(first.digest);
  await page.reload();
  expect((await shownTags(page)).sort()).toEqual(['1.0', '2.0']);
  expect(dialogs).toEqual([]);
  await page.context().close();
});
