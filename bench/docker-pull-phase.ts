import type { Docker } from './docker-client';
import { orderOfRound } from './order';
import { removeAllImages } from './pull-image';
import type { PullImageRefs } from './pull-image';
import { noSamples } from './report';
import type { Samples } from './report';
import type { Settings } from './settings';
import { TARGET_NAMES } from './target';
import type { TargetName } from './target';

/**
 * `docker pull` of the image of bench/pull-image.ts, the whole command timed, as a user waits
 * for it: the daemon's ping of /v2/, through crgate the challenge and the token, the manifest,
 * then the layers, fetched a few at a time and unpacked. Before every pull the daemon's images
 * are all removed, so every pull fetches every layer. Each target is pulled from once untimed
 * first, which also checks that the image arrives whole.
 */
export interface DockerPullResult {
  readonly seconds: Samples;
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function timedPull(docker: Docker, ref: string): Promise<number> {
  const started = process.hrtime.bigint();
  await docker(['pull', '--quiet', ref]);
  return secondsSince(started);
}

async function expectLayers(docker: Docker, ref: string, layers: number): Promise<void> {
  const format = '{{len .RootFS.Layers}}';
  const got = Number((await docker(['image', 'inspect', '--format', format, ref])).trim());
  if (got !== layers) throw new Error(`docker pull ${ref} gave ${got} layers, not ${layers}`);
}

export async function runDockerPullPhase(
  docker: Docker,
  settings: Settings,
  refs: PullImageRefs,
): Promise<DockerPullResult> {
  for (const name of TARGET_NAMES) {
    await docker(['pull', '--quiet', refs[name]]);
    await expectLayers(docker, refs[name], settings.pullLayers);
    await removeAllImages(docker);
  }

  const seconds = noSamples();
  for (let round = 1; round <= settings.pullRounds; round += 1) {
    for (const name of orderOfRound<TargetName>(TARGET_NAMES, round)) {
      seconds[name].push(await timedPull(docker, refs[name]));
      await removeAllImages(docker);
    }
  }
  process.stderr.write(`  docker pull, ${settings.pullRounds} rounds done\n`);
  return { seconds };
}
