import { spawn } from 'node:child_process';
import path from 'node:path';

import request from 'supertest';

import { requireEnv } from './harness/gateway';
import { freePort, waitForPort } from './harness/ports';

const CLI = path.resolve(__dirname, '..', 'src', 'cli.ts');

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

describe('crgate serve', () => {
  it('serves until SIGTERM, then exits 0', async () => {
    const port = await freePort();
    const run = runCli(['serve'], {
      CRGATE_LISTEN: `127.0.0.1:${port}`,
      CRGATE_METRICS_LISTEN: `127.0.0.1:${await freePort()}`,
      CRGATE_REGISTRY_URL: requireEnv('TEST_REGISTRY_URL'),
      CRGATE_REDIS_URL: requireEnv('TEST_REDIS_URL'),
    });
    await waitForPort(port);

    const res = await request(`http://127.0.0.1:${port}`)
      .get('/v2/')
      .set('Host', `containers.localhost:${port}`);
    run.child.kill('SIGTERM');

    expect(res.status).toBe(200);
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toContain('"message":"crgate stopped"');
  });

  it('refuses to start on bad configuration, naming the key', async () => {
    const run = runCli(['serve'], { CRGATE_LISTEN: 'not-an-address' });

    expect(await run.exited).toBe(2);
    expect(run.output().stderr).toContain('configuration error: CRGATE_LISTEN');
  });

  it('lists every setting', async () => {
    const run = runCli(['settings'], {});

    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toMatch(/^CRGATE_HOSTNAME +hostname +localhost/m);
    expect(run.output().stdout).toContain('CRGATE_REGISTRY_TIMEOUT_MS');
  });
});
