import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import { Redis } from 'ioredis';
import { createLogger, transports } from 'winston';

import { AccessControl } from '../../src/access/decide';
import { DecisionCache } from '../../src/access/decision-cache';
import type { Principal } from '../../src/auth/principal';
import type { PackageScope } from '../../src/auth/token-store';
import { FileDirectory } from '../../src/identity/file-directory';
import { PackageStore } from '../../src/packages/package-store';
import { RegistryError } from '../../src/registry/errors';
import { createMetrics } from '../../src/telemetry/metrics';
import type { Metrics } from '../../src/telemetry/metrics';
import { freePort } from '../harness/ports';
import { requireEnv, writeDirectory } from '../harness/gateway';

/**
 * Decisions against the real Redis: cached next to the package revision and directory
 * version they rest on, invalidated by any change to either, and never an allow by default
 * when Redis is away.
 */
const DIRECTORY = `
users: [octocat, mona, outsider, builder]
orgs:
  lab: {owners: [octocat], members: [mona, builder], teams: {builders: [builder]}}
repos:
  lab/app: {collaborators: {mona: read}}
`;

const silent = createLogger({ transports: [new transports.Console({ silent: true })] });

function user(
  login: string,
  scopes: PackageScope[] = ['read:packages', 'write:packages'],
): Principal {
  return {
    kind: 'user',
    login,
    tokenId: `token-${login}-${scopes.length}`,
    scopes,
    ssoOrgs: [],
  };
}

/** A client of a Redis that is not there: every command fails at once. */
async function unreachableRedis(): Promise<Redis> {
  const options = { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true };
  return new Redis(await freePort(), '127.0.0.1', options);
}

async function counts(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.decisions.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.cache), v.value]));
}

describe('access decisions', () => {
  let redis: Redis;
  let packages: PackageStore;
  let file: string;
  let directory: FileDirectory;

  beforeAll(() => {
    redis = new Redis(requireEnv('TEST_REDIS_URL'));
    packages = new PackageStore(redis);
  });
  beforeEach(() => {
    file = writeDirectory(DIRECTORY);
    directory = FileDirectory.load(file);
  });
  afterAll(() => redis.quit());

  /** Without the in-process memo unless asked: these tests watch Redis answer each time. */
  function control(metrics = createMetrics(), cacheRedis = redis, memoMs = 0): AccessControl {
    const cache = new DecisionCache(cacheRedis, 300);
    return new AccessControl(directory, packages, cache, metrics, silent, memoMs);
  }

  async function newPackage(): Promise<string> {
    const repository = `lab/pkg-${randomBytes(4).toString('hex')}`;
    await packages.create(repository, { createdBy: 'user:octocat' });
    return repository;
  }

  it('reuses a cached decision while nothing it rests on changes', async () => {
    const metrics = createMetrics();
    const access = control(metrics);
    const repository = await newPackage();

    const first = await access.decide(user('octocat'), repository, ['pull', 'push']);
    const second = await access.decide(user('octocat'), repository, ['pull', 'push']);

    expect(first.granted).toEqual(['pull', 'push']);
    expect(second).toEqual(first);
    expect(await counts(metrics)).toEqual({ miss: 1, hit: 1 });
  });

  it('answers a repeated question from its in-process memo, without Redis', async () => {
    const metrics = createMetrics();
    const access = control(metrics, redis, 1_000);
    const repository = await newPackage();

    await access.decide(user('octocat'), repository, ['pull']);
    const again = await access.decide(user('octocat'), repository, ['push']);

    expect(again.granted).toEqual(['push']);
    expect(await counts(metrics)).toEqual({ miss: 1, memo: 1 });
  });

  it('sees a settings change at once, on every replica', async () => {
    const [replicaA, replicaB] = [control(), control()];
    const repository = await newPackage();
    const before = await replicaA.decide(user('outsider'), repository, ['pull']);
    await replicaB.decide(user('outsider'), repository, ['pull']);

    await packages.update(repository, { visibility: 'public' });

    expect(before.granted).toEqual([]);
    expect((await replicaA.decide(user('outsider'), repository, ['pull'])).granted).toEqual([
      'pull',
    ]);
    expect((await replicaB.decide(user('outsider'), repository, ['pull'])).granted).toEqual([
      'pull',
    ]);
  });

  it('sees an access list change at once', async () => {
    const access = control();
    const repository = await newPackage();
    await access.decide(user('outsider'), repository, ['push']);

    await packages.setRole(repository, { kind: 'user', name: 'outsider' }, 'write');

    expect((await access.decide(user('outsider'), repository, ['push'])).granted).toEqual(['push']);
  });

  it('sees a directory change, such as a new collaborator, once the directory reloads', async () => {
    const access = control();
    const repository = await newPackage();
    await packages.update(repository, { linkedRepository: 'lab/app' });
    const before = await access.decide(user('outsider'), repository, ['pull']);

    writeFileSync(file, DIRECTORY.replace('{mona: read}', '{mona: read, outsider: write}'));
    directory.reload();

    expect(before.granted).toEqual([]);
    expect((await access.decide(user('outsider'), repository, ['pull', 'push'])).granted).toEqual([
      'pull',
      'push',
    ]);
  });

  it('gives the members of a team on the access list the team’s role, and no one else', async () => {
    const access = control();
    const repository = await newPackage();

    await packages.setRole(repository, { kind: 'team', name: 'builders' }, 'write');

    expect((await access.decide(user('builder'), repository, ['pull', 'push'])).granted).toEqual([
      'pull',
      'push',
    ]);
    expect((await access.decide(user('mona'), repository, ['pull'])).granted).toEqual([]);
  });

  it('stops inheriting from the linked repository when inheritance is switched off', async () => {
    const access = control();
    const repository = await newPackage();
    await packages.update(repository, { linkedRepository: 'lab/app' });
    const inherited = await access.decide(user('mona'), repository, ['pull']);

    await packages.update(repository, { inheritAccess: false });

    expect(inherited.granted).toEqual(['pull']);
    expect((await access.decide(user('mona'), repository, ['pull'])).granted).toEqual([]);
  });

  it('lets organization members publish new packages unless the organization says not', async () => {
    const access = control();
    const repository = `lab/new-${randomBytes(4).toString('hex')}`;
    const allowed = await access.decide(user('mona'), repository, ['push']);

    writeFileSync(
      file,
      DIRECTORY.replace(
        'members: [mona, builder]',
        'members: [mona, builder], members_can_create_packages: false',
      ),
    );
    directory.reload();

    expect(allowed.granted).toEqual(['push']);
    expect((await access.decide(user('mona'), repository, ['push'])).granted).toEqual([]);
    expect((await access.decide(user('octocat'), repository, ['push'])).granted).toEqual(['push']);
  });

  it('decides from the records when the cache cannot be read, and counts it', async () => {
    const metrics = createMetrics();
    const deadCache = await unreachableRedis();
    const access = control(metrics, deadCache);
    const repository = await newPackage();

    const decision = await access.decide(user('octocat'), repository, ['pull']);

    expect(decision.granted).toEqual(['pull']);
    expect(await counts(metrics)).toEqual({ degraded: 1 });
    deadCache.disconnect();
  });

  it('refuses with UNAVAILABLE, never allows, when the records cannot be read', async () => {
    const metrics = createMetrics();
    const dead = await unreachableRedis();
    const access = new AccessControl(
      directory,
      new PackageStore(dead),
      new DecisionCache(dead, 300),
      metrics,
      silent,
    );

    const refusal = access.decide(user('octocat'), 'lab/anything', ['pull']);

    await expect(refusal).rejects.toBeInstanceOf(RegistryError);
    await expect(refusal).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(await counts(metrics)).toEqual({ degraded: 1, unavailable: 1 });
    dead.disconnect();
  });
});
