import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { useDockerSession } from '../harness/docker-session';
import { skopeoDigest as skopeoDigestAs, wrongToken } from '../harness/tools';
import type { ToolOutput } from '../harness/tools';

/**
 * The Docker CLI and a real dockerd against crgate: build, push, remove, pull, and a second
 * push that finds some of its blobs already in the registry.
 */
jest.setTimeout(180_000);

const SOURCE_LABEL = 'org.opencontainers.image.source=https://github.com/octocat/app';

const started = useDockerSession('crgate-docker-');

/** `containers.localhost:PORT/REPOSITORY:TAG`, as docker names an image on crgate. */
function imageName(repository: string, tag: string): string {
  return `${started().gateway.registryHost}/${repository}:${tag}`;
}

function docker(...args: string[]): Promise<ToolOutput> {
  return started().dockerd.docker(args);
}

function login(token: string, username = 'octocat'): Promise<ToolOutput> {
  return started().login(token, username);
}

/**
 * Builds with the classic builder, docker 20.10's default, from a Dockerfile and files
 * written to a fresh context folder.
 */
async function build(tag: string, dockerfile: string[], files: Record<string, string>) {
  const context = path.join(started().workDir, `context-${tag.replace(/[^a-z0-9]/g, '-')}`);
  await mkdir(context, { recursive: true });
  await writeFile(path.join(context, 'Dockerfile'), `${dockerfile.join('\n')}\n`);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(context, name), content);
  }
  await started().dockerd.docker(['build', '--tag', tag, context], { DOCKER_BUILDKIT: '0' });
}

interface Push {
  readonly digest: string;
  readonly output: string;
}

/** Pushes, and reads the manifest digest from docker's last line (`TAG: digest: D size: N`). */
async function push(image: string): Promise<Push> {
  const { stdout } = await docker('push', image);
  const match = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(stdout);
  if (!match?.[1]) throw new Error(`docker push printed no digest:\n${stdout}`);
  return { digest: match[1], output: stdout };
}

async function repoDigests(image: string): Promise<string[]> {
  const { stdout } = await docker('image', 'inspect', '--format', '{{json .RepoDigests}}', image);
  return JSON.parse(stdout) as string[];
}

function skopeoDigest(image: string): Promise<string> {
  return skopeoDigestAs(image, 'octocat', started().gateway.ownerToken);
}

/** The `ID: status` lines docker push prints for each layer once it is done with it. */
function layerStatuses(output: string): string[] {
  const done = /^[0-9a-f]{12}: (Pushed|Layer already exists|Mounted from .+)$/;
  return output
    .split('\n')
    .map((line) => done.exec(line.trim())?.[1])
    .filter((status): status is string => status !== undefined);
}

/** The repository part of an image name: what `RepoDigests` entries start with. */
function repositoryOf(image: string): string {
  return image.slice(0, image.lastIndexOf(':'));
}

async function buildBase(): Promise<string> {
  const image = imageName('ns/app', '1');
  await build(image, ['FROM scratch', 'COPY hello.txt /hello.txt', `LABEL ${SOURCE_LABEL}`], {
    'hello.txt': 'hello from docker through crgate\n',
  });
  return image;
}

/** Pushes the base image, then builds a second layer on top of it as `ns/app:2`. */
async function buildOnBase(): Promise<string> {
  const base = await buildBase();
  await push(base);
  const image = imageName('ns/app', '2');
  await build(image, [`FROM ${base}`, 'COPY world.txt /world.txt'], {
    'world.txt': 'a second layer\n',
  });
  return image;
}

test('pushes an image with docker and pulls back the same digest', async () => {
  const image = await buildBase();

  const pushed = await push(image);
  await docker('rmi', image);
  await docker('pull', image);

  expect(await repoDigests(image)).toEqual([`${repositoryOf(image)}@${pushed.digest}`]);
  expect(await skopeoDigest(image)).toBe(pushed.digest);
  const labels = await docker('image', 'inspect', '--format', '{{json .Config.Labels}}', image);
  expect(JSON.parse(labels.stdout)).toEqual({
    'org.opencontainers.image.source': 'https://github.com/octocat/app',
  });
});

test('pushes a second image whose base layer the registry already holds', async () => {
  const image = await buildOnBase();

  const pushed = await push(image);

  expect(layerStatuses(pushed.output).sort()).toEqual(['Layer already exists', 'Pushed']);
  expect(await skopeoDigest(image)).toBe(pushed.digest);
});

test('mounts layers from another repository when pushing the same image there', async () => {
  const source = await buildOnBase();
  const target = imageName('ns/mounted', '1');
  await push(source);
  await docker('tag', source, target);

  const pushed = await push(target);
  await docker('rmi', target);
  await docker('pull', target);

  expect(layerStatuses(pushed.output)).toEqual(['Mounted from ns/app', 'Mounted from ns/app']);
  expect(await repoDigests(target)).toContain(`${repositoryOf(target)}@${pushed.digest}`);
  expect(await skopeoDigest(target)).toBe(pushed.digest);
});

test('logs in with a token, refuses a wrong one, and pulls nothing private once logged out', async () => {
  const { gateway: gw } = started();
  const image = await buildBase();
  await push(image);
  await docker('rmi', image);

  const wrong = login(wrongToken(gw.ownerToken));
  await expect(wrong).rejects.toThrow(/unauthorized|401/i);
  await docker('logout', gw.registryHost);
  const refused = docker('pull', image);

  try {
    await expect(refused).rejects.toThrow(/unauthorized|authentication required/i);
  } finally {
    await login(gw.ownerToken, 'any-name-at-all');
  }
  await docker('pull', image);

  // docker keeps the refresh token from login, not the password, and trades it on POST /token.
  const refreshed = gw.logs.filter((line) => line.method === 'POST' && line.path === '/token');
  expect(refreshed.map((line) => line.status)).toContain(200);
});
