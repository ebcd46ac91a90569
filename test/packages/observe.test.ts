import { randomUUID } from 'node:crypto';

import { ALL_SCOPES, startGateway, writeDirectory } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import type { RegistryClient } from '../harness/registry-client';

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

/**
 * Who may move a package's link with a source label, as on ghcr.io: the push that creates the
 * package, and later only a push by an admin of the package. Otherwise the linked repository
 * would hand its admins the package: a writer could name a repository they administer.
 */
describe('linking a package from the source label', () => {
  // hubot writes to acme/web through the team builders, and administers acme/tools.
  const DIRECTORY = `
users: [octocat, hubot]
orgs:
  acme: {owners: [octocat], members: [hubot], teams: {builders: [hubot]}}
repos:
  acme/web: {teams: {builders: write}}
  acme/tools: {collaborators: {hubot: admin}}
`;
  const SOURCE = 'org.opencontainers.image.source';
  const WEB = { [SOURCE]: 'http://localhost/acme/web' };
  const TOOLS = { [SOURCE]: 'http://localhost/acme/tools' };
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ CRGATE_DIRECTORY: writeDirectory(DIRECTORY) });
  });
  afterAll(() => gw.close());

  /** A package of acme unique to this run, published by octocat, who owns acme. */
  async function published(labels: Record<string, string> = {}): Promise<string> {
    const repository = `acme/linked-${randomUUID().slice(0, 8)}`;
    await gw.client.pushImage(repository, 'base', labels);
    return repository;
  }

  /** hubot with a new token: a decision no earlier request of this test has seen. */
  async function hubot(): Promise<RegistryClient> {
    return gw.client.as({ username: 'hubot', password: await gw.createToken('hubot', ALL_SCOPES) });
  }

  async function workflow(repository: string): Promise<RegistryClient> {
    const { secret } = await gw.gateway.tokens.createWorkflowToken({
      repository,
      permission: 'write',
      expiresInMs: 3_600_000,
    });
    return gw.client.as({ username: 'x-access-token', password: secret });
  }

  const recordOf = async (repository: string) =>
    (await gw.gateway.packages.get(repository))?.record;

  it('keeps the link when a writer’s push names a repository they administer', async () => {
    const repository = await published(WEB);
    const { digest } = await gw.client.pushImage(repository, 'kept', { build: 'kept' });

    await (await hubot()).pushImage(repository, 'next', { ...TOOLS, build: 'hubot' });

    // hubot gained nothing: the package still inherits write from acme/web, not admin. (A new
    // token: the token that pushed may reuse its decision from before the push for a second.)
    const refused = await (await hubot()).delete(`/v2/${repository}/manifests/${digest}`);
    expect([refused.status, refused.body.errors?.[0]?.code]).toEqual([403, 'DENIED']);
    expect(await recordOf(repository)).toMatchObject({
      linkedRepository: 'acme/web',
      linkNote: { code: 'SOURCE_NEEDS_ADMIN' },
    });
  });

  it('still takes the description and license from a writer’s push', async () => {
    const repository = await published(WEB);

    await (
      await hubot()
    ).pushImage(repository, 'next', {
      ...TOOLS,
      'org.opencontainers.image.description': 'Described by a writer',
      'org.opencontainers.image.licenses': 'MIT',
    });

    expect(await recordOf(repository)).toMatchObject({
      linkedRepository: 'acme/web',
      description: 'Described by a writer',
      license: 'MIT',
    });
  });

  it('leaves an unlinked package unlinked when a writer’s push names a repository', async () => {
    const repository = await published();
    await gw.gateway.packages.setRole(repository, { kind: 'team', name: 'builders' }, 'write');

    await (await hubot()).pushImage(repository, 'next', TOOLS);

    const record = await recordOf(repository);
    expect(record?.linkedRepository).toBeUndefined();
    expect(record?.linkNote?.code).toBe('SOURCE_NEEDS_ADMIN');
  });

  it('keeps the link when a workflow with write through Actions access names its repository', async () => {
    const repository = await published(WEB);
    await gw.gateway.packages.setRole(
      repository,
      { kind: 'repository', name: 'acme/tools' },
      'write',
    );

    await (await workflow('acme/tools')).pushImage(repository, 'next', TOOLS);

    expect(await recordOf(repository)).toMatchObject({
      linkedRepository: 'acme/web',
      linkNote: { code: 'SOURCE_NEEDS_ADMIN' },
    });
  });

  it('re-links the package from the push of its owner', async () => {
    const repository = await published(WEB);

    await gw.client.pushImage(repository, 'next', TOOLS);

    const record = await recordOf(repository);
    expect(record?.linkedRepository).toBe('acme/tools');
    expect(record?.linkNote).toBeUndefined();
  });

  it('re-links the package from the push of an admin on its access list', async () => {
    const repository = await published(WEB);
    await gw.gateway.packages.setRole(repository, { kind: 'user', name: 'hubot' }, 'admin');

    await (await hubot()).pushImage(repository, 'next', TOOLS);

    expect((await recordOf(repository))?.linkedRepository).toBe('acme/tools');
  });

  it('links a workflow’s new package to the workflow’s repository, whatever the label names', async () => {
    const repository = `acme/from-actions-${randomUUID().slice(0, 8)}`;

    await (await workflow('acme/web')).pushImage(repository, '1', TOOLS);

    const pkg = await gw.gateway.packages.get(repository);
    expect(pkg?.record).toMatchObject({
      linkedRepository: 'acme/web',
      linkNote: { code: 'SOURCE_NOT_WORKFLOW_REPOSITORY' },
    });
    expect(pkg?.access.actions).toEqual({ 'acme/web': 'admin' });
  });
});
