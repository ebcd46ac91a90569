import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
  parseManifest,
  platformName,
} from '../../src/packages/manifest';
import { RegistryError } from '../../src/registry/errors';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

function blob(mediaType: string, digest = DIGEST, size = 1234): Record<string, unknown> {
  return { mediaType, digest, size };
}

function body(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function dockerImage(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: blob(DOCKER_CONFIG),
    layers: [blob(DOCKER_LAYER), blob(DOCKER_LAYER, OTHER, 99)],
    ...extra,
  };
}

function ociIndex(manifests: unknown[], extra: Record<string, unknown> = {}) {
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests, ...extra };
}

function refusal(payload: Buffer, contentType?: string): RegistryError {
  try {
    parseManifest(payload, contentType);
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

describe('parseManifest', () => {
  it('reads a Docker schema 2 image manifest', () => {
    const parsed = parseManifest(body(dockerImage()), DOCKER_MANIFEST);

    expect(parsed).toEqual({
      mediaType: DOCKER_MANIFEST,
      kind: 'image',
      config: blob(DOCKER_CONFIG),
      layers: [blob(DOCKER_LAYER), blob(DOCKER_LAYER, OTHER, 99)],
      manifests: [],
      annotations: {},
    });
  });

  it('reads an OCI index with the platform of each entry', () => {
    const amd64 = { ...blob(OCI_MANIFEST), platform: { os: 'linux', architecture: 'amd64' } };
    const arm64 = {
      ...blob(OCI_MANIFEST, OTHER),
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8', 'os.features': ['x'] },
    };
    const parsed = parseManifest(body(ociIndex([amd64, arm64])), OCI_INDEX);

    expect(parsed.kind).toBe('index');
    expect(parsed.layers).toEqual([]);
    expect(parsed.config).toBeUndefined();
    expect(parsed.manifests.map((entry) => entry.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
  });

  it('leaves out a platform without a string os and architecture', () => {
    const attestation = {
      ...blob(OCI_MANIFEST),
      platform: { os: 'unknown', architecture: 7 },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
    };
    const bare = blob(OCI_MANIFEST, OTHER);
    const [first, second] = parseManifest(body(ociIndex([attestation, bare])), OCI_INDEX).manifests;

    expect(first).not.toHaveProperty('platform');
    expect(first?.annotations).toEqual({ 'vnd.docker.reference.type': 'attestation-manifest' });
    expect(second).not.toHaveProperty('platform');
  });

  it('reads a Docker manifest list as an index', () => {
    const list = {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST_LIST,
      manifests: [{ ...blob(DOCKER_MANIFEST), platform: { os: 'windows', architecture: 'amd64' } }],
    };

    expect(parseManifest(body(list), DOCKER_MANIFEST_LIST)).toMatchObject({
      mediaType: DOCKER_MANIFEST_LIST,
      kind: 'index',
      manifests: [{ digest: DIGEST, platform: { os: 'windows', architecture: 'amd64' } }],
    });
  });

  it('accepts a Helm chart, an OCI artifact with a Helm config', () => {
    const chart = {
      schemaVersion: 2,
      config: blob('application/vnd.cncf.helm.config.v1+json'),
      layers: [blob('application/vnd.cncf.helm.chart.content.v1.tar+gzip', OTHER)],
      annotations: { 'org.opencontainers.image.title': 'mychart' },
    };

    expect(parseManifest(body(chart), OCI_MANIFEST)).toMatchObject({
      mediaType: OCI_MANIFEST,
      kind: 'image',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json' },
      annotations: { 'org.opencontainers.image.title': 'mychart' },
    });
  });

  it('accepts an artifact with no layers, and keeps its artifactType and subject', () => {
    const signature = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
      config: blob('application/vnd.oci.empty.v1+json', OTHER, 2),
      layers: [],
      subject: blob(OCI_MANIFEST),
    };
    const parsed = parseManifest(body(signature), OCI_MANIFEST);

    expect(parsed.layers).toEqual([]);
    expect(parsed.artifactType).toBe('application/vnd.dev.cosign.artifact.sig.v1+json');
    expect(parsed.subject).toEqual(blob(OCI_MANIFEST));
  });

  it('treats a null subject as none', () => {
    const parsed = parseManifest(body(dockerImage({ subject: null })), DOCKER_MANIFEST);

    expect(parsed).not.toHaveProperty('subject');
  });

  it('keeps the urls of a foreign Windows layer', () => {
    const foreign = {
      ...blob('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip'),
      urls: ['https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:abc'],
    };
    const parsed = parseManifest(body(dockerImage({ layers: [foreign] })), DOCKER_MANIFEST);

    expect(parsed.layers[0]?.urls).toEqual([
      'https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:abc',
    ]);
  });

  it('drops urls that are not a list of strings', () => {
    const layer = { ...blob(DOCKER_LAYER), urls: ['https://example.com/x', 7] };
    const parsed = parseManifest(body(dockerImage({ layers: [layer] })), DOCKER_MANIFEST);

    expect(parsed.layers[0]).not.toHaveProperty('urls');
  });

  it('keeps only the string values of annotations', () => {
    const annotations = { 'org.opencontainers.image.source': 'https://x/y/z', count: 3, no: null };
    const parsed = parseManifest(body(dockerImage({ annotations })), DOCKER_MANIFEST);

    expect(parsed.annotations).toEqual({ 'org.opencontainers.image.source': 'https://x/y/z' });
  });

  it('keeps an annotation named __proto__ as an ordinary key', () => {
    const payload = Buffer.from(
      JSON.stringify(dockerImage()).replace(/}$/, ',"annotations":{"__proto__":"x"}}'),
    );
    const { annotations } = parseManifest(payload, DOCKER_MANIFEST);

    expect(Object.getPrototypeOf(annotations)).toBe(Object.prototype);
    expect(Object.keys(annotations)).toEqual(['__proto__']);
  });

  it('ignores the parameters and case of the Content-Type', () => {
    const { mediaType, ...untyped } = dockerImage();

    expect(mediaType).toBe(DOCKER_MANIFEST);
    expect(
      parseManifest(
        body(untyped),
        'Application/VND.docker.distribution.manifest.v2+json; charset=utf-8',
      ).mediaType,
    ).toBe(DOCKER_MANIFEST);
  });

  it('takes the media type from the Content-Type when the body has none', () => {
    const list = { schemaVersion: 2, manifests: [blob(DOCKER_MANIFEST)] };

    expect(parseManifest(body(list), DOCKER_MANIFEST_LIST)).toMatchObject({
      mediaType: DOCKER_MANIFEST_LIST,
      kind: 'index',
    });
  });

  it.each([['application/json'], ['application/octet-stream'], [undefined]])(
    'infers an OCI index or image manifest from the body under Content-Type %s',
    (contentType) => {
      const index = { schemaVersion: 2, manifests: [blob(OCI_MANIFEST)] };
      const image = { schemaVersion: 2, config: blob(OCI_CONFIG), layers: [blob(OCI_LAYER)] };

      expect(parseManifest(body(index), contentType).mediaType).toBe(OCI_INDEX);
      expect(parseManifest(body(image), contentType).mediaType).toBe(OCI_MANIFEST);
    },
  );

  it.each([['application/json'], ['application/octet-stream'], ['text/plain'], [undefined]])(
    'takes the body media type over a Content-Type of %s',
    (contentType) => {
      expect(parseManifest(body(dockerImage()), contentType).mediaType).toBe(DOCKER_MANIFEST);
    },
  );

  it.each([
    ['the schema 1 Content-Type', body(dockerImage()), SCHEMA1],
    ['the signed schema 1 Content-Type', body(dockerImage()), `${SCHEMA1_SIGNED}; charset=utf-8`],
    ['a schemaVersion 1 body', body({ schemaVersion: 1, name: 'a/b', tag: 'v1' }), undefined],
    ['a schema 1 body media type', body(dockerImage({ mediaType: SCHEMA1 })), undefined],
  ])('refuses Docker schema 1 by %s', (_how, payload, contentType) => {
    expect(refusal(payload, contentType).code).toBe('MANIFEST_INVALID');
  });

  it.each([
    ['a body that is not JSON', Buffer.from('{"schemaVersion": 2,')],
    ['an empty body', Buffer.alloc(0)],
    ['a JSON array', body([dockerImage()])],
    ['JSON null', body(null)],
    ['a JSON string', body('manifest')],
    ['schemaVersion 3', body(dockerImage({ schemaVersion: 3 }))],
    ['schemaVersion "2"', body(dockerImage({ schemaVersion: '2' }))],
    ['no schemaVersion', body(dockerImage({ schemaVersion: undefined }))],
    ['a non-string mediaType', body(dockerImage({ mediaType: 2 }))],
    ['an unknown mediaType', body(dockerImage({ mediaType: 'application/vnd.example+json' }))],
    [
      'the withdrawn OCI artifact manifest',
      body(dockerImage({ mediaType: 'application/vnd.oci.artifact.manifest.v1+json' })),
    ],
    ['a body whose kind cannot be inferred', body({ schemaVersion: 2, layers: [] })],
  ])('refuses %s', (_what, payload) => {
    expect(refusal(payload, 'application/json').code).toBe('MANIFEST_INVALID');
  });

  it.each([
    [OCI_MANIFEST, DOCKER_MANIFEST],
    [DOCKER_MANIFEST_LIST, DOCKER_MANIFEST],
    [`${OCI_INDEX}; charset=utf-8`, OCI_MANIFEST],
  ])('refuses a Content-Type of %s for a body of %s', (contentType, mediaType) => {
    const payload = body(dockerImage({ mediaType }));

    expect(refusal(payload, contentType).code).toBe('MANIFEST_INVALID');
  });

  it('refuses an unknown Content-Type for a body whose kind cannot be inferred', () => {
    const payload = body({ schemaVersion: 2, blobs: [blob(OCI_LAYER)] });

    expect(refusal(payload, 'application/vnd.oci.artifact.manifest.v1+json').code).toBe(
      'MANIFEST_INVALID',
    );
  });

  it.each([
    ['no config', { config: undefined }],
    ['a config that is not an object', { config: DIGEST }],
    ['no layers', { layers: undefined }],
    ['layers that are not an array', { layers: blob(DOCKER_LAYER) }],
    ['a null layer', { layers: [null] }],
    ['a layer without mediaType', { layers: [{ digest: DIGEST, size: 1 }] }],
    ['a layer with a numeric mediaType', { layers: [{ ...blob(DOCKER_LAYER), mediaType: 1 }] }],
    ['a layer without digest', { layers: [{ mediaType: DOCKER_LAYER, size: 1 }] }],
    ['a digest without algorithm', { layers: [blob(DOCKER_LAYER, 'a'.repeat(64))] }],
    ['a digest in upper case', { layers: [blob(DOCKER_LAYER, DIGEST.toUpperCase())] }],
    ['a digest with a slash', { layers: [blob(DOCKER_LAYER, 'sha256:../../etc')] }],
    ['a layer without size', { layers: [{ mediaType: DOCKER_LAYER, digest: DIGEST }] }],
    ['a negative size', { layers: [blob(DOCKER_LAYER, DIGEST, -1)] }],
    ['a fractional size', { layers: [blob(DOCKER_LAYER, DIGEST, 1.5)] }],
    ['a size past 2^53', { layers: [blob(DOCKER_LAYER, DIGEST, 2 ** 53)] }],
    ['a size given as a string', { layers: [{ ...blob(DOCKER_LAYER), size: '12' }] }],
    ['a subject that is not a descriptor', { subject: { digest: DIGEST } }],
  ])('refuses an image manifest with %s', (_what, extra) => {
    expect(refusal(body(dockerImage(extra)), DOCKER_MANIFEST).code).toBe('MANIFEST_INVALID');
  });

  it.each([
    ['no manifests', { manifests: undefined }],
    ['manifests that are not an array', { manifests: {} }],
    ['an entry with a bad digest', { manifests: [blob(OCI_MANIFEST, 'sha256:')] }],
  ])('refuses an index with %s', (_what, extra) => {
    expect(refusal(body(ociIndex([], extra)), OCI_INDEX).code).toBe('MANIFEST_INVALID');
  });

  it('refuses an image Content-Type for an index body without a mediaType', () => {
    const payload = body({ schemaVersion: 2, manifests: [blob(OCI_MANIFEST)] });

    expect(refusal(payload, OCI_MANIFEST).code).toBe('MANIFEST_INVALID');
  });

  it('names the offending field in the detail', () => {
    const layers = [blob(DOCKER_LAYER), blob(DOCKER_LAYER, 'md5:!')];

    expect(refusal(body(dockerImage({ layers })), DOCKER_MANIFEST).detail).toEqual({
      field: 'layers[1].digest',
    });
  });
});

describe('platformName', () => {
  it.each([
    [{ os: 'linux', architecture: 'amd64' }, 'linux/amd64'],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64/v8'],
    [{ os: 'linux', architecture: 'arm', variant: '' }, 'linux/arm'],
  ])('names %o %s', (platform, name) => {
    expect(platformName(platform)).toBe(name);
  });
});
