import { randomUUID } from 'node:crypto';

import { errorCodes, pull, useRestGateway, workflowOf } from './rest';

/**
 * A package's versions through the REST API: listing them with their tags, deleting one so
 * that pulls no longer find it, listing the deleted ones and restoring them.
 */
const suffix = randomUUID().slice(0, 8);

interface VersionJson {
  id: number;
  name: string;
  deleted_at?: string;
  metadata: { container: { tags: string[] } };
}

describe('the Packages REST API: versions', () => {
  const api = useRestGateway();

  /** Pushes images tagged `tags` in that order, each a new version; resolves with digests. */
  async function publish(repository: string, tags: readonly string[]): Promise<string[]> {
    const digests = [];
    for (const tag of tags) {
      digests.push((await api.gw.client.pushImage(repository, tag, { build: tag })).digest);
    }
    return digests;
  }

  async function versionsOf(path: string, query = ''): Promise<VersionJson[]> {
    return (await api.rest('get', `${path}/versions${query}`, api.gw.ownerToken).expect(200)).body;
  }

  it('lists versions newest first, with their tags and GitHub’s URLs, a page at a time', async () => {
    const name = `listed-${suffix}`;
    const [first, second, third] = await publish(`octocat/${name}`, ['v1', 'v2', 'v3']);
    await api.gw.client.pushImage(`octocat/${name}`, 'latest', { build: 'v3' });
    const path = `/user/packages/container/${name}`;

    const page1 = await api
      .rest('get', `${path}/versions?per_page=2`, api.gw.ownerToken)
      .expect(200);
    const page2 = await api.rest('get', `${path}/versions?per_page=2&page=2`, api.gw.ownerToken);

    const base = `http://${api.gw.webHost}`;
    const [newest] = page1.body as VersionJson[];
    expect(page1.body.map((v: VersionJson) => v.name)).toEqual([third, second]);
    expect(page2.body.map((v: VersionJson) => v.name)).toEqual([first]);
    expect(newest).toEqual({
      id: expect.any(Number),
      name: third,
      url: `${base}/api/v3/users/octocat/packages/container/${name}/versions/${newest?.id}`,
      package_html_url: `${base}/users/octocat/packages/container/package/${name}`,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      html_url: `${base}/users/octocat/packages/container/${name}/${newest?.id}`,
      metadata: { package_type: 'container', container: { tags: ['latest', 'v3'] } },
    });
    expect(page1.headers.link).toContain('rel="next"');
    expect(page2.headers.link).toContain('rel="prev"');
  });

  it('deletes a version so pulls get MANIFEST_UNKNOWN, lists it as deleted, and restores it', async () => {
    const name = `round-trip-${suffix}`;
    const repository = `octocat/${name}`;
    const [kept, gone] = await publish(repository, ['kept', 'gone']);
    const path = `/user/packages/container/${name}`;
    const id = (await versionsOf(path)).find((v) => v.name === gone)?.id;

    await api.rest('delete', `${path}/versions/${id}`, api.gw.ownerToken).expect(204);
    const byTag = await pull(api.gw.client, repository, 'gone').expect(404);
    const byDigest = await pull(api.gw.client, repository, gone ?? '').expect(404);
    const active = await versionsOf(path);
    const deleted = await versionsOf(path, '?state=deleted');
    const one = await api.rest('get', `${path}/versions/${id}`, api.gw.ownerToken).expect(200);
    const count = await api.rest('get', path, api.gw.ownerToken).expect(200);
    await api.rest('post', `${path}/versions/${id}/restore`, api.gw.ownerToken).expect(204);
    const restored = await pull(api.gw.client, repository, 'gone').expect(200);

    expect(errorCodes(byTag.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(errorCodes(byDigest.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(active.map((v) => v.name)).toEqual([kept]);
    expect(deleted).toEqual([
      expect.objectContaining({
        id,
        name: gone,
        deleted_at: expect.any(String),
        metadata: { package_type: 'container', container: { tags: ['gone'] } },
      }),
    ]);
    expect(one.body.deleted_at).toBe(deleted[0]?.deleted_at);
    expect(count.body.version_count).toBe(1);
    expect(restored.headers['docker-content-digest']).toBe(gone);
    expect(await versionsOf(path, '?state=deleted')).toEqual([]);
  });

  it('refuses to delete the last version of a package: the package must be deleted', async () => {
    const name = `last-${suffix}`;
    await publish(`octocat/${name}`, ['only']);
    const path = `/user/packages/container/${name}`;
    const [only] = await versionsOf(path);

    const res = await api
      .rest('delete', `${path}/versions/${only?.id}`, api.gw.ownerToken)
      .expect(400);
    await pull(api.gw.client, `octocat/${name}`, 'only').expect(200);

    expect(res.body.message).toContain('delete the package');
  });

  it('refuses to restore a version whose tag was pushed again since, naming the tag', async () => {
    const name = `retagged-${suffix}`;
    const repository = `octocat/${name}`;
    const [, old] = await publish(repository, ['base', 'release']);
    const path = `/user/packages/container/${name}`;
    const id = (await versionsOf(path)).find((v) => v.name === old)?.id;
    await api.rest('delete', `${path}/versions/${id}`, api.gw.ownerToken).expect(204);
    await api.gw.client.pushImage(repository, 'release', { build: 'again' });

    const res = await api
      .rest('post', `${path}/versions/${id}/restore`, api.gw.ownerToken)
      .expect(409);

    expect(res.body.message).toContain('release');
  });

  it('answers 404 for a version that is not there, and 400 for an unknown state', async () => {
    const name = `absent-${suffix}`;
    await publish(`octocat/${name}`, ['v1']);
    const path = `/user/packages/container/${name}`;

    const missing = await api
      .rest('get', `${path}/versions/999999999`, api.gw.ownerToken)
      .expect(404);
    await api.rest('get', `${path}/versions/abc`, api.gw.ownerToken).expect(404);
    await api.rest('post', `${path}/versions/999999999/restore`, api.gw.ownerToken).expect(404);
    const state = await api
      .rest('get', `${path}/versions?state=gone`, api.gw.ownerToken)
      .expect(400);

    expect(missing.body.message).toBe('Package version not found.');
    expect(state.body.message).toContain('active or deleted');
  });

  it('shows deleted versions to the package’s admins only', async () => {
    const name = `deleted-view-${suffix}`;
    await publish(`acme/${name}`, ['v1', 'v2']);
    const path = `/orgs/acme/packages/container/${name}`;
    const [newest] = await versionsOf(path);
    await api.rest('delete', `${path}/versions/${newest?.id}`, api.gw.ownerToken).expect(204);
    await api
      .rest('put', `${path}/settings/access/users/mona`, api.gw.ownerToken)
      .send({ role: 'write' })
      .expect(200);
    const mona = await api.gw.createToken('mona', ['read:packages']);

    const listed = await api.rest('get', `${path}/versions?state=deleted`, mona);
    const one = await api.rest('get', `${path}/versions/${newest?.id}`, mona);
    const active = await api.rest('get', `${path}/versions`, mona).expect(200);

    expect(listed.status).toBe(403);
    expect(one.status).toBe(404);
    expect(active.body).toHaveLength(1);
  });

  it('lets a workflow delete and restore versions of its linked package, not with packages: read', async () => {
    const writer = await workflowOf(api.gw, 'acme/web', 'write');
    const reader = await workflowOf(api.gw, 'acme/web', 'read');
    const name = `workflow-versions-${suffix}`;
    await writer.client.pushImage(`acme/${name}`, 'one', { build: '1' });
    await writer.client.pushImage(`acme/${name}`, 'two', { build: '2' });
    const path = `/orgs/acme/packages/container/${name}`;
    const [newest] = (await api.rest('get', `${path}/versions`, reader.token).expect(200)).body;

    const byReader = await api.rest('delete', `${path}/versions/${newest.id}`, reader.token);
    await api.rest('delete', `${path}/versions/${newest.id}`, writer.token).expect(204);
    const hidden = await pull(writer.client, `acme/${name}`, 'two').expect(404);
    await api.rest('post', `${path}/versions/${newest.id}/restore`, writer.token).expect(204);
    await pull(writer.client, `acme/${name}`, 'two').expect(200);

    expect(byReader.status).toBe(403);
    expect(errorCodes(hidden.body)).toEqual(['MANIFEST_UNKNOWN']);
  });
});
