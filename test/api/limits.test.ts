import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { pull, restOf } from './rest';
import type { Rest } from './rest';

/**
 * The deletion rules a REST client meets, on a gateway configured to meet them at once: a
 * public package pulled more than once cannot be deleted, and nothing can be restored once
 * deleted, the restore window being zero.
 */
const suffix = randomUUID().slice(0, 8);

describe('the Packages REST API: the download rule and the restore window', () => {
  let gw: TestGateway;
  let rest: Rest;

  beforeAll(async () => {
    gw = await startGateway({
      CRGATE_PUBLIC_DELETE_MAX_DOWNLOADS: '1',
      CRGATE_RESTORE_WINDOW_SECONDS: '0',
      // No purge while the tests run: the expired deletions stay for the restores to refuse.
      CRGATE_PURGE_INTERVAL_SECONDS: '0',
    });
    rest = restOf(gw);
  });
  afterAll(() => gw.close());

  it('refuses to delete a public package with a version pulled more than the configured times', async () => {
    const name = `popular-${suffix}`;
    await gw.client.pushImage(`octocat/${name}`, 'v1');
    const path = `/user/packages/container/${name}`;
    await rest('patch', `${path}/settings`, gw.ownerToken).send({ visibility: 'public' });
    await pull(gw.client, `octocat/${name}`, 'v1').expect(200);
    await pull(gw.client, `octocat/${name}`, 'v1').expect(200);

    const res = await rest('delete', path, gw.ownerToken).expect(403);
    await rest('get', path, gw.ownerToken).expect(200);

    expect(res.body.message).toBe(
      'Public packages that have a version with more than 1 downloads cannot be deleted',
    );
  });

  it('refuses to delete a version of a public package pulled more than the configured times', async () => {
    const name = `popular-version-${suffix}`;
    await gw.client.pushImage(`octocat/${name}`, 'v1', { build: '1' });
    await gw.client.pushImage(`octocat/${name}`, 'v2', { build: '2' });
    const path = `/user/packages/container/${name}`;
    await rest('patch', `${path}/settings`, gw.ownerToken).send({ visibility: 'public' });
    await pull(gw.client, `octocat/${name}`, 'v1').expect(200);
    await pull(gw.client, `octocat/${name}`, 'v1').expect(200);
    const versions = (await rest('get', `${path}/versions`, gw.ownerToken).expect(200)).body;
    const pulled = versions.find((v: { metadata: { container: { tags: string[] } } }) =>
      v.metadata.container.tags.includes('v1'),
    );

    const res = await rest('delete', `${path}/versions/${pulled.id}`, gw.ownerToken).expect(403);
    await pull(gw.client, `octocat/${name}`, 'v1').expect(200);

    expect(res.body.message).toBe(
      'Versions of a public package with more than 1 downloads cannot be deleted',
    );
  });

  it('answers 404 to a restore after the restore window, saying so', async () => {
    const name = `expired-${suffix}`;
    await gw.client.pushImage(`octocat/${name}`, 'v1', { build: '1' });
    await gw.client.pushImage(`octocat/${name}`, 'v2', { build: '2' });
    const path = `/user/packages/container/${name}`;
    const [newest] = (await rest('get', `${path}/versions`, gw.ownerToken).expect(200)).body;
    await rest('delete', `${path}/versions/${newest.id}`, gw.ownerToken).expect(204);
    await rest('delete', path, gw.ownerToken).expect(204);
    // The window is zero: it has passed once the clock has moved at all.
    await delay(5);

    const res = await rest('post', `${path}/restore`, gw.ownerToken).expect(404);

    expect(res.body.message).toContain('restore window');
  });
});
