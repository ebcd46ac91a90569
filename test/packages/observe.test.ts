import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';

describe('package records on manifest push', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('creates a private package with its version, tag, description and license', async () => {
    const { digest } = await gw.client.pushImage('octocat/observed', '1.0', {
      'org.opencontainers.image.description': 'An observed image',
      'org.opencontainers.image.licenses': 'MIT',
    });

    const pkg = await gw.gateway.packages.get('octocat/observed');

    expect(pkg?.record).toMatchObject({
      namespace: 'octocat',
      name: 'observed',
      visibility: 'private',
      createdBy: 'user:octocat',
      description: 'An observed image',
      license: 'MIT',
    });
    expect(await gw.gateway.packages.tags('octocat/observed')).toEqual({ '1.0': digest });
  });

  it('reads a nested name as a package inside its namespace', async () => {
    await gw.client.pushImage('octocat/app/release', '1.14.1');

    const pkg = await gw.gateway.packages.get('octocat/app/release');

    expect(pkg?.record).toMatchObject({ namespace: 'octocat', name: 'app/release' });
  });

  it('moves a tag to the version last pushed under it', async () => {
    const first = await gw.client.pushImage('octocat/retagged', 'latest', { build: '1' });
    const second = await gw.client.pushImage('octocat/retagged', 'latest', { build: '2' });

    const versions = await gw.gateway.packages.versions('octocat/retagged');

    expect(versions.map((v) => v.digest).sort()).toEqual([first.digest, second.digest].sort());
    expect(await gw.gateway.packages.tags('octocat/retagged')).toEqual({ latest: second.digest });
  });

  it('forgets a version the registry deleted, and the tags that pointed at it', async () => {
    const kept = await gw.client.pushImage('octocat/pruned', 'stable', { build: 'kept' });
    const deleted = await gw.client.pushImage('octocat/pruned', 'edge', { build: 'deleted' });

    await gw.client.delete(`/v2/octocat/pruned/manifests/${deleted.digest}`).expect(202);

    const versions = await gw.gateway.packages.versions('octocat/pruned');
    expect(versions.map((v) => v.digest)).toEqual([kept.digest]);
    expect(await gw.gateway.packages.tags('octocat/pruned')).toEqual({ stable: kept.digest });
  });

  it('gives the publishing member admin on a new organization package', async () => {
    const password = await gw.createToken('hubot', ['write:packages']);

    await gw.client.as({ username: 'hubot', password }).pushImage('acme/published', '1');

    const pkg = await gw.gateway.packages.get('acme/published');
    expect(pkg?.record.createdBy).toBe('user:hubot');
    expect(pkg?.access.users).toEqual({ hubot: 'admin' });
  });

  it('links a workflow’s new package to the workflow’s repository, which gets admin', async () => {
    const { secret } = await gw.gateway.tokens.createWorkflowToken({
      repository: 'acme/web',
      permission: 'write',
      expiresInMs: 3_600_000,
    });

    await gw.client.as({ username: 'x', password: secret }).pushImage('acme/from-actions', '1');

    const pkg = await gw.gateway.packages.get('acme/from-actions');
    expect(pkg?.record).toMatchObject({
      linkedRepository: 'acme/web',
      createdBy: 'workflow:acme/web',
    });
    expect(pkg?.access.actions).toEqual({ 'acme/web': 'admin' });
  });
});
