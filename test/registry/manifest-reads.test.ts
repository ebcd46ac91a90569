import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';
import request from 'supertest';
import type { Response } from 'supertest';

import { MANIFEST_ACCEPT } from '../../src/registry/manifest-accept';
import { restOf } from '../api/rest';
import { startCrgateProcess } from '../harness/crgate-process';
import type { CrgateProcess } from '../harness/crgate-process';
import { requireEnv, startGateway, TEST_DIRECTORY, writeDirectory } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { makeTempDir, removeDir } from '../harness/images';
import { eventually, registryRequests, registrySaw } from '../harness/registry-log';
import { OCI_CONFIG, OCI_MANIFEST, RegistryClient, sha256 } from '../harness/registry-client';

/**
 * Manifest pulls answered from crgate's records (manifest-reads.ts): the registry's bytes and
 * headers for every manifest type, no request to the registry once warm, and never a stale
 * answer: a tag pushed again through one replica, or a version deleted, is seen by another
 * replica, a process of its own, at once.
 */
jest.setTimeout(60_000);

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const registry = () => request(requireEnv('TEST_REGISTRY_URL'));
const unique = (name: string) => `octocat/${name}-${randomUUID().slice(0, 8)}`;

let gw: TestGateway;
let other: CrgateProcess;
let otherClient: RegistryClient;
let logDir: string;

beforeAll(async () => {
  logDir = await makeTempDir('crgate-manifest-reads-');
  gw = await startGateway();
  other = await startCrgateProcess(writeDirectory(TEST_DIRECTORY), logDir);
  otherClient = new RegistryClient(other.port, other.registryHost, {
    username: 'octocat',
    password: gw.ownerToken,
  });
});

afterAll(async () => {
  await other?.stop();
  await gw?.close();
  await removeDir(logDir);
});

async function putManifest(repository: string, tag: string, mediaType: string, body: object) {
  const text = JSON.stringify(body);
  await gw.client
    .put(`/v2/${repository}/manifests/${tag}`)
    .set('Content-Type', mediaType)
    .send(text)
    .expect(201);
  return { digest: sha256(text), size: Buffer.byteLength(text), mediaType };
}

/** A Docker schema 2 image (config and one layer), its manifest under `tag`. */
async function pushDockerImage(repository: string, tag: string) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
  const layer = Buffer.from(`layer of ${tag}`);
  const [configDigest, layerDigest] = [
    await gw.client.pushBlob(repository, config),
    await gw.client.pushBlob(repository, layer),
  ];
  return putManifest(repository, tag, DOCKER_MANIFEST, {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_CONFIG, size: config.length, digest: configDigest },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: layer.length,
        digest: layerDigest,
      },
    ],
  });
}

/** Pushes one manifest of `mediaType` under `tag`, with what it refers to. */
async function pushOfType(repository: string, tag: string, mediaType: string) {
  if (mediaType === OCI_MANIFEST) {
    const { digest } = await gw.client.pushImage(repository, tag, { type: 'oci' });
    return { digest };
  }
  if (mediaType === DOCKER_MANIFEST) return pushDockerImage(repository, tag);

  const child =
    mediaType === DOCKER_LIST
      ? await pushDockerImage(repository, `${tag}-amd64`)
      : { ...(await gw.client.pushImage(repository, `${tag}-amd64`)), mediaType: OCI_MANIFEST };
  const size = 'size' in child ? child.size : child.manifest.length;
  return putManifest(repository, tag, mediaType, {
    schemaVersion: 2,
    mediaType,
    manifests: [
      {
        mediaType: child.mediaType,
        digest: child.digest,
        size,
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ],
  });
}

/** What a client sees: status, body bytes, and every header but the per-answer ones. */
function seen(res: Response) {
  const perAnswer = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);
  const headers = Object.fromEntries(
    Object.entries(res.headers as Record<string, unknown>).filter(([name]) => !perAnswer.has(name)),
  );
  return { status: res.status, body: Buffer.from(String(res.body ?? ''), 'latin1'), headers };
}

/** The body as it came, byte for byte (latin1 keeps every byte), whatever its type. */
function raw(test: request.Test): request.Test {
  return test.buffer(true).parse((res, done) => {
    let text = '';
    res.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    res.on('end', () => done(null, text));
  });
}

function viaCrgate(client: RegistryClient, method: 'get' | 'head', path: string, accept: string) {
  return raw(client[method](path).set('Accept', accept));
}

function direct(method: 'get' | 'head', path: string, accept: string) {
  return raw(registry()[method](path).set('Accept', accept));
}

/**
 * How many manifest requests of `repository` the registry has logged: a marker request sent
 * straight to the registry shows its log has caught up with everything sent before it.
 */
async function registryManifestRequests(repository: string): Promise<number> {
  const marker = `marker-${randomUUID()}`;
  await registry().head(`/v2/${repository}/manifests/${marker}`);
  await eventually(() => registrySaw(marker) > 0);
  const all = `/v2/${repository}/manifests/`;
  return registryRequests(all) - registryRequests(`${all}marker-`);
}

describe.each([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])(
  'a manifest of type %s',
  (mediaType) => {
    it('is answered with the registry’s own bytes and headers, and without asking it once warm', async () => {
      const repository = unique('types');
      const { digest } = await pushOfType(repository, 'v1', mediaType);
      const paths = [`/v2/${repository}/manifests/v1`, `/v2/${repository}/manifests/${digest}`];
      await viaCrgate(gw.client, 'get', paths[0] ?? '', MANIFEST_ACCEPT);

      const before = await registryManifestRequests(repository);
      const answers = [];
      for (const path of paths) {
        for (const method of ['get', 'head'] as const) {
          answers.push(seen(await viaCrgate(gw.client, method, path, MANIFEST_ACCEPT)));
        }
      }
      const after = await registryManifestRequests(repository);
      const expected = [];
      for (const path of paths) {
        for (const method of ['get', 'head'] as const) {
          expected.push(seen(await direct(method, path, MANIFEST_ACCEPT)));
        }
      }

      expect(answers).toEqual(expected);
      expect(answers[0]?.headers['docker-content-digest']).toBe(digest);
      expect(answers[0]?.headers['content-type']).toBe(mediaType);
      expect(after - before).toBe(0);
    });
  },
);

describe('two replicas', () => {
  it('serve a tag pushed again through one at its new digest from the other at once', async () => {
    const repository = unique('retag');
    const seenDigests: string[] = [];
    const pushedDigests: string[] = [];

    for (let round = 0; round < 5; round += 1) {
      await viaCrgate(otherClient, 'get', `/v2/${repository}/manifests/latest`, MANIFEST_ACCEPT);
      const { digest } = await gw.client.pushImage(repository, 'latest', { round: String(round) });
      const head = await viaCrgate(
        otherClient,
        'head',
        `/v2/${repository}/manifests/latest`,
        MANIFEST_ACCEPT,
      );
      pushedDigests.push(digest);
      seenDigests.push(String(head.headers['docker-content-digest']));
    }

    expect(seenDigests).toEqual(pushedDigests);
  });

  it('stop serving a deleted version at once, by tag and by digest, and serve it again once restored', async () => {
    const repository = unique('deleted');
    const { digest } = await gw.client.pushImage(repository, 'doomed');
    const paths = [`/v2/${repository}/manifests/doomed`, `/v2/${repository}/manifests/${digest}`];
    for (const path of paths)
      await viaCrgate(otherClient, 'get', path, MANIFEST_ACCEPT).expect(200);

    const id = await gw.versionId(repository, digest);
    await gw.gateway.deletions.deleteVersion(repository, id);
    const deleted = await Promise.all(
      paths.flatMap((path) => [
        viaCrgate(otherClient, 'get', path, MANIFEST_ACCEPT),
        viaCrgate(gw.client, 'head', path, MANIFEST_ACCEPT),
      ]),
    );
    await gw.gateway.deletions.restoreVersion(repository, id);
    const restored = await viaCrgate(otherClient, 'get', paths[0] ?? '', MANIFEST_ACCEPT);

    expect(deleted.map((res) => res.status)).toEqual([404, 404, 404, 404]);
    expect(JSON.parse(String(deleted[0]?.body))).toMatchObject({
      errors: [{ code: 'MANIFEST_UNKNOWN' }],
    });
    expect(restored.status).toBe(200);
    expect(restored.headers['docker-content-digest']).toBe(digest);
  });
});

describe('when Redis stops telling of changes', () => {
  it('reads the records on every pull until it is told again, and never answers a stale tag', async () => {
    const repository = unique('untracked');
    const redis = new Redis(requireEnv('TEST_REDIS_URL'));
    const head = async () => {
      const res = await viaCrgate(
        gw.client,
        'head',
        `/v2/${repository}/manifests/t`,
        MANIFEST_ACCEPT,
      );
      return String(res.headers['docker-content-digest']);
    };
    try {
      await gw.client.pushImage(repository, 't', { n: '0' });
      await head();
      const clients = String(await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const line = clients.split('\n').find((l) => l.includes(` name=${gw.gateway.tracker.name} `));
      await redis.call('CLIENT', 'KILL', 'ID', /^id=(\d+)/.exec(line ?? '')?.[1] ?? '');

      const untracked = await gw.client.pushImage(repository, 't', { n: '1' });
      const whileUntracked = await head();
      await eventually(() => gw.gateway.tracker.trusted);
      const tracked = await gw.client.pushImage(repository, 't', { n: '2' });
      const onceTracked = await head();

      expect(line).toBeDefined();
      expect(whileUntracked).toBe(untracked.digest);
      expect(gw.gateway.tracker.trusted).toBe(true);
      expect(onceTracked).toBe(tracked.digest);
    } finally {
      redis.disconnect();
    }
  });
});

/** An image pushed straight to the registry, as before crgate was installed; its manifest. */
async function pushBeforeCrgate(repository: string, tag: string): Promise<string> {
  const config = Buffer.from(`{"os":"linux","architecture":"amd64","tag":"${tag}"}`);
  const upload = await registry().post(`/v2/${repository}/blobs/uploads/`).expect(202);
  const location = new URL(String(upload.headers.location), requireEnv('TEST_REGISTRY_URL'));
  location.searchParams.set('digest', sha256(config));
  await registry()
    .put(`${location.pathname}${location.search}`)
    .set('Content-Type', 'application/octet-stream')
    .send(config)
    .expect(201);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
    layers: [],
  });
  await registry()
    .put(`/v2/${repository}/manifests/${tag}`)
    .set('Content-Type', OCI_MANIFEST)
    .send(manifest)
    .expect(201);
  return manifest;
}

describe('what only the registry knows', () => {
  it('fetches a manifest pushed before crgate from the registry once, then answers it itself', async () => {
    const repository = unique('before-crgate');
    const manifest = await pushBeforeCrgate(repository, 'old');

    const before = await registryManifestRequests(repository);
    const first = await viaCrgate(
      gw.client,
      'get',
      `/v2/${repository}/manifests/old`,
      MANIFEST_ACCEPT,
    );
    const afterFirst = await registryManifestRequests(repository);
    const again = await viaCrgate(
      gw.client,
      'get',
      `/v2/${repository}/manifests/old`,
      MANIFEST_ACCEPT,
    );
    const afterAgain = await registryManifestRequests(repository);

    expect(first.status).toBe(200);
    expect(String(first.body)).toBe(manifest);
    expect(again.headers['docker-content-digest']).toBe(sha256(manifest));
    expect(afterFirst - before).toBe(2);
    expect(afterAgain - afterFirst).toBe(0);
  });

  it('records a version pushed before crgate once pulled, in a package crgate keeps', async () => {
    const repository = unique('adopted');
    const manifest = await pushBeforeCrgate(repository, 'old');
    await pushDockerImage(repository, 'new');
    const rest = restOf(gw);
    const versionsPath = `/user/packages/container/${repository.split('/')[1]}/versions`;
    const tagsOf = async () => {
      const versions = (await rest('get', versionsPath, gw.ownerToken).expect(200)).body as {
        id: number;
        name: string;
        metadata: { container: { tags: string[] } };
      }[];
      return versions.map((v) => ({ id: v.id, digest: v.name, tags: v.metadata.container.tags }));
    };

    const beforePull = await tagsOf();
    await viaCrgate(gw.client, 'get', `/v2/${repository}/manifests/old`, MANIFEST_ACCEPT);
    let afterPull = await tagsOf();
    for (let i = 0; i < 50 && afterPull.length < 2; i += 1) afterPull = await tagsOf();
    const found = afterPull.find((v) => v.digest === sha256(manifest));
    await rest('delete', `${versionsPath}/${found?.id ?? 0}`, gw.ownerToken).expect(204);
    const afterDelete = await viaCrgate(
      otherClient,
      'get',
      `/v2/${repository}/manifests/old`,
      MANIFEST_ACCEPT,
    );

    expect(beforePull.map((v) => v.tags)).toEqual([['new']]);
    expect(found?.tags).toEqual(['old']);
    expect(afterDelete.status).toBe(404);
    expect(JSON.parse(String(afterDelete.body)).errors[0].code).toBe('MANIFEST_UNKNOWN');
  });

  it('leaves a client whose Accept does not name the manifest’s type to the registry', async () => {
    const repository = unique('negotiation');
    await pushOfType(repository, 'multi', OCI_INDEX);
    const path = `/v2/${repository}/manifests/multi`;

    const viaGateway = seen(await viaCrgate(gw.client, 'get', path, DOCKER_MANIFEST));
    const fromRegistry = seen(await direct('get', path, DOCKER_MANIFEST));

    expect(viaGateway.status).toBe(fromRegistry.status);
    expect(viaGateway.body).toEqual(fromRegistry.body);
    expect(viaGateway.headers['content-type']).toBe(fromRegistry.headers['content-type']);
  });
});
