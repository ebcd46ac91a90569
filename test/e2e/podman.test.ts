import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { buildSingleImage, removeDir } from '../harness/images';
import type { OciImage } from '../harness/images';
import { createPodman } from '../harness/podman';
import type { Podman } from '../harness/podman';
import { skopeoDigest as skopeoDigestAs, wrongToken } from '../harness/tools';
import type { ToolOutput } from '../harness/tools';

/**
 * The podman CLI against crgate, with storage of its own: login with a token, push, remove,
 * pull back the same digest, and no pull of a private image once logged out.
 */
jest.setTimeout(180_000);

let gateway: TestGateway | undefined;
let podmanHome: Podman | undefined;
let workDir: string | undefined;
let image: OciImage;

beforeAll(async () => {
  workDir = await makeLowercaseTempDir();
  image = await buildSingleImage(path.join(workDir, 'hello'), 'hello from podman\n');
  gateway = await startGateway();
  podmanHome = await createPodman();
  await login(gateway.ownerToken);
});

afterAll(async () => {
  await gateway?.close();
  await podmanHome?.remove();
  await removeDir(workDir);
});

/**
 * podman names an image pulled from `oci:LAYOUT:TAG` after the layout's path, and image names
 * are lowercase; mkdtemp's suffix is not, a UUID is.
 */
async function makeLowercaseTempDir(): Promise<string> {
  const dir = path.join(tmpdir(), `crgate-podman-images-${randomUUID()}`);
  await mkdir(dir);
  return dir;
}

function started(): { gateway: TestGateway; podman: Podman; workDir: string } {
  if (!gateway || !podmanHome || !workDir) throw new Error('beforeAll did not finish');
  return { gateway, podman: podmanHome, workDir };
}

function podman(...args: string[]): Promise<ToolOutput> {
  return started().podman.podman(args);
}

/** `containers.localhost:PORT/REPOSITORY:TAG`, as podman names an image on crgate. */
function imageName(repository: string, tag: string): string {
  return `${started().gateway.registryHost}/${repository}:${tag}`;
}

/** `podman login` with the token on standard input; crgate serves plain HTTP here. */
function login(token: string, username = 'octocat'): Promise<ToolOutput> {
  const { gateway: gw, podman: home } = started();
  const args = ['login', gw.registryHost, '-u', username, '--password-stdin', '--tls-verify=false'];
  return home.podman(args, token);
}

/** The user podman holds credentials for; it fails when there are none. */
async function loggedInAs(): Promise<string> {
  return (await podman('login', '--get-login', started().gateway.registryHost)).stdout.trim();
}

/** Loads the umoci-built image into podman's storage and tags it as `name`. */
async function loadAs(name: string): Promise<void> {
  const { stdout } = await podman('pull', '--quiet', image.ref);
  await podman('tag', stdout.trim(), name);
}

/** Pushes, and answers the manifest digest podman reports it wrote. */
async function push(name: string): Promise<string> {
  const digestFile = path.join(started().workDir, `digest-${name.replace(/[^a-z0-9]/g, '-')}`);
  await podman('push', '--tls-verify=false', '--digestfile', digestFile, name);
  return (await readFile(digestFile, 'utf8')).trim();
}

async function pull(name: string): Promise<ToolOutput> {
  return podman('pull', '--quiet', '--tls-verify=false', name);
}

interface LocalImage {
  readonly Id: string;
  readonly Digest: string;
  readonly RepoDigests: string[];
}

async function inspectLocal(name: string): Promise<LocalImage> {
  const { stdout } = await podman('image', 'inspect', name);
  const [found] = JSON.parse(stdout) as LocalImage[];
  if (!found) throw new Error(`podman image inspect found no ${name}`);
  return found;
}

/**
 * Removes the image from podman's storage under every name it has, so that a pull must fetch
 * it; removing one of several names would leave the image, and a pull would only re-tag it.
 */
async function removeLocal(name: string): Promise<void> {
  const { Id } = await inspectLocal(name);
  await podman('rmi', '--force', Id);
  await expect(podman('image', 'exists', Id)).rejects.toThrow(/exit 1/);
}

function skopeoDigest(name: string): Promise<string> {
  return skopeoDigestAs(name, 'octocat', started().gateway.ownerToken);
}

test('logs in with a token on standard input and is refused with a wrong one', async () => {
  const { gateway: gw } = started();
  await podman('logout', gw.registryHost);

  const wrong = login(wrongToken(gw.ownerToken));

  await expect(wrong).rejects.toThrow(/invalid username\/password/);
  await expect(loggedInAs()).rejects.toThrow(/not logged into/);
  await expect(login(gw.ownerToken)).resolves.toBeDefined();
  expect(await loggedInAs()).toBe('octocat');
});

test('pushes an image with podman and pulls back the same digest', async () => {
  const name = imageName('octocat/podman', '1');
  await loadAs(name);

  const pushed = await push(name);
  await removeLocal(name);
  await pull(name);

  const pulled = await inspectLocal(name);
  expect(pulled.Digest).toBe(pushed);
  expect(pulled.RepoDigests).toContain(
    `${started().gateway.registryHost}/octocat/podman@${pushed}`,
  );
  expect(await skopeoDigest(name)).toBe(pushed);
});

test('pulls nothing private once logged out', async () => {
  const { gateway: gw } = started();
  const name = imageName('octocat/private', '1');
  await loadAs(name);
  await push(name);
  await removeLocal(name);

  await podman('logout', gw.registryHost);
  const refused = pull(name);

  try {
    await expect(refused).rejects.toThrow(/unauthorized/);
  } finally {
    await login(gw.ownerToken);
  }
  await expect(pull(name)).resolves.toBeDefined();
});
