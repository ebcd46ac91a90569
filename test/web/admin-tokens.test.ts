import request from 'supertest';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';

describe('the token administration API', () => {
  let gw: TestGateway;
  let api: (method: 'get' | 'post' | 'delete', path: string, token?: string) => request.Test;

  beforeAll(async () => {
    gw = await startGateway();
    api = (method, path, token = gw.ownerToken) => {
      const test = gw.http[method](`/api/v3/admin${path}`);
      test.set('Host', gw.webHost);
      return token ? test.set('Authorization', `token ${token}`) : test;
    };
  });
  afterAll(() => gw.close());

  it('creates a token for a user, shown once, that works on the registry', async () => {
    const res = await api('post', '/users/mona/tokens')
      .send({ scopes: ['read:packages'], note: 'laptop', expires_in_days: 30 })
      .expect(201);

    expect(res.body).toMatchObject({ user: 'mona', scopes: ['read:packages'], note: 'laptop' });
    expect(res.body.token).toMatch(/^ghp_/);
    expect(Date.parse(res.body.expires_at)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    await gw.client.as({ username: 'mona', password: res.body.token }).get('/v2/').expect(200);
  });

  it('lists a user’s tokens without their secrets, and revokes one at once', async () => {
    const created = await api('post', '/users/hubot/tokens').send({ scopes: ['write:packages'] });

    const listed = await api('get', '/users/hubot/tokens').expect(200);
    await api('delete', `/tokens/${created.body.id}`).expect(204);
    const after = await gw.client
      .as({ username: 'hubot', password: created.body.token })
      .get('/v2/');

    expect(listed.body.map((token: { id: string }) => token.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    expect(after.status).toBe(401);
    await api('delete', `/tokens/${created.body.id}`).expect(404);
  });

  it('creates workflow tokens for a repository', async () => {
    const res = await api('post', '/repos/acme/web/workflow-tokens')
      .send({ permission: 'read', expires_in_minutes: 10 })
      .expect(201);

    expect(res.body).toMatchObject({ repository: 'acme/web', permission: 'read' });
    expect(res.body.token).toMatch(/^ghs_/);
  });

  it.each([
    ['/users/mona/tokens', { scopes: ['admin:org'] }, 422],
    ['/users/mona/tokens', { scopes: [] }, 422],
    ['/users/mona/tokens', { scopes: ['read:packages'], expires_in_days: -1 }, 422],
    ['/users/nobody/tokens', { scopes: ['read:packages'] }, 404],
    ['/repos/acme/web/workflow-tokens', { permission: 'admin' }, 422],
  ])('refuses POST %s %j with %i', async (path, body, status) => {
    const res = await api('post', path).send(body).expect(status);

    expect(res.body).toEqual({
      message: expect.any(String),
      documentation_url: expect.any(String),
    });
  });

  it('is for site administrators only', async () => {
    const member = await gw.createToken('hubot', ['read:packages', 'write:packages']);

    await api('get', '/users/mona/tokens', '').expect(401);
    await api('get', '/users/mona/tokens', 'ghp_not-a-token').expect(401);
    const refused = await api('get', '/users/mona/tokens', member).expect(403);

    expect(refused.body.message).toBe('Must be a site administrator');
  });
});
