import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { freePort, waitForPort } from './ports';

/**
 * Real services for the tests: Debian's docker-registry (distribution 2.8) and redis-server,
 * each on a free loopback port in a fresh temp folder. Nothing here mocks either of them.
 */
export interface Service {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The file the service writes its log to (the registry's access log included). */
  readonly logFile: string;
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const REGISTRY_CONFIG = path.join(REPO_ROOT, 'deploy', 'registry', 'config.yml');

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/** Stops a service and removes its folder, data and log included. */
async function stopIn(child: ChildProcess, dir: string): Promise<void> {
  await stopProcess(child);
  rmSync(dir, { recursive: true, force: true });
}

async function startProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  dir: string,
): Promise<{ child: ChildProcess; logFile: string }> {
  const logFile = path.join(dir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { env, stdio: ['ignore', out, out], cwd: dir });
  const failedToStart = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`${name} (${command}): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  try {
    await Promise.race([waitForPort(port), failedToStart]);
  } catch (error) {
    await stopProcess(child);
    const log = readFileSync(logFile, 'utf8').slice(-2000);
    throw new Error(`${name} did not start: ${(error as Error).message}\n${log}`);
  }
  failedToStart.catch(() => undefined);
  return { child, logFile };
}

export async function startRegistry(): Promise<Service> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crgate-registry-'));
  const port = await freePort();
  const env = {
    ...process.env,
    REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: path.join(dir, 'data'),
    REGISTRY_LOG_LEVEL: 'info',
  };
  const { child, logFile } = await startProcess(
    'registry',
    'docker-registry',
    ['serve', REGISTRY_CONFIG],
    env,
    port,
    dir,
  );
  return { url: `http://127.0.0.1:${port}`, port, dir, logFile, stop: () => stopIn(child, dir) };
}

export async function startRedis(): Promise<Service> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crgate-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  const { child, logFile } = await startProcess(
    'redis',
    'redis-server',
    [...args, '--appendonly', 'yes'],
    process.env,
    port,
    dir,
  );
  return { url: `redis://127.0.0.1:${port}`, port, dir, logFile, stop: () => stopIn(child, dir) };
}

/** A Redis Sentinel watching the Redis on `masterPort` as master `name`. */
export async function startSentinel(masterPort: number, name: string): Promise<Service> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crgate-sentinel-'));
  const port = await freePort();
  // Sentinel rewrites its configuration file as it learns, so it gets one of its own.
  const config = path.join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`,
  );
  const { child, logFile } = await startProcess(
    'sentinel',
    'redis-server',
    [config, '--sentinel'],
    process.env,
    port,
    dir,
  );
  const url = `redis+sentinel://127.0.0.1:${port}/${name}`;
  return { url, port, dir, logFile, stop: () => stopIn(child, dir) };
}

/**
 * A Redis Cluster of three masters on loopback, slots spread by `redis-cli --cluster create`,
 * ready once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(): Promise<{ url: string; stop(): Promise<void> }> {
  const nodes: Service[] = [];
  for (let i = 0; i < 3; i += 1) nodes.push(await startClusterNode());
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await redisCli(['--cluster', 'create', ...addresses, '--cluster-yes']);
    for (const node of nodes) await untilClusterOk(node.port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis+cluster://127.0.0.1:${nodes[0]?.port}`, stop };
}

async function startClusterNode(): Promise<Service> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crgate-redis-cluster-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  const cluster = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
  const { child, logFile } = await startProcess(
    'redis-cluster-node',
    'redis-server',
    [...args, ...cluster],
    process.env,
    port,
    dir,
  );
  return { url: `redis://127.0.0.1:${port}`, port, dir, logFile, stop: () => stopIn(child, dir) };
}

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')}: ${stderr || stdout}`));
      else resolve(stdout);
    });
  });
}

async function untilClusterOk(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const info = await redisCli(['-p', String(port), 'cluster', 'info']);
    if (info.includes('cluster_state:ok')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Redis Cluster node on port ${port} never reported cluster_state:ok`);
}
