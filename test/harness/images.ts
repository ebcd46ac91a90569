import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sha256 } from './registry-client';
import { run } from './tools';

/** OCI images built offline with umoci, in OCI layouts that skopeo reads as `oci:DIR:TAG`. */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** An OCI descriptor, as `index.json` and image indexes list them. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly architecture: string; readonly os: string };
  readonly annotations?: Readonly<Record<string, string>>;
}

interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An image manifest, with just the fields the tests read. */
export interface ImageManifest {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface OciImage {
  /** The OCI layout folder. */
  readonly layout: string;
  readonly tag: string;
  /** `oci:LAYOUT:TAG`, as skopeo names it. */
  readonly ref: string;
}

// The labels a GitHub package page shows; crgate's observe step reads them from the config blob.
export const IMAGE_LABELS: Readonly<Record<string, string>> = {
  'org.opencontainers.image.source': 'https://github.com/octocat/hello',
  'org.opencontainers.image.description': 'A greeting in one file',
  'org.opencontainers.image.licenses': 'Apache-2.0',
};

export function ociRef(layout: string, tag: string): string {
  return `oci:${layout}:${tag}`;
}

/** A fresh temp folder; the caller removes it with `removeDir`. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export function blobPath(layout: string, digest: string): string {
  const [algorithm, encoded] = digest.split(':');
  if (!algorithm || !encoded) throw new Error(`not a digest: ${digest}`);
  return path.join(layout, 'blobs', algorithm, encoded);
}

export function readBlob(layout: string, digest: string): Promise<Buffer> {
  return readFile(blobPath(layout, digest));
}

export async function readJsonBlob<T>(layout: string, digest: string): Promise<T> {
  return JSON.parse((await readBlob(layout, digest)).toString('utf8')) as T;
}

/** The descriptor `index.json` holds for a tag (`org.opencontainers.image.ref.name`). */
export async function taggedDescriptor(layout: string, tag: string): Promise<Descriptor> {
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as ImageIndex;
  const found = index.manifests.find(
    (entry) => entry.annotations?.['org.opencontainers.image.ref.name'] === tag,
  );
  if (!found) throw new Error(`${layout} has no tag ${tag}`);
  return found;
}

/** Adds one layer holding `content` at `/target` to an image in a layout. */
async function addFileLayer(image: string, target: string, content: string): Promise<void> {
  const source = await makeTempDir('crgate-layer-');
  try {
    const file = path.join(source, path.basename(target));
    await writeFile(file, content);
    await run('umoci', ['insert', '--image', image, file, target]);
  } finally {
    await removeDir(source);
  }
}

function labelArgs(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).flatMap(([name, value]) => ['--config.label', `${name}=${value}`]);
}

/** Adds to a layout an image of one file layer for one platform, with `IMAGE_LABELS`. */
async function buildImage(
  layout: string,
  tag: string,
  platform: { architecture: string; os: string },
  content: string,
): Promise<OciImage> {
  const image = `${layout}:${tag}`;
  await run('umoci', ['new', '--image', image]);
  await addFileLayer(image, '/hello.txt', content);
  await run('umoci', [
    'config',
    '--image',
    image,
    '--architecture',
    platform.architecture,
    '--os',
    platform.os,
    ...labelArgs(IMAGE_LABELS),
  ]);
  return { layout, tag, ref: ociRef(layout, tag) };
}

async function initLayout(dir: string): Promise<string> {
  const layout = path.join(dir, 'layout');
  await mkdir(dir, { recursive: true });
  await run('umoci', ['init', '--layout', layout]);
  return layout;
}

/** A linux/amd64 image with one file layer and the labels of `IMAGE_LABELS`. */
export async function buildSingleImage(
  dir: string,
  content = 'hello from crgate\n',
): Promise<OciImage> {
  const layout = await initLayout(dir);
  return buildImage(layout, 'hello', { architecture: 'amd64', os: 'linux' }, content);
}

/** The index entry for the image tagged with its architecture's name. */
async function platformDescriptor(layout: string, architecture: string): Promise<Descriptor> {
  const { mediaType, digest, size } = await taggedDescriptor(layout, architecture);
  return { mediaType, digest, size, platform: { architecture, os: 'linux' } };
}

/**
 * Writes an image index blob over the given platform manifests and tags it in `index.json`;
 * umoci builds single images only, so the index is assembled here.
 */
async function writeIndex(
  layout: string,
  tag: string,
  manifests: Descriptor[],
  annotations?: Readonly<Record<string, string>>,
): Promise<void> {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests,
    ...(annotations ? { annotations } : {}),
  };
  const blob = Buffer.from(JSON.stringify(index));
  const digest = sha256(blob);
  await mkdir(path.dirname(blobPath(layout, digest)), { recursive: true });
  await writeFile(blobPath(layout, digest), blob);

  const indexFile = path.join(layout, 'index.json');
  const top = JSON.parse(await readFile(indexFile, 'utf8')) as ImageIndex;
  const entry: Descriptor = {
    mediaType: OCI_INDEX,
    digest,
    size: blob.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  };
  await writeFile(indexFile, JSON.stringify({ ...top, manifests: [...top.manifests, entry] }));
}

/**
 * An image index over linux/amd64 and linux/arm64 images whose layers differ, with the given
 * annotations on the index itself, where `docker buildx --annotation index:...` puts them.
 */
export async function buildMultiArchImage(
  dir: string,
  annotations?: Readonly<Record<string, string>>,
): Promise<OciImage> {
  const layout = await initLayout(dir);
  const platforms = ['amd64', 'arm64'];
  for (const architecture of platforms) {
    const content = `hello from crgate on ${architecture}\n`;
    await buildImage(layout, architecture, { architecture, os: 'linux' }, content);
  }

  const manifests = await Promise.all(
    platforms.map((architecture) => platformDescriptor(layout, architecture)),
  );
  await writeIndex(layout, 'multi', manifests, annotations);
  return { layout, tag: 'multi', ref: ociRef(layout, 'multi') };
}
