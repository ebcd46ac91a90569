import { randomBytes } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_MANIFEST, RegistryClient } from '../harness/registry-client';

const UPLOADS = (repository: string) => `/v2/${repository}/blobs/uploads/`;

describe('authentication and authorization on /v2', () => {
  let gw: TestGateway;
  let anonymous: RegistryClient;

  beforeAll(async () => {
    gw = await startGateway();
    anonymous = gw.client.as(undefined);
  });
  afterAll(() => gw.close());

  async function signedIn(user: string, scopes: Parameters<TestGateway['createToken']>[1]) {
    return gw.client.as({ username: user, password: await gw.createToken(user, scopes) });
  }

  async function bearer(scope: string): Promise<string> {
    const res = await gw.client
      .get(`/token?service=containers.localhost&scope=${scope}`)
      .expect(200);
    return res.body.token as string;
  }

  describe('challenges', () => {
    it('asks anonymous clients of /v2/ to sign in, naming realm and service', async () => {
      const res = await anonymous.get('/v2/').expect(401);

      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="http://${gw.registryHost}/token",service="containers.localhost"`,
      );
      expect(res.body.errors[0].code).toBe('UNAUTHORIZED');
    });

    it.each([
      ['GET', '/v2/octocat/app/manifests/1', 'repository:octocat/app:pull'],
      ['POST', UPLOADS('octocat/app'), 'repository:octocat/app:pull,push'],
      ['DELETE', '/v2/octocat/app/manifests/1', 'repository:octocat/app:delete'],
    ])('names the scope %s %s needs', async (method, path, scope) => {
      const test =
        method === 'GET'
          ? anonymous.get(path)
          : method === 'POST'
            ? anonymous.post(path)
            : anonymous.delete(path);

      const res = await test.expect(401);

      expect(res.headers['www-authenticate']).toContain(`,scope="${scope}"`);
    });

    it('says invalid_token for a bearer token that is not ours', async () => {
      const res = await anonymous.get('/v2/').set('Authorization', 'Bearer not.a.jwt').expect(401);

      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('says insufficient_scope for a bearer token issued for another repository', async () => {
      const token = await bearer('repository:octocat/one:pull');

      const res = await anonymous
        .get('/v2/octocat/two/tags/list')
        .set('Authorization', `Bearer ${token}`)
        .expect(401);

      expect(res.headers['www-authenticate']).toContain(
        'scope="repository:octocat/two:pull",error="insufficient_scope"',
      );
    });

    it('stops bearer tokens issued from a token once it is revoked', async () => {
      const { secret, record } = await gw.gateway.tokens.createPat({
        user: 'octocat',
        scopes: ['read:packages'],
      });
      const issued = await gw.client
        .as({ username: 'octocat', password: secret })
        .get('/token?scope=repository:octocat/bearer-revoked:pull')
        .expect(200);
      const pull = () =>
        anonymous
          .get('/v2/octocat/bearer-revoked/tags/list')
          .set('Authorization', `Bearer ${issued.body.token}`);
      const before = await pull();

      await gw.gateway.tokens.revoke(record.id);
      let after = await pull();
      // crgate may answer from its one-second liveness cache until it asks Redis again.
      for (let i = 0; i < 100 && after.status !== 401; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = await pull();
      }

      expect(before.status).toBe(404);
      expect(after.status).toBe(401);
      expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('lets a bearer token do what it grants', async () => {
      const token = await bearer('repository:octocat/granted:pull,push');

      await anonymous
        .post(UPLOADS('octocat/granted'))
        .set('Authorization', `Bearer ${token}`)
        .expect(202);
    });
  });

  describe('scopes', () => {
    it('lets a read:packages token pull but not push, saying which scope is missing', async () => {
      await gw.client.pushImage('octocat/scoped', '1');
      const reader = await signedIn('octocat', ['read:packages']);

      await reader.get('/v2/octocat/scoped/tags/list').expect(200);
      const res = await reader.post(UPLOADS('octocat/scoped')).expect(403);

      expect(res.body.errors[0]).toMatchObject({
        code: 'DENIED',
        message: 'this token lacks the write:packages scope, needed to push',
      });
    });

    it('needs delete:packages to delete', async () => {
      const { digest } = await gw.client.pushImage('octocat/deletable', '1');
      const writer = await signedIn('octocat', ['write:packages']);

      const refused = await writer.delete(`/v2/octocat/deletable/manifests/${digest}`).expect(403);
      await gw.client.delete(`/v2/octocat/deletable/manifests/${digest}`).expect(202);

      expect(refused.body.errors[0].message).toContain('delete:packages');
    });
  });

  describe('roles', () => {
    it('refuses an outside user in someone else’s namespace', async () => {
      const outsider = await signedIn('outsider', ['write:packages']);

      const res = await outsider.post(UPLOADS('octocat/app')).expect(403);

      expect(res.body.errors[0]).toMatchObject({
        code: 'DENIED',
        message: 'permission denied on octocat/app',
      });
    });

    it('lets organization members push but not delete', async () => {
      const member = await signedIn('hubot', ['write:packages', 'delete:packages']);

      await member.post(UPLOADS('acme/tool')).expect(202);
      const res = await member.delete('/v2/acme/tool/manifests/latest').expect(403);

      expect(res.body.errors[0].code).toBe('DENIED');
    });

    it('requires SSO authorization for an organization that enforces it', async () => {
      const plain = gw.client.as({
        username: 'octocat',
        password: await gw.createToken('octocat', ['write:packages']),
      });
      const authorized = gw.client.as({
        username: 'octocat',
        password: await gw.createToken('octocat', ['write:packages'], ['secure']),
      });

      const refused = await plain.post(UPLOADS('secure/app')).expect(403);
      await authorized.post(UPLOADS('secure/app')).expect(202);

      expect(refused.body.errors[0].message).toContain('organization secure requires SSO');
    });
  });

  describe('visibility', () => {
    async function anonymousToken(repository: string): Promise<string> {
      const scope = `repository:${repository}:pull,push`;
      const res = await anonymous.get(`/token?service=containers.localhost&scope=${scope}`);
      expect(res.status).toBe(200);
      return res.body.token as string;
    }

    it('lets anonymous clients pull a public package with an anonymous token, and only pull', async () => {
      const { digest } = await gw.client.pushImage('octocat/open', '1');
      await gw.gateway.packages.update('octocat/open', { visibility: 'public' });
      const token = await anonymousToken('octocat/open');
      const bearer = `Bearer ${token}`;

      await anonymous.get('/v2/').set('Authorization', bearer).expect(200);
      const pulled = await anonymous
        .get(`/v2/octocat/open/manifests/1`)
        .set('Authorization', bearer)
        .set('Accept', OCI_MANIFEST)
        .expect(200);
      const pushed = await anonymous
        .post(UPLOADS('octocat/open'))
        .set('Authorization', bearer)
        .expect(401);

      expect(pulled.headers['docker-content-digest']).toBe(digest);
      expect(pushed.body.errors[0].code).toBe('UNAUTHORIZED');
    });

    it('keeps private and internal packages from anonymous clients', async () => {
      await gw.client.pushImage('octocat/closed', '1');
      await gw.client.pushImage('octocat/inside', '1');
      await gw.gateway.packages.update('octocat/inside', { visibility: 'internal' });

      for (const repository of ['octocat/closed', 'octocat/inside']) {
        const token = await anonymousToken(repository);
        const res = await anonymous
          .get(`/v2/${repository}/manifests/1`)
          .set('Authorization', `Bearer ${token}`)
          .expect(401);
        expect(res.body.errors[0].code).toBe('UNAUTHORIZED');
      }
    });

    it('lets any signed-in user pull an internal package, but not push to it', async () => {
      await gw.client.pushImage('octocat/intranet', '1');
      await gw.gateway.packages.update('octocat/intranet', { visibility: 'internal' });
      const outsider = await signedIn('outsider', ['write:packages']);

      await outsider
        .get('/v2/octocat/intranet/manifests/1')
        .set('Accept', OCI_MANIFEST)
        .expect(200);
      const res = await outsider.post(UPLOADS('octocat/intranet')).expect(403);

      expect(res.body.errors[0].code).toBe('DENIED');
    });
  });

  describe('workflow tokens', () => {
    it('publish into their own namespace, but not into a package another published', async () => {
      const { secret } = await gw.gateway.tokens.createWorkflowToken({
        repository: 'acme/web',
        permission: 'write',
        expiresInMs: 3_600_000,
      });
      const workflow = gw.client.as({ username: 'whoever', password: secret });

      await gw.client.pushImage('acme/others-package', '1');

      await workflow.pushBlob('acme/web', randomBytes(100));
      await workflow.pushBlob('acme/new-package', randomBytes(100));
      const foreign = await workflow.post(UPLOADS('octocat/app')).expect(403);
      const taken = await workflow.post(UPLOADS('acme/others-package')).expect(403);

      expect(foreign.body.errors[0].code).toBe('DENIED');
      expect(taken.body.errors[0].code).toBe('DENIED');
      expect(taken.body.errors[0].message).toContain('Manage Actions access');
    });

    it('tell a workflow refused a private package of its own namespace how to get access', async () => {
      await gw.client.pushImage('acme/private-base', '1');
      const { secret } = await gw.gateway.tokens.createWorkflowToken({
        repository: 'acme/web',
        permission: 'read',
        expiresInMs: 3_600_000,
      });
      const workflow = gw.client.as({ username: 'x', password: secret });

      const res = await workflow
        .get('/v2/acme/private-base/manifests/1')
        .set('Accept', OCI_MANIFEST)
        .expect(403);

      expect(res.body.errors[0].code).toBe('DENIED');
      expect(res.body.errors[0].message).toContain('the read role');
      expect(res.body.errors[0].message).toContain('Manage Actions access');
    });

    it('tell a workflow nothing about private packages it cannot see', async () => {
      await gw.client.pushImage('octocat/private-thing', '1');
      const { secret } = await gw.gateway.tokens.createWorkflowToken({
        repository: 'acme/web',
        permission: 'write',
        expiresInMs: 3_600_000,
      });
      const workflow = gw.client.as({ username: 'x', password: secret });

      const existing = await workflow.post(UPLOADS('octocat/private-thing')).expect(403);
      const missing = await workflow.post(UPLOADS('octocat/no-such-thing')).expect(403);

      expect(existing.body.errors[0].message).toBe(
        missing.body.errors[0].message.replace('no-such-thing', 'private-thing'),
      );
    });
  });

  describe('cross-repository mounts', () => {
    it('turn into an ordinary upload when the source is not readable', async () => {
      const digest = await gw.client.pushBlob('octocat/source', randomBytes(500));
      const member = await signedIn('hubot', ['write:packages']);
      const mount = (client: RegistryClient) =>
        client.post(`${UPLOADS('acme/target')}?mount=${digest}&from=octocat/source`);

      const refused = await mount(member).expect(202);
      const mounted = await mount(gw.client).expect(201);

      expect(refused.headers['docker-content-digest']).toBeUndefined();
      expect(mounted.headers['docker-content-digest']).toBe(digest);
    });
  });
});
