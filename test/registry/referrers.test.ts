import { randomUUID } from 'node:crypto';

import { PackageDeletions } from '../../src/packages/deletion';
import { PACKAGE_KEYS } from '../../src/packages/package-keys';
import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { direct, pushArtifact, pushImage, pushManifest, viaCrgate } from '../harness/artifacts';
import type { Descriptor, Target } from '../harness/artifacts';
import { OCI_MANIFEST } from '../harness/registry-client';
import type { RegistryClient } from '../harness/registry-client';
import { usePurgingGateway } from '../harness/purging-gateway';

/**
 * The OCI 1.1 referrers API that crgate serves over registry 2.8, through crgate in front of
 * the real registry and Redis: pushes with a subject answered with OCI-Subject and listed,
 * filters, who may list, deletions, the registry's fallback tag, and pages.
 */
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SBOM = 'application/vnd.example.sbom.v1+json';
const SIGNATURE = 'application/vnd.example.signature.v1+json';
// In a query, a bare `+` is a space.
const SBOM_QUERY = encodeURIComponent(SBOM);
const suffix = randomUUID().slice(0, 8);
const DAY_MS = 24 * 3600 * 1000;

function listing(client: RegistryClient, repository: string, digest: string, query = '') {
  return client.get(`/v2/${repository}/referrers/${digest}${query}`);
}

async function listed(client: RegistryClient, repository: string, digest: string, query = '') {
  const answer = await listing(client, repository, digest, query).expect(200);
  return (answer.body as { manifests: Descriptor[] }).manifests;
}

function errorCodes(body: unknown): string[] {
  return ((body as { errors?: { code: string }[] }).errors ?? []).map((e) => e.code);
}

const byDigest = (a: Descriptor, b: Descriptor) => (a.digest < b.digest ? -1 : 1);

describe('the referrers API', () => {
  let gw: TestGateway;
  let crgate: Target;

  beforeAll(async () => {
    gw = await startGateway();
    crgate = viaCrgate(gw.client);
  });
  afterAll(() => gw.close());

  it('answers a push with a subject with OCI-Subject, and lists the artifact as an image index', async () => {
    const repository = `octocat/refs-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const annotations = { 'org.opencontainers.image.created': '2024-05-01T00:00:00Z' };

    const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM, annotations });
    const answer = await listing(gw.client, repository, image.digest).expect(200);

    expect(sbom.response.headers['oci-subject']).toBe(image.digest);
    expect(answer.headers['content-type']).toBe(OCI_INDEX);
    expect(answer.headers['oci-filters-applied']).toBeUndefined();
    expect(answer.headers.link).toBeUndefined();
    expect(JSON.parse(answer.text)).toEqual({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ ...sbom.descriptor, artifactType: SBOM, annotations }],
    });
  });

  it('accepts and lists a referrer whose subject is not in the repository', async () => {
    const repository = `octocat/refs-orphan-${suffix}`;
    await pushImage(gw.client, repository, 'v1');
    const missing = { mediaType: OCI_MANIFEST, digest: `sha256:${'a'.repeat(64)}`, size: 100 };

    const sbom = await pushArtifact(crgate, repository, missing, { artifactType: SBOM });

    expect(sbom.response.headers['oci-subject']).toBe(missing.digest);
    expect(await listed(gw.client, repository, missing.digest)).toEqual([
      { ...sbom.descriptor, artifactType: SBOM },
    ]);
  });

  it('sends no OCI-Subject for a push without a subject', async () => {
    const repository = `octocat/refs-plain-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');

    const again = await pushManifest(crgate, repository, {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [image],
    });

    expect(again.response.headers['oci-subject']).toBeUndefined();
    expect(await listed(gw.client, repository, image.digest)).toEqual([]);
  });

  it('filters by artifactType and says so in OCI-Filters-Applied', async () => {
    const repository = `octocat/refs-filter-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM });
    await pushArtifact(crgate, repository, image, { artifactType: SIGNATURE });

    const matching = await listing(
      gw.client,
      repository,
      image.digest,
      `?artifactType=${SBOM_QUERY}`,
    );
    const none = await listing(gw.client, repository, image.digest, '?artifactType=text/plain');
    const all = await listed(gw.client, repository, image.digest);

    expect(matching.status).toBe(200);
    expect(matching.headers['oci-filters-applied']).toBe('artifactType');
    expect(matching.body.manifests).toEqual([{ ...sbom.descriptor, artifactType: SBOM }]);
    expect(none.headers['oci-filters-applied']).toBe('artifactType');
    expect(none.body.manifests).toEqual([]);
    expect(all.map((d) => d.artifactType).sort()).toEqual([SBOM, SIGNATURE].sort());
  });

  it('lists an index with a subject, and an artifact known by its config media type', async () => {
    const repository = `octocat/refs-kinds-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const other = await pushImage(gw.client, repository, 'v2');
    const configType = 'application/vnd.example.signature.config.v1+json';

    const signature = await pushArtifact(crgate, repository, image, { configType });
    const index = await pushManifest(crgate, repository, {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [other],
      subject: image,
      annotations: { purpose: 'attestations' },
    });

    expect(index.response.headers['oci-subject']).toBe(image.digest);
    expect(await listed(gw.client, repository, image.digest)).toEqual(
      [
        { ...signature.descriptor, artifactType: configType },
        { ...index.descriptor, annotations: { purpose: 'attestations' } },
      ].sort(byDigest),
    );
  });

  it('answers an empty index for a digest with no referrers, and refuses a bad digest', async () => {
    const repository = `octocat/refs-empty-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');

    const unknown = await listed(gw.client, repository, `sha256:${'0'.repeat(64)}`);
    const none = await listed(gw.client, repository, image.digest);
    const bad = await listing(gw.client, repository, 'sha256:xyz').expect(400);
    const badLast = await listing(gw.client, repository, image.digest, '?last=nope').expect(400);

    expect(unknown).toEqual([]);
    expect(none).toEqual([]);
    expect(errorCodes(bad.body)).toEqual(['DIGEST_INVALID']);
    expect(errorCodes(badLast.body)).toEqual(['DIGEST_INVALID']);
  });

  it('lets list referrers exactly who may pull manifests', async () => {
    const repository = `octocat/refs-private-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    await pushArtifact(crgate, repository, image, { artifactType: SBOM });
    const outsider = gw.client.as({
      username: 'outsider',
      password: await gw.createToken('outsider', ['read:packages']),
    });
    const manifestPath = `/v2/${repository}/manifests/${image.digest}`;

    const outsiderManifest = await outsider.get(manifestPath).set('Accept', OCI_MANIFEST);
    const outsiderReferrers = await listing(outsider, repository, image.digest);
    const challenge = await listing(gw.client.as(), repository, image.digest);

    expect([401, 403]).toContain(outsiderReferrers.status);
    expect(outsiderReferrers.status).toBe(outsiderManifest.status);
    expect(errorCodes(outsiderReferrers.body)).toEqual(errorCodes(outsiderManifest.body));
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toContain(
      `scope="repository:${repository}:pull"`,
    );
  });

  it('lets anyone list the referrers of a public package', async () => {
    const repository = `octocat/refs-public-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    await pushArtifact(crgate, repository, image, { artifactType: SBOM });
    await gw.gateway.packages.update(repository, { visibility: 'public' });

    const listedAnonymously = await listed(gw.client.as(), repository, image.digest);

    expect(listedAnonymously.map((d) => d.artifactType)).toEqual([SBOM]);
  });

  it('hides the referrers of a deleted subject and a deleted referrer until restored', async () => {
    const repository = `octocat/refs-deleted-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM });
    const imageId = await gw.versionId(repository, image.digest);
    const sbomId = await gw.versionId(repository, sbom.descriptor.digest);
    const list = () => listed(gw.client, repository, image.digest);

    await gw.gateway.deletions.deleteVersion(repository, imageId);
    const subjectDeleted = await list();
    await gw.gateway.deletions.restoreVersion(repository, imageId);
    const subjectRestored = await list();
    await gw.gateway.deletions.deleteVersion(repository, sbomId);
    const referrerDeleted = await list();
    await gw.gateway.deletions.restoreVersion(repository, sbomId);
    const referrerRestored = await list();

    expect(subjectDeleted).toEqual([]);
    expect(subjectRestored.map((d) => d.digest)).toEqual([sbom.descriptor.digest]);
    expect(referrerDeleted).toEqual([]);
    expect(referrerRestored.map((d) => d.digest)).toEqual([sbom.descriptor.digest]);
  });

  it('answers NAME_UNKNOWN for a deleted package, as a manifest pull does, until restored', async () => {
    const repository = `octocat/refs-gone-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM });

    await gw.gateway.deletions.deletePackage(repository);
    const whileDeleted = await listing(gw.client, repository, image.digest).expect(404);
    await gw.gateway.deletions.restorePackage(repository);
    const restored = await listed(gw.client, repository, image.digest);

    expect(errorCodes(whileDeleted.body)).toEqual(['NAME_UNKNOWN']);
    expect(restored.map((d) => d.digest)).toEqual([sbom.descriptor.digest]);
  });

  it('forgets a referrer the registry deleted through crgate', async () => {
    const repository = `octocat/refs-registry-delete-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM });
    const kept = await pushArtifact(crgate, repository, image, { artifactType: SIGNATURE });

    await gw.client.delete(`/v2/${repository}/manifests/${sbom.descriptor.digest}`).expect(202);

    expect(await listed(gw.client, repository, image.digest)).toEqual([
      { ...kept.descriptor, artifactType: SIGNATURE },
    ]);
    const record = await gw.gateway.redis.hget(
      `crgate:rec:package-referrers:{${repository}}`,
      `referrer:${sbom.descriptor.digest}`,
    );
    expect(record).toBeNull();
  });

  it('takes in the fallback tag a client kept before crgate, once, and adds later pushes', async () => {
    const repository = `octocat/refs-fallback-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const old = await pushArtifact(direct, repository, image, { artifactType: SBOM });
    const tag = `sha256-${image.digest.slice('sha256:'.length)}`;
    const oldEntry = { ...old.descriptor, artifactType: SBOM };
    const fallback = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [oldEntry] };
    await pushManifest(direct, repository, fallback, tag);

    const first = await listed(gw.client, repository, image.digest);
    // A later change of the tag is not read again: each subject costs the registry one read.
    const unread = await pushArtifact(direct, repository, image, { artifactType: SIGNATURE });
    const changed = { ...fallback, manifests: [oldEntry, unread.descriptor] };
    await pushManifest(direct, repository, changed, tag);
    const pushed = await pushArtifact(crgate, repository, image, { artifactType: SIGNATURE });
    const second = await listed(gw.client, repository, image.digest);

    expect(first).toEqual([oldEntry]);
    expect(second).toEqual(
      [oldEntry, { ...pushed.descriptor, artifactType: SIGNATURE }].sort(byDigest),
    );
  });

  it('reads the fallback tag of a repository crgate never saw, and NAME_UNKNOWN for none', async () => {
    const repository = `octocat/refs-before-crgate-${suffix}`;
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const configDigest = await direct.blob(repository, config);
    const image = await pushManifest(direct, repository, {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [],
    });
    const sbom = await pushArtifact(direct, repository, image.descriptor, { artifactType: SBOM });
    const tag = `sha256-${image.descriptor.digest.slice('sha256:'.length)}`;
    const entry = { ...sbom.descriptor, artifactType: SBOM };
    await pushManifest(
      direct,
      repository,
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry] },
      tag,
    );

    const found = await listed(gw.client, repository, image.descriptor.digest);
    const nowhere = await listing(
      gw.client,
      `octocat/refs-nowhere-${suffix}`,
      image.descriptor.digest,
    );

    expect(found).toEqual([entry]);
    expect(nowhere.status).toBe(404);
    expect(errorCodes(nowhere.body)).toEqual(['NAME_UNKNOWN']);
  });

  it('lists a version’s referrers for the package pages through referrersOf', async () => {
    const repository = `octocat/refs-store-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM });

    const listedBefore = await gw.gateway.referrers.referrersOf(repository, image.digest);
    await gw.gateway.deletions.deleteVersion(
      repository,
      await gw.versionId(repository, image.digest),
    );
    const listedAfter = await gw.gateway.referrers.referrersOf(repository, image.digest);

    expect(listedBefore).toEqual([{ ...sbom.descriptor, artifactType: SBOM }]);
    expect(listedAfter).toEqual([]);
  });
});

describe('referrers pages', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({}, { gatewayOptions: { referrersPage: { maxDescriptors: 2 } } });
  });
  afterAll(() => gw.close());

  it('answers past the bound a page at a time, each with a Link to the next, filter kept', async () => {
    const repository = `octocat/refs-pages-${suffix}`;
    const image = await pushImage(gw.client, repository, 'v1');
    const crgate = viaCrgate(gw.client);
    const sboms: Descriptor[] = [];
    for (let i = 0; i < 3; i += 1) {
      const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM });
      sboms.push({ ...sbom.descriptor, artifactType: SBOM });
    }
    await pushArtifact(crgate, repository, image, { artifactType: SIGNATURE });

    const first = await listing(gw.client, repository, image.digest, `?artifactType=${SBOM_QUERY}`);
    const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.link ?? '')?.[1] ?? '';
    const second = await gw.client.get(next).expect(200);

    expect(first.body.manifests).toEqual(sboms.sort(byDigest).slice(0, 2));
    expect(new URL(next, 'http://x').searchParams.get('artifactType')).toBe(SBOM);
    expect(second.body.manifests).toEqual(sboms.slice(2));
    expect(second.headers['oci-filters-applied']).toBe('artifactType');
    expect(second.headers.link).toBeUndefined();
  });
});

describe('referrers and the purge', () => {
  const purging = usePurgingGateway();

  it('forgets a purged version that the fallback tag listed, so it does not come back', async () => {
    const repository = `octocat/refs-purged-${suffix}`;
    const image = await pushImage(purging.gw.client, repository, 'v1');
    const sbom = await pushArtifact(viaCrgate(purging.gw.client), repository, image, {
      artifactType: SBOM,
    });
    // As a crgate from before referrers left it: the version recorded, the referrer not, and
    // the client's fallback tag listing it.
    await purging.gw.gateway.redis.del(`crgate:rec:package-referrers:{${repository}}`);
    const tag = `sha256-${image.digest.slice('sha256:'.length)}`;
    const entry = { ...sbom.descriptor, artifactType: SBOM };
    const fallback = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry] };
    await pushManifest(direct, repository, fallback, tag);
    const fromTag = await listed(purging.gw.client, repository, image.digest);

    await purging.gw.gateway.deletions.deleteVersion(
      repository,
      await purging.gw.versionId(repository, entry.digest),
    );
    const report = await purging.gw.gateway.purger.purgeDue();
    const afterPurge = await listed(purging.gw.client, repository, image.digest);

    expect(fromTag).toEqual([entry]);
    expect(report).toEqual({ purged: 1, failed: 0 });
    expect(afterPurge).toEqual([]);
  });

  it('forgets a purged package’s referrers once no package or deletion of its name is left', async () => {
    const repository = `octocat/refs-purged-package-${suffix}`;
    const crgate = viaCrgate(purging.gw.client);
    const { redis, purger } = purging.gw.gateway;
    // Deletions a day apart, so that a purge can be due for the first and not the second.
    const deletionsAt = (ms: number) =>
      new PackageDeletions(redis, {
        restoreWindowMs: 0,
        publicDeleteMaxDownloads: 5000,
        now: () => ms,
      });
    const at = Date.now();
    const first = await pushImage(purging.gw.client, repository, 'v1');
    await pushArtifact(crgate, repository, first, { artifactType: SBOM });
    await deletionsAt(at).deletePackage(repository);
    const second = await pushImage(purging.gw.client, repository, 'v2');
    await pushArtifact(crgate, repository, second, { artifactType: SBOM });
    await deletionsAt(at + DAY_MS).deletePackage(repository);

    await purger.purgeDue(at);
    const whileOneIsLeft = await redis.exists(PACKAGE_KEYS.referrers(repository));
    const left = await purging.gw.gateway.deletions.deletedPackages(repository);
    await purger.purgeDue(at + DAY_MS);

    expect(whileOneIsLeft).toBe(1);
    expect(left).toHaveLength(1);
    expect(await purging.gw.gateway.deletions.deletedPackages(repository)).toEqual([]);
    expect(await redis.exists(PACKAGE_KEYS.referrers(repository))).toBe(0);
  });

  it('keeps the referrers of a package published again under a purged deletion’s name', async () => {
    const repository = `octocat/refs-republished-${suffix}`;
    const crgate = viaCrgate(purging.gw.client);
    const old = await pushImage(purging.gw.client, repository, 'v1');
    await pushArtifact(crgate, repository, old, { artifactType: SBOM });
    await purging.gw.gateway.deletions.deletePackage(repository);
    const image = await pushImage(purging.gw.client, repository, 'v2');
    const sbom = await pushArtifact(crgate, repository, image, { artifactType: SBOM });

    const report = await purging.gw.gateway.purger.purgeDue();
    const key = PACKAGE_KEYS.referrers(repository);

    expect(report).toEqual({ purged: 1, failed: 0 });
    expect(await purging.gw.gateway.redis.hexists(key, `subject:${image.digest}`)).toBe(1);
    expect(await listed(purging.gw.client, repository, image.digest)).toEqual([
      { ...sbom.descriptor, artifactType: SBOM },
    ]);
  });
});
