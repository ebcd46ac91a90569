import { spawn } from 'node:child_process';
import path from 'node:path';

import { Redis } from 'ioredis';
import request from 'supertest';

import { PackageStore } from '../src/packages/package-store';
import { requireEnv, TEST_DIRECTORY, writeDirectory } from './harness/gateway';
import { freePort, waitForPort } from './harness/ports';

const CLI = path.resolve(__dirname, '..', 'src', 'cli.ts');

// Each command is a fresh Node process compiling TypeScript on the fly: seconds apiece on a
// busy machine, and some tests run four of them.
jest.setTimeout(120_000);

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Runs a command to its end; rejects with its stderr when it fails. */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const run = runCli(args, env);
  const code = await run.exited;
  if (code !== 0)
    throw new Error(`crgate ${args.join(' ')} exited ${code}: ${run.output().stderr}`);
  return run.output().stdout;
}

function sharedEnv(): Record<string, string> {
  return {
    CRGATE_REGISTRY_URL: requireEnv('TEST_REGISTRY_URL'),
    CRGATE_REDIS_URL: requireEnv('TEST_REDIS_URL'),
    CRGATE_DIRECTORY: writeDirectory(TEST_DIRECTORY),
  };
}

describe('crgate serve', () => {
  it('serves until SIGTERM, then exits 0', async () => {
    const env = sharedEnv();
    const port = await freePort();
    const token = (
      await cli(['token', 'create', '--user', 'hubot', '--scopes', 'read:packages'], env)
    ).trim();
    const run = runCli(['serve'], {
      ...env,
      CRGATE_LISTEN: `127.0.0.1:${port}`,
      CRGATE_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    await waitForPort(port);

    const http = request(`http://127.0.0.1:${port}`);
    const anonymous = await http.get('/v2/').set('Host', `containers.localhost:${port}`);
    const signedIn = await http
      .get('/v2/')
      .set('Host', `containers.localhost:${port}`)
      .auth('hubot', token);
    run.child.kill('SIGTERM');

    expect(anonymous.status).toBe(401);
    expect(signedIn.status).toBe(200);
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toContain('"message":"crgate stopped"');
  });

  it('refuses to start on bad configuration, naming the key', async () => {
    const run = runCli(['serve'], { CRGATE_LISTEN: 'not-an-address' });

    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toContain('configuration error: CRGATE_LISTEN');
  });

  it('refuses to start without a directory', async () => {
    const run = runCli(['serve'], {});

    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toContain('configuration error: CRGATE_DIRECTORY');
  });

  it('lists every setting', async () => {
    const stdout = await cli(['settings'], {});

    expect(stdout).toMatch(/^CRGATE_HOSTNAME +hostname +localhost/m);
    expect(stdout).toContain('CRGATE_REGISTRY_TIMEOUT_MS');
  });
});

describe('crgate token', () => {
  it('creates a token, printing it alone, lists it and revokes it', async () => {
    const env = sharedEnv();

    const created = await cli(
      [
        'token',
        'create',
        '--user',
        'mona',
        '--scopes',
        'read:packages,write:packages',
        '--expires-in',
        '30d',
      ],
      env,
    );
    const listed = await cli(['token', 'list', '--user', 'mona'], env);
    const id = listed.trim().split('\n').pop()?.split('\t')[0] ?? '';
    await cli(['token', 'revoke', id], env);
    const after = await cli(['token', 'list', '--user', 'mona'], env);

    expect(created).toMatch(/^ghp_[0-9A-Za-z]{36}\n$/);
    expect(listed).toContain('read:packages,write:packages');
    expect(listed).not.toContain(created.trim());
    expect(after).not.toContain(id);
  });

  it('creates a workflow token for a repository of the directory', async () => {
    const created = await cli(['token', 'workflow', '--repo', 'acme/web'], sharedEnv());

    expect(created).toMatch(/^ghs_[0-9A-Za-z]{36}\n$/);
  });

  it.each([
    [['token', 'create', '--user', 'nobody', '--scopes', 'read:packages'], 'no user nobody'],
    [['token', 'create', '--user', 'mona', '--scopes', 'admin:org'], 'unknown scope'],
    [['token', 'workflow', '--repo', 'acme/none'], 'no repository acme/none'],
    [['token', 'revoke', 'feedfacefeedface'], 'no token feedfacefeedface'],
  ])('refuses %j with exit 2', async (args, message) => {
    const run = runCli(args, sharedEnv());

    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toContain(message);
  });

  it('prints a signing key for CRGATE_JWT_KEY_FILE', async () => {
    expect(await cli(['keygen'], {})).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });
});

describe('crgate package', () => {
  it('shows a package and changes its visibility, link and access list', async () => {
    const env = sharedEnv();
    const redis = new Redis(requireEnv('TEST_REDIS_URL'));
    const packages = new PackageStore(redis);
    const repository = `acme/cli-${Date.now().toString(36)}`;
    await packages.create(repository, { createdBy: 'user:octocat' });

    await cli(['package', 'visibility', repository, 'public'], env);
    await cli(['package', 'link', repository, 'acme/web'], env);
    await cli(['package', 'grant', repository, '--team', 'builders', '--role', 'write'], env);
    const shown = JSON.parse(await cli(['package', 'show', repository], env));
    await redis.quit();

    expect(shown.record).toMatchObject({ visibility: 'public', linkedRepository: 'acme/web' });
    expect(shown.access.teams).toEqual({ builders: 'write' });
  });

  it.each([
    [['package', 'show', 'acme/none'], 'no package acme/none'],
    [['package', 'visibility', 'acme/none', 'secret'], 'visibility is private, internal, public'],
    [['package', 'link', 'acme/none', 'octocat/hello'], 'not in the namespace'],
    [['package', 'grant', 'acme/none', '--team', 'builders'], '--role is read, write or admin'],
  ])('refuses %j with exit 2', async (args, message) => {
    const run = runCli(args, sharedEnv());

    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toContain(message);
  });
});
