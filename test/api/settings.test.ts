import { randomUUID } from 'node:crypto';

import { pull, useRestGateway, workflowOf } from './rest';

/**
 * crgate's settings endpoints, for what GitHub keeps in its web interface: visibility, the
 * linked repository and inheritance, and the access lists; each change seen by the people
 * and clients it concerns.
 */
const suffix = randomUUID().slice(0, 8);

describe('the Packages REST API: settings', () => {
  const api = useRestGateway();

  async function published(namespace: string, name: string): Promise<string> {
    await api.gw.client.pushImage(`${namespace}/${name}`, 'v1');
    const owner = namespace === 'octocat' ? 'users/octocat' : `orgs/${namespace}`;
    return `/${owner}/packages/container/${name}`;
  }

  it('shows a new package’s settings', async () => {
    const path = await published('octocat', `fresh-${suffix}`);

    const res = await api.rest('get', `${path}/settings`, api.gw.ownerToken).expect(200);

    expect(res.body).toEqual({
      visibility: 'private',
      repository: null,
      inherit_access: true,
      access: { users: {}, teams: {} },
      actions: {},
      link_note: null,
    });
  });

  it('makes a package public, after which anonymous clients pull it', async () => {
    const name = `to-public-${suffix}`;
    const path = await published('octocat', name);

    // Not asked before the change: a replica reuses a decision for up to a second.
    const res = await api
      .rest('patch', `${path}/settings`, api.gw.ownerToken)
      .send({ visibility: 'public' })
      .expect(200);
    const anonymous = api.gw.client.as(undefined);
    const scope = `repository:octocat/${name}:pull`;
    const token = await anonymous.get(`/token?service=containers.localhost&scope=${scope}`);
    const after = await pull(anonymous, `octocat/${name}`, 'v1').set(
      'Authorization',
      `Bearer ${token.body.token}`,
    );

    expect(res.body.visibility).toBe('public');
    expect(after.status).toBe(200);
  });

  it('grants a user read, who can then see the package, and takes it back', async () => {
    const path = await published('octocat', `shared-${suffix}`);
    const hubot = await api.gw.createToken('hubot', ['read:packages']);

    const before = await api.rest('get', path, hubot);
    const granted = await api
      .rest('put', `${path}/settings/access/users/hubot`, api.gw.ownerToken)
      .send({ role: 'read' })
      .expect(200);
    const during = await api.rest('get', path, hubot);
    await api.rest('delete', `${path}/settings/access/users/hubot`, api.gw.ownerToken).expect(204);
    const after = await api.rest('get', path, hubot);

    expect(before.status).toBe(404);
    expect(granted.body.access.users).toEqual({ hubot: 'read' });
    expect(during.status).toBe(200);
    expect(after.status).toBe(404);
  });

  it('grants a team of the organization, and a repository’s workflows', async () => {
    const name = `team-${suffix}`;
    const path = await published('acme', name);
    const hubot = await api.gw.createToken('hubot', ['read:packages']);
    const workflow = await workflowOf(api.gw, 'octocat/hello', 'write');

    await api
      .rest('put', `${path}/settings/access/teams/builders`, api.gw.ownerToken)
      .send({ role: 'write' })
      .expect(200);
    const actions = await api
      .rest('put', `${path}/settings/actions/octocat/hello`, api.gw.ownerToken)
      .send({ role: 'read' })
      .expect(200);

    expect(actions.body.access.teams).toEqual({ builders: 'write' });
    expect(actions.body.actions).toEqual({ 'octocat/hello': 'read' });
    await api.rest('get', path, hubot).expect(200);
    await pull(workflow.client, `acme/${name}`, 'v1').expect(200);
  });

  it('links a repository whose collaborators inherit access, unless inheritance is off', async () => {
    const path = await published('acme', `inherited-${suffix}`);
    const mona = await api.gw.createToken('mona', ['read:packages']);

    const linked = await api
      .rest('patch', `${path}/settings`, api.gw.ownerToken)
      .send({ repository: 'acme/web' })
      .expect(200);
    const inherited = await api.rest('get', path, mona);
    await api
      .rest('patch', `${path}/settings`, api.gw.ownerToken)
      .send({ inherit_access: false })
      .expect(200);
    const notInherited = await api.rest('get', path, mona);
    const unlinked = await api
      .rest('patch', `${path}/settings`, api.gw.ownerToken)
      .send({ repository: null, inherit_access: true })
      .expect(200);

    expect(linked.body).toMatchObject({ repository: 'acme/web', inherit_access: true });
    expect(inherited.status).toBe(200);
    expect(notInherited.status).toBe(404);
    expect(unlinked.body).toMatchObject({ repository: null, inherit_access: true });
  });

  it.each([
    [{ visibility: 'internal' }, 'organizations only'],
    [{ visibility: 'secret' }, 'visibility is private, internal, public'],
    [{ repository: 'acme/web' }, 'not in the namespace'],
    [{ repository: 'octocat/none' }, 'no repository'],
    [{ inherit_access: 'yes' }, 'inherit_access must be a boolean'],
    [{ description: 'x' }, 'unknown fields: description'],
  ])('refuses the settings %j with 422', async (body, message) => {
    const path = await published('octocat', `refused-${randomUUID().slice(0, 8)}`);

    const res = await api
      .rest('patch', `${path}/settings`, api.gw.ownerToken)
      .send(body)
      .expect(422);

    expect(res.body.message).toContain(message);
  });

  it('lets an organization’s package be internal', async () => {
    const path = await published('acme', `internal-${suffix}`);

    const res = await api
      .rest('patch', `${path}/settings`, api.gw.ownerToken)
      .send({ visibility: 'internal' })
      .expect(200);

    expect(res.body.visibility).toBe('internal');
  });

  it.each([
    ['users/nobody', { role: 'read' }, 'no user nobody'],
    ['teams/nobody', { role: 'read' }, 'no team nobody'],
    ['users/hubot', { role: 'owner' }, 'role must be read, write or admin'],
  ])('refuses access for %s %j with 422', async (grantee, body, message) => {
    const path = await published('acme', `grantee-${randomUUID().slice(0, 8)}`);

    const res = await api
      .rest('put', `${path}/settings/access/${grantee}`, api.gw.ownerToken)
      .send(body)
      .expect(422);

    expect(res.body.message).toContain(message);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const path = await published('octocat', `bad-json-${suffix}`);

    const res = await api
      .rest('patch', `${path}/settings`, api.gw.ownerToken)
      .set('Content-Type', 'application/json')
      .send('{"visibility":')
      .expect(400);

    expect(res.body).toEqual({
      message: expect.any(String),
      documentation_url: expect.any(String),
    });
  });

  it('keeps settings for admins with the right scopes, and from workflows', async () => {
    const path = await published('acme', `admins-only-${suffix}`);
    await api
      .rest('put', `${path}/settings/access/users/hubot`, api.gw.ownerToken)
      .send({ role: 'write' })
      .expect(200);
    const hubot = await api.gw.createToken('hubot', ['read:packages', 'write:packages']);
    const readOnly = await api.gw.createToken('octocat', ['read:packages']);
    const workflow = await workflowOf(api.gw, 'acme/web', 'write');

    const byWriter = await api.rest('get', `${path}/settings`, hubot);
    const byReadToken = await api.rest('patch', `${path}/settings`, readOnly).send({});
    const byWorkflow = await api.rest('get', `${path}/settings`, workflow.token);
    const byOutsider = await api.rest(
      'get',
      `${path}/settings`,
      await api.gw.createToken('outsider', ['read:packages']),
    );

    expect(byWriter.status).toBe(403);
    expect(byReadToken.status).toBe(403);
    expect(byReadToken.body.message).toContain('write:packages');
    expect(byWorkflow.status).toBe(403);
    expect(byWorkflow.body.message).toBe('Resource not accessible by integration');
    expect(byOutsider.status).toBe(404);
  });

  it('leaves unknown API paths to GitHub’s 404', async () => {
    const res = await api
      .rest('get', '/user/packages/container/x/nothing', api.gw.ownerToken)
      .expect(404);

    expect(res.body.message).toBe('Not Found');
  });
});
