import { classify } from '../../src/registry/classify';
import { RegistryError } from '../../src/registry/errors';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function refusal(method: string, url: string): RegistryError {
  try {
    classify(method, url);
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error(`${method} ${url} was accepted`);
}

describe('classify', () => {
  it.each([
    ['GET', '/v2/', { kind: 'base' }],
    ['GET', '/v2/_catalog?n=10', { kind: 'catalog', action: 'catalog' }],
    [
      'GET',
      '/v2/octocat/hello/tags/list',
      { kind: 'tags', action: 'pull', repository: 'octocat/hello' },
    ],
    [
      'HEAD',
      '/v2/octocat/app/web/manifests/1.0',
      { kind: 'manifest', action: 'pull', repository: 'octocat/app/web', reference: '1.0' },
    ],
    ['PUT', `/v2/a/b/manifests/${DIGEST}`, { kind: 'manifest', action: 'push', reference: DIGEST }],
    ['DELETE', '/v2/a/b/manifests/latest', { kind: 'manifest', action: 'delete' }],
    ['GET', `/v2/a/b/blobs/${DIGEST}`, { kind: 'blob', action: 'pull', reference: DIGEST }],
    ['DELETE', `/v2/a/b/blobs/${DIGEST}`, { kind: 'blob', action: 'delete' }],
    ['POST', '/v2/a/b/blobs/uploads/', { kind: 'upload', action: 'push', repository: 'a/b' }],
    [
      'PATCH',
      '/v2/a/b/blobs/uploads/0b6c7f3e?_state=x',
      { kind: 'upload', action: 'push', reference: '0b6c7f3e' },
    ],
    ['DELETE', '/v2/a/b/blobs/uploads/0b6c7f3e', { kind: 'upload', action: 'push' }],
    ['GET', `/v2/a/b/referrers/${DIGEST}`, { kind: 'referrers', action: 'pull' }],
  ])('%s %s', (method, url, expected) => {
    expect(classify(method, url)).toMatchObject(expected);
  });

  it('keeps a path component named like an endpoint in the repository name', () => {
    expect(classify('GET', '/v2/acme/blobs/manifests/tags/list')).toMatchObject({
      kind: 'tags',
      repository: 'acme/blobs/manifests',
    });
  });

  it('records the source repository of a cross-repository mount', () => {
    const route = classify('POST', `/v2/a/b/blobs/uploads/?mount=${DIGEST}&from=c/d`);

    expect(route).toMatchObject({ kind: 'upload', repository: 'a/b', mountFrom: 'c/d' });
  });

  it.each([
    ['GET', '/v2/Octocat/hello/tags/list', 'NAME_INVALID'],
    ['GET', '/v2/octocat/-hello/manifests/1', 'NAME_INVALID'],
    ['GET', `/v2/${'a'.repeat(256)}/manifests/1`, 'NAME_INVALID'],
    ['GET', '/v2/alpine/manifests/latest', 'NAME_INVALID'],
    ['POST', `/v2/a/b/blobs/uploads/?mount=${DIGEST}&from=../etc`, 'NAME_INVALID'],
    ['GET', '/v2/a/b/manifests/-bad', 'MANIFEST_UNKNOWN'],
    ['PUT', '/v2/a/b/manifests/-bad', 'TAG_INVALID'],
    ['PUT', '/v2/a/b/manifests/sha256:abc', 'DIGEST_INVALID'],
    ['GET', `/v2/a/b/blobs/sha512:${'a'.repeat(64)}`, 'DIGEST_INVALID'],
    ['PUT', '/v2/a/b/blobs/uploads/0b6c7f3e-0000-4000-8000-000000000000', 'DIGEST_INVALID'],
    ['POST', '/v2/a/b/blobs/uploads/0b6c7f3e-0000-4000-8000-000000000000', 'UNSUPPORTED'],
    ['GET', '/v2/a/b/blobs/uploads/', 'UNSUPPORTED'],
    ['GET', '/v2/a/b/blobs/not-a-digest', 'DIGEST_INVALID'],
    ['POST', '/v2/a/b/manifests/1', 'UNSUPPORTED'],
    ['PUT', '/v2/_catalog', 'UNSUPPORTED'],
    ['GET', '/v2/a/b/something', 'NOT_FOUND'],
    ['GET', '/v3/', 'NOT_FOUND'],
  ])('refuses %s %s with %s', (method, url, code) => {
    expect(refusal(method, url).code).toBe(code);
  });

  it('lists the allowed methods when refusing one', () => {
    expect(refusal('POST', '/v2/a/b/tags/list').headers).toEqual({ Allow: 'GET' });
  });
});
