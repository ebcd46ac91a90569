import type { IncomingHttpHeaders } from 'node:http';

import type { PublicOrigin } from '../../src/hosts';
import { rewriteLocation, stripCors, stripResponseHopByHop } from '../../src/registry/rewrite';

const ORIGIN: PublicOrigin = {
  scheme: 'https',
  host: 'containers.example.com',
  base: 'https://containers.example.com',
};
const REGISTRY_HOST = '10.0.0.5:5000';

function rewritten(location: string): string | undefined {
  const headers: IncomingHttpHeaders = { location };
  rewriteLocation(headers, ORIGIN, REGISTRY_HOST);
  return headers.location;
}

describe('Location rewriting', () => {
  it('puts a relative registry URL on the public origin', () => {
    expect(rewritten('/v2/a/b/blobs/uploads/u1?_state=s')).toBe(
      'https://containers.example.com/v2/a/b/blobs/uploads/u1?_state=s',
    );
  });

  it('moves an absolute URL on the registry host to the public origin', () => {
    expect(rewritten('http://10.0.0.5:5000/v2/a/b/blobs/sha256:1')).toBe(
      'https://containers.example.com/v2/a/b/blobs/sha256:1',
    );
  });

  it('fixes the scheme of a URL the registry built from the public host', () => {
    expect(rewritten('http://containers.example.com/v2/a/b/manifests/1')).toBe(
      'https://containers.example.com/v2/a/b/manifests/1',
    );
  });

  it('leaves redirects to object storage alone', () => {
    const presigned = 'https://bucket.s3.amazonaws.com/docker/blob?X-Amz-Signature=abc';

    expect(rewritten(presigned)).toBe(presigned);
  });
});

describe('hop-by-hop response headers', () => {
  it('drops connection headers and those the Connection header names', () => {
    const headers: IncomingHttpHeaders = {
      connection: 'keep-alive, x-private',
      'keep-alive': 'timeout=5',
      'x-private': '1',
      'docker-content-digest': 'sha256:1',
    };

    stripResponseHopByHop(headers);

    const kept = Object.entries(headers).filter(([, value]) => value !== undefined);
    expect(Object.fromEntries(kept)).toEqual({ 'docker-content-digest': 'sha256:1' });
  });
});

describe('CORS', () => {
  it('drops whatever CORS headers the registry was configured to send', () => {
    const headers: IncomingHttpHeaders = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'Authorization',
      'docker-content-digest': 'sha256:0',
    };

    stripCors(headers);

    expect(Object.entries(headers).filter(([, value]) => value !== undefined)).toEqual([
      ['docker-content-digest', 'sha256:0'],
    ]);
  });
});
