import { createHash } from 'node:crypto';

import request from 'supertest';
import type { Test } from 'supertest';

/**
 * A minimal distribution-spec client over supertest, for tests that speak the protocol by
 * hand: every request goes to crgate's loopback port with the Host the caller names.
 */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export class RegistryClient {
  constructor(
    readonly port: number,
    readonly host: string,
    /** Sent as Basic credentials on every request; none for an anonymous client. */
    readonly credentials?: Credentials,
  ) {}

  /** The same client with other credentials, or none. */
  as(credentials?: Credentials): RegistryClient {
    return new RegistryClient(this.port, this.host, credentials);
  }

  private prepare(test: Test): Test {
    test.set('Host', this.host);
    return this.credentials
      ? test.auth(this.credentials.username, this.credentials.password)
      : test;
  }

  private send(method: 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete', path: string) {
    return this.prepare(request(`http://127.0.0.1:${this.port}`)[method](path));
  }

  get(path: string): Test {
    return this.send('get', path);
  }

  head(path: string): Test {
    return this.send('head', path);
  }

  post(path: string): Test {
    return this.send('post', path);
  }

  put(path: string): Test {
    return this.send('put', path);
  }

  patch(path: string): Test {
    return this.send('patch', path);
  }

  delete(path: string): Test {
    return this.send('delete', path);
  }

  /** The path and query of a Location crgate handed out, after checking it is on our origin. */
  localPath(location: string): string {
    const url = new URL(location);
    if (url.host !== this.host) throw new Error(`Location ${location} is not on ${this.host}`);
    return url.pathname + url.search;
  }

  /** A Location (or a local path) with query parameters added, as a client builds the next URL. */
  pathWith(location: string, query: Record<string, string>): string {
    const local = location.startsWith('/') ? location : this.localPath(location);
    const url = new URL(local, 'http://local');
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url.pathname + url.search;
  }

  /** Monolithic upload (POST then PUT with the whole body); resolves with the digest. */
  async pushBlob(repository: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const started = await this.post(`/v2/${repository}/blobs/uploads/`).expect(202);
    await this.put(this.pathWith(started.headers.location as string, { digest }))
      .set('Content-Type', 'application/octet-stream')
      .send(data)
      .expect(201);
    return digest;
  }

  /** Pushes a config blob and an image manifest with no layers; resolves with its digest. */
  async pushImage(repository: string, tag: string, labels: Record<string, string> = {}) {
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels } }),
    );
    const configDigest = await this.pushBlob(repository, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
        layers: [],
      }),
    );
    await this.put(`/v2/${repository}/manifests/${tag}`)
      .set('Content-Type', OCI_MANIFEST)
      // superagent would JSON-encode a Buffer for a +json type; a string goes out as it is.
      .send(manifest.toString('utf8'))
      .expect(201);
    return { digest: sha256(manifest), manifest, configDigest };
  }
}
