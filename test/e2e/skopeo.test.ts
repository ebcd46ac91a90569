import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import {
  buildMultiArchImage,
  buildSingleImage,
  IMAGE_LABELS,
  makeTempDir,
  ociRef,
  readBlob,
  readJsonBlob,
  removeDir,
  taggedDescriptor,
} from '../harness/images';
import type { Descriptor, ImageManifest, OciImage } from '../harness/images';
import { run, wrongToken } from '../harness/tools';
import type { ToolOutput } from '../harness/tools';

/**
 * skopeo against crgate, as a user would run it: push, pull, inspect, list tags and delete
 * through the registry origin, with the real registry behind it.
 */
jest.setTimeout(180_000);

interface SkopeoInspect {
  readonly Digest: string;
  readonly Architecture: string;
  readonly Labels: Record<string, string> | null;
}

interface SkopeoTags {
  readonly Repository: string;
  readonly Tags: string[];
}

interface RemoteIndex {
  readonly manifests: Descriptor[];
}

let gateway: TestGateway | undefined;
let workDir: string | undefined;
let single: OciImage;
let other: OciImage;
let multi: OciImage;

beforeAll(async () => {
  workDir = await makeTempDir('crgate-skopeo-');
  single = await buildSingleImage(path.join(workDir, 'single'));
  other = await buildSingleImage(path.join(workDir, 'other'), 'another greeting\n');
  multi = await buildMultiArchImage(path.join(workDir, 'multi'));
  gateway = await startGateway();
  await login('octocat', gateway.ownerToken);
});

afterAll(async () => {
  await gateway?.close();
  await removeDir(workDir);
});

function started(): { gateway: TestGateway; workDir: string } {
  if (!gateway || !workDir) throw new Error('beforeAll did not finish');
  return { gateway, workDir };
}

/** `docker://containers.localhost:PORT/REPOSITORY:TAG`, or `@DIGEST` for a digest. */
function remote(repository: string, reference: string): string {
  const separator = reference.includes(':') ? '@' : ':';
  return `docker://${started().gateway.registryHost}/${repository}${separator}${reference}`;
}

// The system's signature policy is no part of what is tested here; the credentials of
// `skopeo login` go to this run's own auth file, never the machine's.
function skopeo(...args: string[]): Promise<ToolOutput> {
  const env = { ...process.env, REGISTRY_AUTH_FILE: path.join(started().workDir, 'auth.json') };
  return run('skopeo', ['--insecure-policy', ...args], env);
}

/** `skopeo login` with a token on standard input, as a user pastes it. */
function login(username: string, token: string): Promise<ToolOutput> {
  const { gateway: gw, workDir: dir } = started();
  const env = { ...process.env, REGISTRY_AUTH_FILE: path.join(dir, 'auth.json') };
  const args = ['login', '--tls-verify=false', '-u', username, '--password-stdin', gw.registryHost];
  return run('skopeo', args, env, token);
}

/** Pushes with skopeo and answers the manifest digest skopeo reports it pushed. */
async function push(source: string, destination: string, ...flags: string[]): Promise<string> {
  const digestFile = path.join(started().workDir, `digest-${randomUUID()}`);
  await skopeo(
    'copy',
    ...flags,
    '--dest-tls-verify=false',
    '--digestfile',
    digestFile,
    source,
    destination,
  );
  return (await readFile(digestFile, 'utf8')).trim();
}

/** Pulls with skopeo into a fresh OCI layout. */
async function pull(source: string, ...flags: string[]): Promise<OciImage> {
  const layout = path.join(started().workDir, `pulled-${randomUUID()}`);
  await skopeo('copy', ...flags, '--src-tls-verify=false', source, ociRef(layout, 'pulled'));
  return { layout, tag: 'pulled', ref: ociRef(layout, 'pulled') };
}

async function inspectRaw(ref: string): Promise<string> {
  return (await skopeo('inspect', '--raw', '--tls-verify=false', ref)).stdout;
}

/** The digest of the manifest bytes crgate serves, as skopeo computes it. */
async function servedDigest(ref: string): Promise<string> {
  const file = path.join(started().workDir, `manifest-${randomUUID()}.json`);
  await writeFile(file, await inspectRaw(ref));
  return (await skopeo('manifest-digest', file)).stdout.trim();
}

async function inspect(ref: string, ...flags: string[]): Promise<SkopeoInspect> {
  const { stdout } = await skopeo('inspect', ...flags, '--tls-verify=false', ref);
  return JSON.parse(stdout) as SkopeoInspect;
}

async function listTags(repository: string): Promise<SkopeoTags> {
  const ref = `docker://${started().gateway.registryHost}/${repository}`;
  const { stdout } = await skopeo('list-tags', '--tls-verify=false', ref);
  return JSON.parse(stdout) as SkopeoTags;
}

async function taggedDigest(image: OciImage): Promise<string> {
  return (await taggedDescriptor(image.layout, image.tag)).digest;
}

/** Every blob an image manifest names (config and layers), pulled equal to pushed. */
async function expectSameBlobs(pushed: OciImage, pulled: OciImage, manifestDigest: string) {
  const manifest = await readJsonBlob<ImageManifest>(pushed.layout, manifestDigest);
  for (const { digest } of [manifest.config, ...manifest.layers]) {
    const [sent, received] = await Promise.all([
      readBlob(pushed.layout, digest),
      readBlob(pulled.layout, digest),
    ]);
    expect(received.equals(sent)).toBe(true);
  }
  return manifest;
}

test('pushes an image with skopeo and pulls back the same manifest and layers', async () => {
  const sourceDigest = await taggedDigest(single);

  const pushed = await push(single.ref, remote('octocat/hello', '1'));
  const pulled = await pull(remote('octocat/hello', '1'));

  expect(pushed).toBe(sourceDigest);
  expect(await servedDigest(remote('octocat/hello', '1'))).toBe(pushed);
  expect(await taggedDigest(pulled)).toBe(pushed);
  const manifest = await expectSameBlobs(single, pulled, pushed);
  expect(manifest.layers).toHaveLength(1);
});

test('shows the image labels and digest to skopeo inspect', async () => {
  const pushed = await push(single.ref, remote('octocat/labels', '1'));

  const seen = await inspect(remote('octocat/labels', '1'));

  expect(seen.Digest).toBe(pushed);
  expect(seen.Labels).toEqual(expect.objectContaining(IMAGE_LABELS));
});

test('pushes a multi-arch index with skopeo --all and pulls back every platform', async () => {
  const sourceIndex = await readJsonBlob<RemoteIndex>(multi.layout, await taggedDigest(multi));

  const pushed = await push(multi.ref, remote('octocat/multi', '1'), '--all');
  const pulled = await pull(remote('octocat/multi', '1'), '--all');

  expect(pushed).toBe(await taggedDigest(multi));
  expect(await taggedDigest(pulled)).toBe(pushed);
  const served = JSON.parse(await inspectRaw(remote('octocat/multi', '1'))) as RemoteIndex;
  expect(served.manifests).toEqual(sourceIndex.manifests);
  const layers = new Set<string>();
  for (const { digest } of sourceIndex.manifests) {
    expect(await servedDigest(remote('octocat/multi', digest))).toBe(digest);
    const manifest = await expectSameBlobs(multi, pulled, digest);
    for (const layer of manifest.layers) layers.add(layer.digest);
  }
  expect(layers.size).toBe(2);
});

test('resolves the platform a client asks for from a multi-arch index', async () => {
  const pushed = await push(multi.ref, remote('octocat/platforms', '1'), '--all');

  const arm64 = await inspect(remote('octocat/platforms', '1'), '--override-arch', 'arm64');
  const amd64 = await inspect(remote('octocat/platforms', '1'), '--override-arch', 'amd64');

  // skopeo reports the digest of what the tag names (the index), and the chosen image's config.
  expect([arm64.Digest, amd64.Digest]).toEqual([pushed, pushed]);
  expect([arm64.Architecture, amd64.Architecture]).toEqual(['arm64', 'amd64']);
});

test('lists the tags of a repository to skopeo list-tags', async () => {
  await push(single.ref, remote('octocat/tags', '1'));
  await push(other.ref, remote('octocat/tags', '2'));
  await push(multi.ref, remote('octocat/tags', 'multi'), '--all');

  const listed = await listTags('octocat/tags');

  expect(listed.Repository).toBe(`${started().gateway.registryHost}/octocat/tags`);
  expect([...listed.Tags].sort()).toEqual(['1', '2', 'multi']);
});

test('deletes a manifest with skopeo delete, after which pulling it fails', async () => {
  const doomed = await push(single.ref, remote('octocat/doomed', 'old'));
  const kept = await push(other.ref, remote('octocat/doomed', 'keep'));

  await skopeo('delete', '--tls-verify=false', remote('octocat/doomed', 'old'));

  await expect(pull(remote('octocat/doomed', 'old'))).rejects.toThrow(/manifest unknown/);
  await expect(pull(remote('octocat/doomed', doomed))).rejects.toThrow(/manifest unknown/);
  expect(await servedDigest(remote('octocat/doomed', 'keep'))).toBe(kept);
  expect((await listTags('octocat/doomed')).Tags).toEqual(['keep']);
});

test('answers MANIFEST_UNKNOWN for a deleted manifest', async () => {
  const { client } = started().gateway;
  const doomed = await push(single.ref, remote('octocat/gone', 'old'));
  await push(other.ref, remote('octocat/gone', 'keep'));
  await skopeo('delete', '--tls-verify=false', remote('octocat/gone', doomed));

  const response = await client
    .get(`/v2/octocat/gone/manifests/${doomed}`)
    .set('Accept', 'application/vnd.oci.image.manifest.v1+json');

  expect(response.status).toBe(404);
  expect(response.body.errors.map((error: { code: string }) => error.code)).toEqual([
    'MANIFEST_UNKNOWN',
  ]);
});

test('signs in with skopeo login and is refused with a wrong token', async () => {
  const { gateway: gw } = started();

  await expect(login('octocat', wrongToken(gw.ownerToken))).rejects.toThrow(
    /invalid username\/password/,
  );
  await expect(login('anything', gw.ownerToken)).resolves.toBeDefined();
});

test('pulls but cannot push with a read:packages token', async () => {
  const { gateway: gw } = started();
  await push(single.ref, remote('octocat/readonly', '1'));
  const readOnly = await gw.createToken('octocat', ['read:packages']);
  await login('octocat', readOnly);

  try {
    const pulled = await pull(remote('octocat/readonly', '1'));
    const refused = push(other.ref, remote('octocat/readonly', '2'));

    expect(await taggedDigest(pulled)).toBe(await taggedDigest(single));
    await expect(refused).rejects.toThrow(/denied: this token lacks the write:packages scope/);
  } finally {
    await login('octocat', gw.ownerToken);
  }
});

test('stops a revoked token at once, bearer tokens issued from it included', async () => {
  const { gateway: gw } = started();
  const { secret, record } = await gw.gateway.tokens.createPat({
    user: 'octocat',
    scopes: ['read:packages', 'write:packages'],
  });
  await login('octocat', secret);

  try {
    await push(single.ref, remote('octocat/revoked', '1'));
    await gw.gateway.tokens.revoke(record.id);

    await expect(pull(remote('octocat/revoked', '1'))).rejects.toThrow(/unauthorized|401/i);
  } finally {
    await login('octocat', gw.ownerToken);
  }
});

test('never writes a token, password or Authorization header to the log', async () => {
  const { gateway: gw } = started();
  await push(single.ref, remote('octocat/log-audit', '1'));
  await pull(remote('octocat/log-audit', '1'));

  const written = JSON.stringify(gw.logs);

  expect(gw.logs.filter((line) => line.path === '/token').length).toBeGreaterThan(0);
  expect(written).not.toContain(gw.ownerToken);
  expect(written).not.toMatch(/ghp_[0-9A-Za-z]{36}|eyJ[\w-]+\.[\w-]+\.|Basic |Bearer /);
});
