import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { writeRandomFile } from './blob-source';
import { readPat } from './credentials';
import type { Docker } from './docker-client';
import type { Settings } from './settings';
import { TARGET_NAMES } from './target';
import type { Target, TargetName } from './target';

/**
 * The image of the timed `docker pull`s: FROM scratch, one COPY per layer, each of a file of
 * random bytes (which gzip cannot shrink, so every layer crosses the wire at its size). Built
 * by the bench dockerd without network, pushed through every target, so that each route has
 * carried it once, then removed from the daemon.
 */
export const PULL_IMAGE_REPOSITORY = 'bench/pull10';
const TAG = '1';
const LOCAL_NAME = `${PULL_IMAGE_REPOSITORY}:${TAG}`;
// crgate ignores the username, as ghcr.io does: the token alone says who is asking.
const USERNAME = 'bench';

export type PullImageRefs = Readonly<Record<TargetName, string>>;

/** The image's reference on a target: its host, as docker names a registry, and the path. */
export function imageRef(target: Target): string {
  return `${target.host}/${LOCAL_NAME}`;
}

async function writeBuildContext(settings: Settings, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lines = ['FROM scratch'];
  for (let layer = 1; layer <= settings.pullLayers; layer += 1) {
    await writeRandomFile(path.join(dir, `layer${layer}.bin`), settings.pullLayerBytes);
    lines.push(`COPY layer${layer}.bin /layer${layer}.bin`);
  }
  await writeFile(path.join(dir, 'Dockerfile'), `${lines.join('\n')}\n`);
}

/** Signs the daemon in to crgate with the PAT, on standard input, as the README tells users. */
async function logIn(docker: Docker, settings: Settings, crgate: Target): Promise<void> {
  const pat = await readPat(settings.patFile);
  await docker(['login', crgate.host, '--username', USERNAME, '--password-stdin'], pat);
}

/** Removes every image the daemon holds, so that the next pull fetches every layer. */
export async function removeAllImages(docker: Docker): Promise<void> {
  const ids = (await docker(['image', 'ls', '--all', '--quiet'])).split('\n').filter(Boolean);
  if (ids.length > 0) await docker(['rmi', '--force', ...new Set(ids)]);
  await docker(['image', 'prune', '--all', '--force']);

  const left = (await docker(['image', 'ls', '--all', '--quiet'])).trim();
  if (left !== '') throw new Error(`dockerd still holds images after removal: ${left}`);
}

/** Builds the image, pushes it through every target, and leaves the daemon without images. */
export async function preparePullImage(
  docker: Docker,
  settings: Settings,
  targets: Readonly<Record<TargetName, Target>>,
): Promise<PullImageRefs> {
  const context = path.join(settings.workDir, 'pull-image');
  await writeBuildContext(settings, context);
  await docker(['build', '--quiet', '--tag', LOCAL_NAME, context]);

  await logIn(docker, settings, targets.crgate);
  for (const name of TARGET_NAMES) {
    await docker(['tag', LOCAL_NAME, imageRef(targets[name])]);
    await docker(['push', '--quiet', imageRef(targets[name])]);
  }
  await removeAllImages(docker);
  return {
    direct: imageRef(targets.direct),
    nginx: imageRef(targets.nginx),
    crgate: imageRef(targets.crgate),
  };
}
