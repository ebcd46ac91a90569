import { pushArtifact, pushImage, pushManifest, viaCrgate } from '../harness/artifacts';
import type { Descriptor } from '../harness/artifacts';
import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_INDEX, uniqueName } from './published';

/**
 * Referrers where people look for them: the package page lists a version's SBOM and signature
 * under its tags instead of as versions of their own, the REST API gives them with the
 * version, and neither shows the `sha256-<hex>` tag an older client keeps for them.
 */
const SBOM = 'application/spdx+json';
const SIGNATURE = 'application/vnd.dev.cosign.simplesigning.v1+json';

let gw: TestGateway;
let name: string;
let image: Descriptor;
let sbom: Descriptor;
let signature: Descriptor;
let standIn: Descriptor;
let fallbackTag: string;

beforeAll(async () => {
  gw = await startGateway();
  name = uniqueName('signed');
  const repository = `octocat/${name}`;
  const crgate = viaCrgate(gw.client);
  image = await pushImage(gw.client, repository, '1.0');
  sbom = (await pushArtifact(crgate, repository, image, { artifactType: SBOM })).descriptor;
  signature = (await pushArtifact(crgate, repository, image, { artifactType: SIGNATURE }))
    .descriptor;
  // What a client without the referrers API keeps: an index under the subject's digest.
  fallbackTag = image.digest.replace(':', '-');
  const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [sbom] };
  standIn = (await pushManifest(crgate, repository, index, fallbackTag)).descriptor;
  await gw.gateway.packages.update(repository, { visibility: 'public' });
});
afterAll(() => gw.close());

async function idOf(digest: string): Promise<number | undefined> {
  const versions = await gw.gateway.packages.versions(`octocat/${name}`);
  return versions.find((version) => version.digest === digest)?.id;
}

const short = (digest: string) => `${digest.slice(0, 19)}…`;

describe('the package page', () => {
  it('lists the referrers under their subject, and neither them nor the stand-in as versions', async () => {
    const page = await gw.http
      .get(`/users/octocat/packages/container/package/${name}`)
      .set('Host', gw.webHost)
      .expect(200);
    const row = new RegExp(`<tr id="version-${await idOf(image.digest)}">[\\s\\S]*?</tr>`).exec(
      page.text,
    )?.[0];
    const text = page.text.replace(/\s+/g, ' ');

    expect(row).toContain('<ul class="referrers" aria-label="Referrers">');
    expect(row?.replace(/\s+/g, ' ')).toContain(
      `SBOM <code title="${sbom.digest}">${short(sbom.digest)}</code>`,
    );
    expect(row?.replace(/\s+/g, ' ')).toContain(
      `signature <code title="${signature.digest}">${short(signature.digest)}</code>`,
    );
    const hidden = await Promise.all([sbom, signature, standIn].map((d) => idOf(d.digest)));
    expect(hidden).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect(text).not.toContain(`id="version-${await idOf(sbom.digest)}"`);
    expect(text).not.toContain(`id="version-${await idOf(signature.digest)}"`);
    expect(text).not.toContain(`id="version-${await idOf(standIn.digest)}"`);
    expect(text).not.toContain(fallbackTag);
  });
});

describe('the REST API', () => {
  interface VersionJson {
    name: string;
    metadata: { container: { tags: string[]; referrers?: unknown[] } };
  }

  it('gives a version its referrers, and leaves the stand-in tag out', async () => {
    const res = await gw.http
      .get(`/api/v3/user/packages/container/${name}/versions`)
      .set('Host', gw.webHost)
      .set('Authorization', `Bearer ${gw.ownerToken}`)
      .expect(200);
    const versions = res.body as VersionJson[];
    const subject = versions.find((v) => v.name === image.digest);
    const sbomVersion = versions.find((v) => v.name === sbom.digest);

    expect(subject?.metadata.container).toEqual({
      tags: ['1.0'],
      referrers: [sbom, signature]
        .sort((a, b) => (a.digest < b.digest ? -1 : 1))
        .map((r) => ({
          digest: r.digest,
          media_type: r.mediaType,
          artifact_type: r === sbom ? SBOM : SIGNATURE,
          kind: r === sbom ? 'SBOM' : 'signature',
        })),
    });
    expect(sbomVersion?.metadata.container).toEqual({ tags: [] });
    expect(versions.flatMap((v) => v.metadata.container.tags)).toEqual(['1.0']);
  });
});
