import { randomUUID } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_MANIFEST } from '../harness/registry-client';

/**
 * A revoked token stops at once: the bearer tokens it was exchanged for are refused on the
 * next request, though crgate remembers every token's liveness to spare Redis a round trip
 * per pull, because Redis tells each replica the moment a token's record goes.
 */
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

test('refuses the bearer tokens of a revoked token on the very next request', async () => {
  const repository = `octocat/revoked-${randomUUID().slice(0, 8)}`;
  await gw.client.pushImage(repository, '1');
  const { secret, record } = await gw.gateway.tokens.createPat({
    user: 'octocat',
    scopes: ['read:packages'],
  });
  const issued = await gw.client
    .as({ username: 'octocat', password: secret })
    .get(`/token?service=containers.localhost&scope=repository:${repository}:pull`)
    .expect(200);
  const bearer = `Bearer ${(issued.body as { token: string }).token}`;
  const head = () =>
    gw.client
      .as(undefined)
      .head(`/v2/${repository}/manifests/1`)
      .set('Accept', OCI_MANIFEST)
      .set('Authorization', bearer);
  const before = [await head(), await head()];

  await gw.gateway.tokens.revoke(record.id);
  const after = await head();

  expect(before.map((res) => res.status)).toEqual([200, 200]);
  expect(after.status).toBe(401);
  expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
});
