import { PULL_REPOSITORY } from './blob-phase';
import type { Blob, BlobSource } from './blob-source';
import { pull, pushMonolithic } from './blob-transfers';
import { repositoryScope } from './credentials';
import type { Credentials } from './credentials';
import { MANIFEST_MEDIA_TYPE, pushImage } from './image';
import { expectStatus, send } from './target';
import type { Target } from './target';

/**
 * What the timed runs read, pushed to the registry direct before any of them: the blob the
 * pulls fetch and the small image whose manifest the loads ask for. Then a check that every
 * target serves both alike, crgate with a bearer token and with Basic credentials.
 */
export const IMAGE_REPOSITORY = 'bench/image';
export const MANIFEST_PATH = `/v2/${IMAGE_REPOSITORY}/manifests/latest`;
// What `docker pull` of the image asks for: the scope of the manifest load and token load.
export const IMAGE_PULL_SCOPE = repositoryScope(IMAGE_REPOSITORY, 'pull');

async function expectManifest(target: Target, digest: string): Promise<void> {
  const headers = { Accept: MANIFEST_MEDIA_TYPE };
  const head = await send(target, { method: 'HEAD', path: MANIFEST_PATH, headers });
  const answered = expectStatus(head, 200, `${target.name}: HEAD manifest`).headers;
  if (answered['docker-content-digest'] !== digest) {
    const got = String(answered['docker-content-digest']);
    throw new Error(`${target.name}: HEAD manifest answered digest ${got}, not ${digest}`);
  }
}

export async function seed(
  direct: Target,
  targets: readonly Target[],
  credentials: Credentials,
  source: BlobSource,
  pullBlob: Blob,
): Promise<void> {
  await pushMonolithic(direct, PULL_REPOSITORY, source, pullBlob);
  const digest = await pushImage(direct, IMAGE_REPOSITORY, 'latest');

  // Untimed: a hashed pull proves the bytes, and warms each proxy's code paths.
  const pullScope = repositoryScope(PULL_REPOSITORY, 'pull');
  for (const target of targets) {
    await pull(await credentials.signIn(target, pullScope), PULL_REPOSITORY, pullBlob, true);
    await expectManifest(await credentials.signIn(target, IMAGE_PULL_SCOPE), digest);
  }
  await expectManifest(credentials.basic, digest);
}
