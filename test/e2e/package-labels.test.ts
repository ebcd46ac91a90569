import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { useDockerSession } from '../harness/docker-session';
import { buildMultiArchImage, OCI_INDEX, readJsonBlob, taggedDescriptor } from '../harness/images';
import type { Descriptor } from '../harness/images';
import { OCI_MANIFEST, sha256 } from '../harness/registry-client';
import { run, skopeoDigest } from '../harness/tools';

/**
 * What crgate records about a package from what was pushed: the link, description and
 * license that docker image labels and OCI index annotations carry, the platforms of a
 * multi-arch index, and the manifests it refuses (Docker schema 1) or accepts as they are
 * (Helm charts, foreign layers). Real clients where there is one: dockerd, umoci, skopeo.
 */
jest.setTimeout(300_000);

const SOURCE = 'org.opencontainers.image.source';
const DESCRIPTION = 'org.opencontainers.image.description';
const LICENSES = 'org.opencontainers.image.licenses';
// The gateway's web origin is http://localhost, so a source label that links names it.
const HELLO_SOURCE = 'http://localhost/octocat/hello';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const FOREIGN_LAYER = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CHART = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

// Package names are unique to this run: the registry and Redis are shared by every test file.
const suffix = randomUUID().slice(0, 8);

const started = useDockerSession('crgate-package-labels-');

const freshDir = (name: string) => started().freshDir(name);
const dockerPush = (repository: string, tag: string, labels: Record<string, string>) =>
  started().buildAndPush(repository, tag, labels);

/** `skopeo copy --all` from an OCI layout to crgate; answers the digest skopeo pushed. */
async function skopeoPush(source: string, repository: string, tag: string): Promise<string> {
  const { gateway: gw } = started();
  const digestFile = path.join(await freshDir('digest'), 'digest');
  await run('skopeo', [
    '--insecure-policy',
    'copy',
    '--all',
    '--dest-tls-verify=false',
    '--dest-creds',
    `octocat:${gw.ownerToken}`,
    '--digestfile',
    digestFile,
    source,
    `docker://${gw.registryHost}/${repository}:${tag}`,
  ]);
  return (await readFile(digestFile, 'utf8')).trim();
}

type Manifest = Readonly<Record<string, unknown>> & { readonly mediaType: string };

/** PUTs a manifest as its media type, byte for byte as serialized here. */
async function putManifest(repository: string, reference: string, manifest: Manifest) {
  const body = JSON.stringify(manifest);
  const response = await started()
    .gateway.client.put(`/v2/${repository}/manifests/${reference}`)
    .set('Content-Type', manifest.mediaType)
    // superagent would re-encode an object for a +json type; a string goes out as it is.
    .send(body);
  return { response, digest: sha256(body) };
}

async function packageRecord(repository: string) {
  const pkg = await started().gateway.gateway.packages.get(repository);
  if (!pkg) throw new Error(`no package record for ${repository}`);
  return pkg.record;
}

/** A Helm chart archive of `Chart.yaml` and `values.yaml`, made by tar as helm package does. */
async function chartArchive(): Promise<Buffer> {
  const dir = await freshDir('chart');
  await mkdir(path.join(dir, 'hello'));
  const chart = ['apiVersion: v2', 'name: hello', 'version: 0.1.0', 'description: A greeting'];
  await writeFile(path.join(dir, 'hello', 'Chart.yaml'), `${chart.join('\n')}\n`);
  await writeFile(path.join(dir, 'hello', 'values.yaml'), 'greeting: hello\n');
  await run('tar', ['-czf', path.join(dir, 'hello-0.1.0.tgz'), '-C', dir, 'hello']);
  return readFile(path.join(dir, 'hello-0.1.0.tgz'));
}

test('records the link, description and license of an image pushed with docker', async () => {
  const { gateway: gw } = started();
  const repository = `octocat/labelled-${suffix}`;

  const { image, digest } = await dockerPush(repository, '1.0', {
    [SOURCE]: HELLO_SOURCE,
    [DESCRIPTION]: 'A greeting built by docker',
    [LICENSES]: 'MIT OR Apache-2.0',
  });

  expect(await skopeoDigest(image, 'octocat', gw.ownerToken)).toBe(digest);
  expect(await packageRecord(repository)).toMatchObject({
    namespace: 'octocat',
    name: `labelled-${suffix}`,
    visibility: 'private',
    createdBy: 'user:octocat',
    linkedRepository: 'octocat/hello',
    linkNote: undefined,
    description: 'A greeting built by docker',
    descriptionTruncated: false,
    license: 'MIT OR Apache-2.0',
    licenseTruncated: false,
  });
  expect(await gw.gateway.packages.tags(repository)).toEqual({ '1.0': digest });
});

test('cuts a description past 512 characters and a license past 256, and says it did', async () => {
  const repository = `octocat/long-description-${suffix}`;
  // Twelve sentences of 57 characters: 683 once the last space is trimmed.
  const description = 'A greeting in one file, described at far greater length. '.repeat(12).trim();
  // An SPDX expression of 367 characters.
  const license = `${'MIT OR Apache-2.0 OR BSD-3-Clause OR '.repeat(10)}0BSD`;

  await dockerPush(repository, '1', {
    [SOURCE]: HELLO_SOURCE,
    [DESCRIPTION]: description,
    [LICENSES]: license,
  });

  expect(await packageRecord(repository)).toMatchObject({
    description: description.slice(0, 512),
    descriptionTruncated: true,
    license: license.slice(0, 256),
    licenseTruncated: true,
  });
});

test('records the annotations and platforms of a multi-arch index pushed with skopeo', async () => {
  const { gateway: gw } = started();
  const repository = `octocat/multi-annotated-${suffix}`;
  const multi = await buildMultiArchImage(await freshDir('multi'), {
    [SOURCE]: HELLO_SOURCE,
    [DESCRIPTION]: 'A greeting on two platforms',
    [LICENSES]: 'BSD-3-Clause',
  });
  const index = await taggedDescriptor(multi.layout, multi.tag);
  const { manifests } = await readJsonBlob<{ manifests: Descriptor[] }>(multi.layout, index.digest);

  const digest = await skopeoPush(multi.ref, repository, '1');

  expect(digest).toBe(index.digest);
  // The images' own labels were seen first; the index's annotations, pushed last, win.
  expect(await packageRecord(repository)).toMatchObject({
    linkedRepository: 'octocat/hello',
    linkNote: undefined,
    description: 'A greeting on two platforms',
    license: 'BSD-3-Clause',
  });
  const versions = await gw.gateway.packages.versions(repository);
  const recorded = versions.map((version) => version.digest).sort();
  expect(recorded).toEqual([digest, ...manifests.map((entry) => entry.digest)].sort());
  expect(versions.find((version) => version.digest === digest)).toMatchObject({
    mediaType: OCI_INDEX,
    platforms: ['linux/amd64', 'linux/arm64'],
  });
  expect(await gw.gateway.packages.tags(repository)).toEqual({ '1': digest });
});

test.each([
  ['outside the namespace', 'http://localhost/acme/web', 'SOURCE_OUTSIDE_NAMESPACE'],
  ['that does not exist', 'http://localhost/octocat/no-such-repo', 'SOURCE_UNKNOWN_REPOSITORY'],
])('leaves a package unlinked whose source names a repository %s', async (_, source, why) => {
  const { gateway: gw } = started();
  const repository = `octocat/unlinked-${randomUUID().slice(0, 8)}`;

  const { digest } = await dockerPush(repository, '1', { [SOURCE]: source });

  expect(await gw.gateway.packages.tags(repository)).toEqual({ '1': digest });
  const record = await packageRecord(repository);
  expect(record.linkedRepository).toBeUndefined();
  expect(record.linkNote?.code).toBe(why);
});

test.each([
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
])('refuses a Docker schema 1 manifest sent as %s and records nothing', async (mediaType) => {
  const { gateway: gw } = started();
  const repository = `octocat/schema1-${randomUUID().slice(0, 8)}`;
  const manifest = {
    schemaVersion: 1,
    name: repository,
    tag: '1',
    architecture: 'amd64',
    fsLayers: [{ blobSum: sha256('a layer') }],
    history: [{ v1Compatibility: JSON.stringify({ id: 'hello', architecture: 'amd64' }) }],
  };

  const response = await gw.client
    .put(`/v2/${repository}/manifests/1`)
    .set('Content-Type', mediaType)
    .send(JSON.stringify(manifest));

  expect(response.status).toBe(400);
  expect(response.body.errors[0].code).toBe('MANIFEST_INVALID');
  expect(await gw.gateway.packages.get(repository)).toBeUndefined();
  expect(await gw.gateway.packages.versions(repository)).toEqual([]);
});

test('accepts a Helm chart pushed as an OCI artifact and records it as a version', async () => {
  const { gateway: gw } = started();
  const repository = `octocat/charts/hello-${suffix}`;
  const config = Buffer.from(JSON.stringify({ apiVersion: 'v2', name: 'hello', version: '0.1.0' }));
  const chart = await chartArchive();
  const configDigest = await gw.client.pushBlob(repository, config);
  const chartDigest = await gw.client.pushBlob(repository, chart);

  const { response, digest } = await putManifest(repository, '0.1.0', {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: HELM_CONFIG, digest: configDigest, size: config.length },
    layers: [{ mediaType: HELM_CHART, digest: chartDigest, size: chart.length }],
    annotations: {
      [DESCRIPTION]: 'A greeting',
      'org.opencontainers.image.title': 'hello',
      'org.opencontainers.image.version': '0.1.0',
    },
  });

  expect(response.status).toBe(201);
  expect(response.headers['docker-content-digest']).toBe(digest);
  const versions = await gw.gateway.packages.versions(repository);
  expect(versions).toEqual([
    expect.objectContaining({ digest, mediaType: OCI_MANIFEST, artifactType: HELM_CONFIG }),
  ]);
  expect(await gw.gateway.packages.tags(repository)).toEqual({ '0.1.0': digest });
  expect(await packageRecord(repository)).toMatchObject({ description: 'A greeting' });
});

test('accepts a Windows image whose foreign layer stays at its URL, never uploaded', async () => {
  const { gateway: gw } = started();
  const repository = `octocat/windows-${suffix}`;
  const layer = sha256('a Windows base layer that only example.invalid serves');
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'windows',
      'os.version': '10.0.17763.1',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256('its uncompressed contents')] },
    }),
  );
  const configDigest = await gw.client.pushBlob(repository, config);

  const { response, digest } = await putManifest(repository, 'ltsc2019', {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_CONFIG, digest: configDigest, size: config.length },
    layers: [
      {
        mediaType: FOREIGN_LAYER,
        digest: layer,
        size: 123_456,
        urls: ['https://example.invalid/layer.tar.gz'],
      },
    ],
  });

  expect(response.status).toBe(201);
  expect(response.headers['docker-content-digest']).toBe(digest);
  const blob = await gw.client.head(`/v2/${repository}/blobs/${layer}`);
  expect(blob.status).toBe(404);
  expect(await gw.gateway.packages.tags(repository)).toEqual({ ltsc2019: digest });
});
