import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { transports } from 'winston';

import { DirectoryError, parseDirectory } from '../../src/identity/directory-file-schema';
import { FileDirectory } from '../../src/identity/file-directory';
import { createCrgateLogger } from '../../src/telemetry/logger';

const EXAMPLE = `
users: [octocat, hubot, mona]
orgs:
  acme:
    owners: [octocat]
    members: [hubot, mona]
    teams: {builders: [hubot]}
repos:
  acme/web: {visibility: private, collaborators: {mona: read}, teams: {builders: write}}
  octocat/hello: {visibility: public}
`;

const open: FileDirectory[] = [];

afterEach(() => {
  for (const directory of open.splice(0)) directory.close();
});

function directoryFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'crgate-directory-')), 'directory.yaml');
  writeFileSync(file, text);
  return file;
}

function load(file: string): FileDirectory {
  const directory = FileDirectory.load(file);
  open.push(directory);
  return directory;
}

function capturedLogger() {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  return { logs, logger: createCrgateLogger('debug', new transports.Stream({ stream: sink })) };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function directoryError(text: string): DirectoryError {
  try {
    parseDirectory(text);
  } catch (error) {
    if (error instanceof DirectoryError) return error;
    throw error;
  }
  throw new Error('the directory was accepted');
}

describe('file directory', () => {
  it.each([
    ['octocat', 'admin', 'acme/web'],
    ['hubot', 'write', 'acme/web'],
    ['mona', 'read', 'acme/web'],
    ['stranger', undefined, 'acme/web'],
    ['octocat', 'admin', 'octocat/hello'],
    ['hubot', undefined, 'octocat/hello'],
    ['HuBot', 'write', 'ACME/Web'],
    ['octocat', undefined, 'acme/missing'],
  ])('gives %s the role %s on %s', async (login, role, repository) => {
    const directory = load(directoryFile(EXAMPLE));

    await expect(directory.repositoryRole(repository, login)).resolves.toBe(role);
  });

  it('gives the highest of the collaborator role and the team roles', async () => {
    const directory = load(
      directoryFile(`
users: [ada, bob]
orgs: {lab: {members: [ada, bob], teams: {readers: [ada, bob], writers: [ada]}}}
repos:
  lab/one: {collaborators: {ada: triage, bob: maintain}, teams: {readers: read, writers: write}}
`),
    );

    await expect(directory.repositoryRole('lab/one', 'ada')).resolves.toBe('write');
    await expect(directory.repositoryRole('lab/one', 'bob')).resolves.toBe('maintain');
  });

  it('tells users from organizations, whatever the case', async () => {
    const directory = load(directoryFile(EXAMPLE));

    await expect(directory.userExists('OctoCat')).resolves.toBe(true);
    await expect(directory.userExists('acme')).resolves.toBe(false);
    await expect(directory.namespaceKind('Octocat')).resolves.toBe('user');
    await expect(directory.namespaceKind('ACME')).resolves.toBe('org');
    await expect(directory.namespaceKind('nobody')).resolves.toBeUndefined();
  });

  it('describes organizations and repositories, with defaults applied', async () => {
    const directory = load(directoryFile(`${EXAMPLE}\n  acme/api: {}\n`));

    await expect(directory.organization('acme')).resolves.toEqual({
      name: 'acme',
      owners: ['octocat'],
      members: ['hubot', 'mona'],
      teams: { builders: ['hubot'] },
      requireSso: false,
      membersCanCreatePackages: true,
    });
    await expect(directory.repository('Acme/Web')).resolves.toMatchObject({
      fullName: 'acme/web',
      owner: 'acme',
      name: 'web',
      visibility: 'private',
      collaborators: { mona: 'read' },
      teams: { builders: 'write' },
    });
    await expect(directory.repository('acme/api')).resolves.toMatchObject({
      visibility: 'private',
    });
  });

  it('stores names in lower case and reads the organization settings', async () => {
    const directory = load(
      directoryFile(
        'users: [Ada]\norgs: {Lab: {owners: [ADA], sso: true, members_can_create_packages: false}}\nrepos: {LAB/Web: }\n',
      ),
    );

    await expect(directory.organization('lab')).resolves.toMatchObject({
      owners: ['ada'],
      requireSso: true,
      membersCanCreatePackages: false,
    });
    await expect(directory.repositoryRole('lab/web', 'ada')).resolves.toBe('admin');
  });

  it('does not mistake object properties for roles', async () => {
    const directory = load(directoryFile(EXAMPLE.replace('mona]', 'mona, constructor]')));

    await expect(directory.userExists('constructor')).resolves.toBe(true);
    await expect(directory.repositoryRole('acme/web', 'constructor')).resolves.toBeUndefined();
  });

  it.each([
    ['users: [octocat]\norgs: {acme: {owners: [zed]}}', 'orgs.acme.owners[0]'],
    ['users: [octocat]\norgs: {acme: {members: [zed]}}', 'orgs.acme.members[0]'],
    ['users: [hubot]\norgs: {acme: {members: [hubot], teams: {b: [zed]}}}', 'orgs.acme.teams.b[0]'],
    ['users: [hubot]\norgs: {acme: {teams: {builders: [hubot]}}}', 'orgs.acme.teams.builders[0]'],
    ['users: [hubot]\norgs: {acme: {owners: [hubot], members: [hubot]}}', 'orgs.acme.members[0]'],
    ['users: [octocat]\norgs: {acme: {ownerz: [octocat]}}', 'orgs.acme.ownerz'],
    ['users: [octocat]\norgs: {acme: {sso: maybe}}', 'orgs.acme.sso'],
    [
      'users: [octocat]\norgs: {acme: {members_can_create_packages: 1}}',
      'orgs.acme.members_can_create_packages',
    ],
    ['users: [octocat]\norgs: {octocat: {}}', 'orgs.octocat'],
    ['users: [octocat]\norgs: {acme: {}, ACME: {}}', 'orgs.ACME'],
    ['users: [octocat]\norgs: {acme_corp: {}}', 'orgs.acme_corp'],
    ['users: [octocat, -bad]', 'users[1]'],
    ['users: [octocat, OctoCat]', 'users[1]'],
    ['users: octocat', 'users'],
    ['userz: [octocat]', 'userz'],
    ['users: [octocat]\nrepos: {nobody/web: {}}', 'repos.nobody/web'],
    ['users: [octocat]\nrepos: {octocat/web/extra: {}}', 'repos.octocat/web/extra'],
    ['users: [octocat]\nrepos: {octocat/..: {}}', 'repos.octocat/..'],
    ['users: [octocat]\nrepos: {octocat/web: [public]}', 'repos.octocat/web'],
    [
      'users: [octocat]\nrepos: {octocat/web: {visibility: secret}}',
      'repos.octocat/web.visibility',
    ],
    ['users: [octocat]\nrepos: {octocat/web: {owner: me}}', 'repos.octocat/web.owner'],
    [
      'users: [octocat]\nrepos: {octocat/web: {collaborators: {zed: read}}}',
      'repos.octocat/web.collaborators.zed',
    ],
    [
      'users: [octocat]\nrepos: {octocat/web: {collaborators: {octocat: owner}}}',
      'repos.octocat/web.collaborators.octocat',
    ],
    [
      'users: [octocat]\nrepos: {octocat/web: {teams: {builders: read}}}',
      'repos.octocat/web.teams.builders',
    ],
    [
      'users: [a]\norgs: {acme: {}}\nrepos: {acme/web: {teams: {ghosts: read}}}',
      'repos.acme/web.teams.ghosts',
    ],
    ['users: [octocat', ''],
    ['', ''],
  ])('refuses %j, naming %j', (text, entry) => {
    expect(directoryError(text).path).toBe(entry);
  });

  it('says what is wrong with the entry it names', () => {
    const undeclared = EXAMPLE.replace('teams: {builders: [hubot]}', 'teams: {builders: [zed]}');
    const secret = EXAMPLE.replace('visibility: private', 'visibility: secret');
    const typo = EXAMPLE.replace('owners:', 'ownerz:');

    expect(directoryError(undeclared).message).toBe(
      'orgs.acme.teams.builders[0]: "zed" is not a declared user',
    );
    expect(directoryError(secret).message).toBe(
      'repos.acme/web.visibility: "secret" is not one of private, internal, public',
    );
    expect(directoryError(typo).message).toBe('orgs.acme.ownerz: unknown key');
  });

  it('refuses to load a bad file, naming the file and the entry', () => {
    const file = directoryFile('users: [octocat]\norgs: {acme: {owners: [zed]}}\n');

    expect(() => FileDirectory.load(file)).toThrow(DirectoryError);
    expect(() => FileDirectory.load(file)).toThrow(`${file}: orgs.acme.owners[0]: `);
    expect(() => FileDirectory.load(`${file}.missing`)).toThrow(DirectoryError);
  });
});

describe('file directory reloading', () => {
  const CHANGED = EXAMPLE.replace('collaborators: {mona: read}', 'collaborators: {mona: admin}');

  it('versions the directory by its content, the same for every replica reading it', () => {
    const file = directoryFile(EXAMPLE);
    const directory = load(file);
    const replica = load(directoryFile(EXAMPLE));
    const first = directory.version();

    expect(replica.version()).toBe(first);
    expect(directory.reload()).toBe(true);
    expect(directory.version()).toBe(first);
    writeFileSync(file, CHANGED);
    expect(directory.reload()).toBe(true);
    expect(directory.version()).not.toBe(first);
  });

  it('picks up a change to the file', async () => {
    const file = directoryFile(EXAMPLE);
    const directory = load(file);
    const before = directory.version();
    directory.watch(capturedLogger().logger);

    writeFileSync(file, CHANGED);
    await until(() => directory.version() !== before);

    await expect(directory.repositoryRole('acme/web', 'mona')).resolves.toBe('admin');
  });

  it('picks up a file an editor renamed over the old one', async () => {
    const file = directoryFile(EXAMPLE);
    const directory = load(file);
    const before = directory.version();
    directory.watch(capturedLogger().logger);

    writeFileSync(`${file}.swp`, CHANGED);
    renameSync(`${file}.swp`, file);
    await until(() => directory.version() !== before);

    await expect(directory.repositoryRole('acme/web', 'mona')).resolves.toBe('admin');
  });

  it('picks up a change to a Kubernetes ConfigMap volume, made by swapping ..data', async () => {
    // The kubelet's layout: directory.yaml -> ..data/directory.yaml, ..data -> ..<timestamp>.
    const volume = mkdtempSync(path.join(tmpdir(), 'crgate-configmap-'));
    const publish = (version: string, text: string) => {
      mkdirSync(path.join(volume, version));
      writeFileSync(path.join(volume, version, 'directory.yaml'), text);
      symlinkSync(version, path.join(volume, '..data_tmp'));
      renameSync(path.join(volume, '..data_tmp'), path.join(volume, '..data'));
    };
    publish('..2026_12_03_first', EXAMPLE);
    symlinkSync('..data/directory.yaml', path.join(volume, 'directory.yaml'));
    const directory = load(path.join(volume, 'directory.yaml'));
    const before = directory.version();
    directory.watch(capturedLogger().logger);

    publish('..2026_12_03_second', CHANGED);
    await until(() => directory.version() !== before);

    await expect(directory.repositoryRole('acme/web', 'mona')).resolves.toBe('admin');
  });

  it('keeps the last good directory when the file turns bad, and warns', async () => {
    const file = directoryFile(EXAMPLE);
    const directory = load(file);
    const { logger, logs } = capturedLogger();
    const before = directory.version();
    directory.watch(logger);

    writeFileSync(file, EXAMPLE.replace('visibility: public', 'visibility: open'));
    await until(() => logs.some((line) => line.level === 'warn'));

    expect(directory.version()).toBe(before);
    expect(directory.reload()).toBe(false);
    await expect(directory.repository('octocat/hello')).resolves.toMatchObject({
      visibility: 'public',
    });
    expect(logs.find((line) => line.level === 'warn')).toMatchObject({
      file,
      entry: 'repos.octocat/hello.visibility',
    });
  });

  it('reloads on SIGHUP', async () => {
    const file = directoryFile(EXAMPLE);
    const directory = load(file);
    const before = directory.version();
    writeFileSync(file, CHANGED);
    directory.watch(capturedLogger().logger);

    process.emit('SIGHUP', 'SIGHUP');

    expect(directory.version()).not.toBe(before);
    await expect(directory.repositoryRole('acme/web', 'mona')).resolves.toBe('admin');
  });

  it('stops listening for SIGHUP once closed', () => {
    const listeners = process.listenerCount('SIGHUP');
    const file = directoryFile(EXAMPLE);
    const directory = load(file);
    const before = directory.version();
    directory.watch(capturedLogger().logger);

    directory.close();
    writeFileSync(file, CHANGED);
    process.emit('SIGHUP', 'SIGHUP');

    expect(directory.version()).toBe(before);
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });
});

describe('site administrators', () => {
  it('are declared users listed under site_admins', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'crgate-admins-')), 'directory.yaml');
    writeFileSync(file, 'users: [octocat, mona]\nsite_admins: [Octocat]\n');

    const directory = FileDirectory.load(file);

    expect(await directory.isSiteAdmin('octocat')).toBe(true);
    expect(await directory.isSiteAdmin('mona')).toBe(false);
  });

  it('must be declared users', () => {
    expect(directoryError('users: [octocat]\nsite_admins: [zed]\n').path).toBe('site_admins[0]');
  });
});
