import { randomUUID } from 'node:crypto';

import { allPages, clientOf, errorCodes, pull, useRestGateway, workflowOf } from './rest';

/**
 * The Packages REST API on the web origin, as GitHub's clients use it: listing a namespace's
 * packages a page at a time, reading one, deleting and restoring it, and who may do which.
 */
const suffix = randomUUID().slice(0, 8);
const CONTAINER = 'package_type=container';

describe('the Packages REST API: packages', () => {
  const api = useRestGateway();

  describe('listing', () => {
    // mona's namespace is this test's alone: no other test file publishes into it.
    let monaToken: string;

    beforeAll(async () => {
      const mona = await clientOf(api.gw, 'mona');
      for (const name of ['a', 'b', 'c']) await mona.pushImage(`mona/list-${name}`, 'v1');
      monaToken = await api.gw.createToken('mona', ['read:packages']);
    });

    it('lists the signed-in user’s packages a page at a time, with GitHub’s Link header', async () => {
      const first = await api
        .rest('get', `/user/packages?${CONTAINER}&per_page=2`, monaToken)
        .expect(200);
      const second = await api
        .rest('get', `/user/packages?${CONTAINER}&per_page=2&page=2`, monaToken)
        .expect(200);

      const base = `http://${api.gw.webHost}/api/v3/user/packages?${CONTAINER}&per_page=2`;
      expect(first.body.map((p: { name: string }) => p.name)).toEqual(['list-a', 'list-b']);
      expect(first.headers.link).toBe(`<${base}&page=2>; rel="next", <${base}&page=2>; rel="last"`);
      expect(second.body.map((p: { name: string }) => p.name)).toEqual(['list-c']);
      expect(second.headers.link).toBe(
        `<${base}&page=1>; rel="prev", <${base}&page=1>; rel="first"`,
      );
    });

    it('lists only the packages the caller can read, and filters by visibility', async () => {
      const outsider = await api.gw.createToken('outsider', ['read:packages']);
      const hidden = await api
        .rest('get', `/users/mona/packages?${CONTAINER}`, outsider)
        .expect(200);
      await api
        .rest('patch', '/user/packages/container/list-b/settings', await adminOf('mona'))
        .send({ visibility: 'public' })
        .expect(200);
      const shown = await api
        .rest('get', `/users/mona/packages?${CONTAINER}`, outsider)
        .expect(200);
      const publicOnly = await api
        .rest('get', `/user/packages?${CONTAINER}&visibility=public`, monaToken)
        .expect(200);

      expect(hidden.body).toEqual([]);
      expect(hidden.headers.link).toBeUndefined();
      expect(shown.body.map((p: { name: string }) => p.name)).toEqual(['list-b']);
      expect(publicOnly.body.map((p: { name: string }) => p.name)).toEqual(['list-b']);
    });

    it.each([
      ['', 'package_type is required'],
      ['package_type=npm', 'package_type must be container'],
      [`${CONTAINER}&visibility=secret`, 'visibility must be one of'],
      [`${CONTAINER}&per_page=0`, 'per_page must be a whole number'],
    ])('refuses the query %j with 400', async (query, message) => {
      const res = await api.rest('get', `/user/packages?${query}`, monaToken).expect(400);

      expect(res.body.message).toContain(message);
      expect(res.body.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//);
    });

    it('answers 404 for a user’s namespace under /orgs and an organization’s under /users', async () => {
      await api.rest('get', `/orgs/mona/packages?${CONTAINER}`, monaToken).expect(404);
      await api.rest('get', `/users/acme/packages?${CONTAINER}`, monaToken).expect(404);
      await api.rest('get', `/users/nobody/packages?${CONTAINER}`, monaToken).expect(404);
    });
  });

  async function adminOf(user: string): Promise<string> {
    return api.gw.createToken(user, ['read:packages', 'write:packages', 'delete:packages']);
  }

  describe('one package', () => {
    it('gives GitHub’s JSON for a package, its name encoded in URLs', async () => {
      const name = `app/release-${suffix}`;
      await api.gw.client.pushImage(`octocat/${name}`, 'v1');
      await api.gw.client.pushImage(`octocat/${name}`, 'v2', { build: '2' });

      const res = await api
        .rest('get', `/user/packages/container/${encodeURIComponent(name)}`, api.gw.ownerToken)
        .expect(200);
      const byUser = await api
        .rest(
          'get',
          `/users/octocat/packages/container/${encodeURIComponent(name)}`,
          api.gw.ownerToken,
        )
        .expect(200);

      const base = `http://${api.gw.webHost}`;
      expect(res.body).toEqual({
        id: expect.any(Number),
        name,
        package_type: 'container',
        owner: {
          login: 'octocat',
          id: expect.any(Number),
          type: 'User',
          url: `${base}/api/v3/users/octocat`,
          html_url: `${base}/octocat`,
        },
        version_count: 2,
        visibility: 'private',
        url: `${base}/api/v3/users/octocat/packages/container/app%2Frelease-${suffix}`,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        repository: null,
        html_url: `${base}/users/octocat/packages/container/package/app%2Frelease-${suffix}`,
      });
      expect(byUser.body).toEqual(res.body);
    });

    it('describes an organization’s package with its owner and linked repository', async () => {
      const repository = `acme/linked-api-${suffix}`;
      await api.gw.client.pushImage(repository, 'v1');
      await api
        .rest(
          'patch',
          `/orgs/acme/packages/container/linked-api-${suffix}/settings`,
          api.gw.ownerToken,
        )
        .send({ repository: 'acme/web' })
        .expect(200);

      const res = await api
        .rest('get', `/orgs/acme/packages/container/linked-api-${suffix}`, api.gw.ownerToken)
        .expect(200);

      const base = `http://${api.gw.webHost}`;
      expect(res.body.owner).toMatchObject({ login: 'acme', type: 'Organization' });
      expect(res.body.url).toBe(`${base}/api/v3/orgs/acme/packages/container/linked-api-${suffix}`);
      expect(res.body.html_url).toBe(
        `${base}/orgs/acme/packages/container/package/linked-api-${suffix}`,
      );
      expect(res.body.repository).toEqual({
        id: expect.any(Number),
        name: 'web',
        full_name: 'acme/web',
        private: true,
        html_url: `${base}/acme/web`,
        url: `${base}/api/v3/repos/acme/web`,
        owner: expect.objectContaining({ login: 'acme', id: res.body.owner.id }),
      });
    });

    it('hides a private package from those who cannot see it, and shows a public one', async () => {
      const name = `seen-${suffix}`;
      await api.gw.client.pushImage(`octocat/${name}`, 'v1');
      const outsider = await api.gw.createToken('outsider', ['read:packages']);

      const hidden = await api.rest('get', `/users/octocat/packages/container/${name}`, outsider);
      await api
        .rest('patch', `/user/packages/container/${name}/settings`, api.gw.ownerToken)
        .send({ visibility: 'public' })
        .expect(200);
      const shown = await api.rest('get', `/users/octocat/packages/container/${name}`, outsider);
      const missing = await api.rest(
        'get',
        `/users/octocat/packages/container/none-${suffix}`,
        outsider,
      );

      expect(hidden.status).toBe(404);
      expect(hidden.body.message).toBe('Package not found.');
      expect(shown.status).toBe(200);
      expect(shown.body.visibility).toBe('public');
      expect(missing.body).toEqual(hidden.body);
    });

    it('asks for credentials, and refuses bad ones', async () => {
      const none = await api.rest('get', `/user/packages?${CONTAINER}`).expect(401);
      const bad = await api.rest('get', `/user/packages?${CONTAINER}`, 'ghp_notatoken').expect(401);

      expect(none.body.message).toBe('Requires authentication');
      expect(bad.body.message).toBe('Bad credentials');
    });

    it('refuses an SSO organization’s packages to a token not authorized for it', async () => {
      const unauthorized = await api.gw.createToken('octocat', ['read:packages']);

      const res = await api.rest('get', `/orgs/secure/packages?${CONTAINER}`, unauthorized);

      expect(res.status).toBe(403);
      expect(res.body.message).toContain('SSO');
    });
  });

  describe('scopes and roles', () => {
    const name = `guarded-${suffix}`;
    const path = `/orgs/acme/packages/container/${name}`;

    beforeAll(async () => {
      await api.gw.client.pushImage(`acme/${name}`, 'v1');
    });

    it('refuses to read without read:packages, naming the scope', async () => {
      const deleteOnly = await api.gw.createToken('octocat', ['delete:packages']);

      const res = await api.rest('get', path, deleteOnly).expect(403);

      expect(res.body.message).toContain('read:packages');
      expect(res.headers['x-accepted-oauth-scopes']).toBe('read:packages');
    });

    it('refuses to delete with a read token, naming delete:packages', async () => {
      const readOnly = await api.gw.createToken('octocat', ['read:packages']);

      const res = await api.rest('delete', path, readOnly).expect(403);
      await api.rest('get', path, readOnly).expect(200);

      expect(res.body.message).toContain('delete:packages');
    });

    it('answers 404 to a deleter who cannot see the package, 403 to one who only reads it', async () => {
      const hubot = await adminOf('hubot');

      const unseen = await api.rest('delete', path, hubot);
      await api
        .rest('put', `${path}/settings/access/users/hubot`, api.gw.ownerToken)
        .send({ role: 'read' })
        .expect(200);
      const reader = await api.rest('delete', path, hubot);
      await api.rest('get', path, api.gw.ownerToken).expect(200);

      expect(unseen.status).toBe(404);
      expect(reader.status).toBe(403);
      expect(reader.body.message).toContain('admin');
    });

    it('refuses /user to a workflow token, which is no user', async () => {
      const { token } = await workflowOf(api.gw, 'acme/web', 'write');

      const res = await api.rest('get', `/user/packages?${CONTAINER}`, token).expect(403);

      expect(res.body.message).toBe('Resource not accessible by integration');
    });
  });

  describe('deleting and restoring a package', () => {
    it('hides a deleted package from the API and from pulls until it is restored', async () => {
      const name = `doomed-${suffix}`;
      const repository = `octocat/${name}`;
      await api.gw.client.pushImage(repository, 'v1');
      await api.gw.client.pushImage(repository, 'v2', { build: '2' });
      const path = `/user/packages/container/${name}`;

      await api.rest('delete', path, api.gw.ownerToken).expect(204);
      const gone = await api.rest('get', path, api.gw.ownerToken).expect(404);
      const pulled = await pull(api.gw.client, repository, 'v1').expect(404);
      // Every page: other test files fill octocat's list past one.
      const listed = await allPages<{ name: string }>(
        api.rest,
        `/user/packages?${CONTAINER}&per_page=100`,
        api.gw.ownerToken,
      );
      const deleted = await api.rest('get', `${path}/deleted`, api.gw.ownerToken).expect(200);
      await api
        .rest('post', `${path}/restore?token=${deleted.body[0].token}`, api.gw.ownerToken)
        .expect(204);
      const back = await api.rest('get', path, api.gw.ownerToken).expect(200);
      await pull(api.gw.client, repository, 'v1').expect(200);

      expect(gone.body.message).toBe('Package not found.');
      expect(errorCodes(pulled.body)).toEqual(['NAME_UNKNOWN']);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.map((p) => p.name)).not.toContain(name);
      expect(deleted.body).toEqual([
        { token: expect.any(String), deleted_at: expect.any(String), version_count: 2 },
      ]);
      expect(back.body.version_count).toBe(2);
    });

    it('refuses to restore a package whose name was published again, with 409', async () => {
      const name = `reused-${suffix}`;
      await api.gw.client.pushImage(`octocat/${name}`, 'v1');
      await api.rest('delete', `/user/packages/container/${name}`, api.gw.ownerToken).expect(204);
      await api.gw.client.pushImage(`octocat/${name}`, 'v1', { build: 'again' });

      const res = await api.rest(
        'post',
        `/user/packages/container/${name}/restore`,
        api.gw.ownerToken,
      );

      expect(res.status).toBe(409);
      expect(res.body.message).toContain('name');
    });

    it('lets a workflow delete and restore the package its repository is linked to', async () => {
      const writer = await workflowOf(api.gw, 'acme/web', 'write');
      const reader = await workflowOf(api.gw, 'acme/web', 'read');
      const other = await workflowOf(api.gw, 'octocat/hello', 'write');
      const name = `from-workflow-${suffix}`;
      await writer.client.pushImage(`acme/${name}`, 'v1');
      const path = `/orgs/acme/packages/container/${name}`;

      const byReader = await api.rest('delete', path, reader.token);
      const byOther = await api.rest('delete', path, other.token);
      await api.rest('delete', path, writer.token).expect(204);
      const otherRestore = await api.rest('post', `${path}/restore`, other.token);
      await api.rest('post', `${path}/restore`, writer.token).expect(204);
      const settings = await api.rest('get', `${path}/settings`, writer.token);

      expect(byReader.status).toBe(403);
      expect(byOther.status).toBe(404);
      expect(otherRestore.status).toBe(404);
      await api.rest('get', path, writer.token).expect(200);
      expect(settings.status).toBe(403);
      expect(settings.body.message).toBe('Resource not accessible by integration');
    });
  });
});
