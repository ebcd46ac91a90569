import { randomUUID } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { clientOf, errorCodes, pull, restOf, workflowOf } from './rest';
import type { Rest } from './rest';

/**
 * The Packages REST API on the web origin, as GitHub's clients use it: listing a namespace's
 * packages a page at a time, reading one, deleting and restoring it, and who may do which.
 */
const suffix = randomUUID().slice(0, 8);
const CONTAINER = 'package_type=container';

describe('the Packages REST API: packages', () => {
  let gw: TestGateway;
  let rest: Rest;

  beforeAll(async () => {
    gw = await startGateway();
    rest = restOf(gw);
  });
  afterAll(() => gw.close());

  describe('listing', () => {
    // mona's namespace is this test's alone: no other test file publishes into it.
    let monaToken: string;

    beforeAll(async () => {
      const mona = await clientOf(gw, 'mona');
      for (const name of ['a', 'b', 'c']) await mona.pushImage(`mona/list-${name}`, 'v1');
      monaToken = await gw.createToken('mona', ['read:packages']);
    });

    it('lists the signed-in user’s packages a page at a time, with GitHub’s Link header', async () => {
      const first = await rest('get', `/user/packages?${CONTAINER}&per_page=2`, monaToken).expect(
        200,
      );
      const second = await rest(
        'get',
        `/user/packages?${CONTAINER}&per_page=2&page=2`,
        monaToken,
      ).expect(200);

      const base = `http://${gw.webHost}/api/v3/user/packages?${CONTAINER}&per_page=2`;
      expect(first.body.map((p: { name: string }) => p.name)).toEqual(['list-a', 'list-b']);
      expect(first.headers.link).toBe(`<${base}&page=2>; rel="next", <${base}&page=2>; rel="last"`);
      expect(second.body.map((p: { name: string }) => p.name)).toEqual(['list-c']);
      expect(second.headers.link).toBe(
        `<${base}&page=1>; rel="prev", <${base}&page=1>; rel="first"`,
      );
    });

    it('lists only the packages the caller can read, and filters by visibility', async () => {
      const outsider = await gw.createToken('outsider', ['read:packages']);
      const hidden = await rest('get', `/users/mona/packages?${CONTAINER}`, outsider).expect(200);
      await rest('patch', '/user/packages/container/list-b/settings', await adminOf('mona'))
        .send({ visibility: 'public' })
        .expect(200);
      const shown = await rest('get', `/users/mona/packages?${CONTAINER}`, outsider).expect(200);
      const publicOnly = await rest(
        'get',
        `/user/packages?${CONTAINER}&visibility=public`,
        monaToken,
      ).expect(200);

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
      const res = await rest('get', `/user/packages?${query}`, monaToken).expect(400);

      expect(res.body.message).toContain(message);
      expect(res.body.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//);
    });

    it('answers 404 for a user’s namespace under /orgs and an organization’s under /users', async () => {
      await rest('get', `/orgs/mona/packages?${CONTAINER}`, monaToken).expect(404);
      await rest('get', `/users/acme/packages?${CONTAINER}`, monaToken).expect(404);
      await rest('get', `/users/nobody/packages?${CONTAINER}`, monaToken).expect(404);
    });
  });

  async function adminOf(user: string): Promise<string> {
    return gw.createToken(user, ['read:packages', 'write:packages', 'delete:packages']);
  }

  describe('one package', () => {
    it('gives GitHub’s JSON for a package, its name encoded in URLs', async () => {
      const name = `app/release-${suffix}`;
      await gw.client.pushImage(`octocat/${name}`, 'v1');
      await gw.client.pushImage(`octocat/${name}`, 'v2', { build: '2' });

      const res = await rest(
        'get',
        `/user/packages/container/${encodeURIComponent(name)}`,
        gw.ownerToken,
      ).expect(200);
      const byUser = await rest(
        'get',
        `/users/octocat/packages/container/${encodeURIComponent(name)}`,
        gw.ownerToken,
      ).expect(200);

      const base = `http://${gw.webHost}`;
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
      await gw.client.pushImage(repository, 'v1');
      await rest(
        'patch',
        `/orgs/acme/packages/container/linked-api-${suffix}/settings`,
        gw.ownerToken,
      )
        .send({ repository: 'acme/web' })
        .expect(200);

      const res = await rest(
        'get',
        `/orgs/acme/packages/container/linked-api-${suffix}`,
        gw.ownerToken,
      ).expect(200);

      const base = `http://${gw.webHost}`;
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
      await gw.client.pushImage(`octocat/${name}`, 'v1');
      const outsider = await gw.createToken('outsider', ['read:packages']);

      const hidden = await rest('get', `/users/octocat/packages/container/${name}`, outsider);
      await rest('patch', `/user/packages/container/${name}/settings`, gw.ownerToken)
        .send({ visibility: 'public' })
        .expect(200);
      const shown = await rest('get', `/users/octocat/packages/container/${name}`, outsider);
      const missing = await rest(
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
      const none = await rest('get', `/user/packages?${CONTAINER}`).expect(401);
      const bad = await rest('get', `/user/packages?${CONTAINER}`, 'ghp_notatoken').expect(401);

      expect(none.body.message).toBe('Requires authentication');
      expect(bad.body.message).toBe('Bad credentials');
    });

    it('refuses an SSO organization’s packages to a token not authorized for it', async () => {
      const unauthorized = await gw.createToken('octocat', ['read:packages']);

      const res = await rest('get', `/orgs/secure/packages?${CONTAINER}`, unauthorized);

      expect(res.status).toBe(403);
      expect(res.body.message).toContain('SSO');
    });
  });

  describe('scopes and roles', () => {
    const name = `guarded-${suffix}`;
    const path = `/orgs/acme/packages/container/${name}`;

    beforeAll(async () => {
      await gw.client.pushImage(`acme/${name}`, 'v1');
    });

    it('refuses to read without read:packages, naming the scope', async () => {
      const deleteOnly = await gw.createToken('octocat', ['delete:packages']);

      const res = await rest('get', path, deleteOnly).expect(403);

      expect(res.body.message).toContain('read:packages');
      expect(res.headers['x-accepted-oauth-scopes']).toBe('read:packages');
    });

    it('refuses to delete with a read token, naming delete:packages', async () => {
      const readOnly = await gw.createToken('octocat', ['read:packages']);

      const res = await rest('delete', path, readOnly).expect(403);
      await rest('get', path, readOnly).expect(200);

      expect(res.body.message).toContain('delete:packages');
    });

    it('answers 404 to a deleter who cannot see the package, 403 to one who only reads it', async () => {
      const hubot = await adminOf('hubot');

      const unseen = await rest('delete', path, hubot);
      await rest('put', `${path}/settings/access/users/hubot`, gw.ownerToken)
        .send({ role: 'read' })
        .expect(200);
      const reader = await rest('delete', path, hubot);
      await rest('get', path, gw.ownerToken).expect(200);

      expect(unseen.status).toBe(404);
      expect(reader.status).toBe(403);
      expect(reader.body.message).toContain('admin');
    });

    it('refuses /user to a workflow token, which is no user', async () => {
      const { token } = await workflowOf(gw, 'acme/web', 'write');

      const res = await rest('get', `/user/packages?${CONTAINER}`, token).expect(403);

      expect(res.body.message).toBe('Resource not accessible by integration');
    });
  });

  describe('deleting and restoring a package', () => {
    it('hides a deleted package from the API and from pulls until it is restored', async () => {
      const name = `doomed-${suffix}`;
      const repository = `octocat/${name}`;
      await gw.client.pushImage(repository, 'v1');
      await gw.client.pushImage(repository, 'v2', { build: '2' });
      const path = `/user/packages/container/${name}`;

      await rest('delete', path, gw.ownerToken).expect(204);
      const gone = await rest('get', path, gw.ownerToken).expect(404);
      const pulled = await pull(gw.client, repository, 'v1').expect(404);
      const listed = await rest('get', `/user/packages?${CONTAINER}&per_page=100`, gw.ownerToken);
      const deleted = await rest('get', `${path}/deleted`, gw.ownerToken).expect(200);
      await rest('post', `${path}/restore?token=${deleted.body[0].token}`, gw.ownerToken).expect(
        204,
      );
      const back = await rest('get', path, gw.ownerToken).expect(200);
      await pull(gw.client, repository, 'v1').expect(200);

      expect(gone.body.message).toBe('Package not found.');
      expect(errorCodes(pulled.body)).toEqual(['NAME_UNKNOWN']);
      expect(listed.body.map((p: { name: string }) => p.name)).not.toContain(name);
      expect(deleted.body).toEqual([
        { token: expect.any(String), deleted_at: expect.any(String), version_count: 2 },
      ]);
      expect(back.body.version_count).toBe(2);
    });

    it('refuses to restore a package whose name was published again, with 409', async () => {
      const name = `reused-${suffix}`;
      await gw.client.pushImage(`octocat/${name}`, 'v1');
      await rest('delete', `/user/packages/container/${name}`, gw.ownerToken).expect(204);
      await gw.client.pushImage(`octocat/${name}`, 'v1', { build: 'again' });

      const res = await rest('post', `/user/packages/container/${name}/restore`, gw.ownerToken);

      expect(res.status).toBe(409);
      expect(res.body.message).toContain('name');
    });

    it('lets a workflow delete and restore the package its repository is linked to', async () => {
      const writer = await workflowOf(gw, 'acme/web', 'write');
      const reader = await workflowOf(gw, 'acme/web', 'read');
      const other = await workflowOf(gw, 'octocat/hello', 'write');
      const name = `from-workflow-${suffix}`;
      await writer.client.pushImage(`acme/${name}`, 'v1');
      const path = `/orgs/acme/packages/container/${name}`;

      const byReader = await rest('delete', path, reader.token);
      const byOther = await rest('delete', path, other.token);
      await rest('delete', path, writer.token).expect(204);
      const otherRestore = await rest('post', `${path}/restore`, other.token);
      await rest('post', `${path}/restore`, writer.token).expect(204);
      const settings = await rest('get', `${path}/settings`, writer.token);

      expect(byReader.status).toBe(403);
      expect(byOther.status).toBe(404);
      expect(otherRestore.status).toBe(404);
      await rest('get', path, writer.token).expect(200);
      expect(settings.status).toBe(403);
      expect(settings.body.message).toBe('Resource not accessible by integration');
    });
  });
});
