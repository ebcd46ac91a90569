import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { removeDir } from './images';
import { run } from './tools';
import type { ToolOutput } from './tools';

/**
 * A Docker daemon the tests own: its own data, exec root and socket in one temp folder, so
 * it shares nothing with a daemon the machine may already run and leaves nothing behind.
 */
export interface Dockerd {
  readonly dir: string;
  /** `unix://DIR/docker.sock`. */
  readonly host: string;
  readonly logFile: string;
  /** Runs the docker client against this daemon, with a private client config folder. */
  docker(args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): Promise<ToolOutput>;
  stop(): Promise<void>;
}

// The client of the daemon's own release; /usr/local/bin may hold a newer, mismatched one.
export const DOCKER_CLIENT = '/usr/bin/docker';

// Unix socket paths are limited to about 100 bytes, so the folder lives right under /tmp.
const DIR_PREFIX = '/tmp/crgd-';
const READY_ATTEMPTS = 120;
const READY_INTERVAL_MS = 500;
const STOP_GRACE_MS = 10_000;

// vfs needs no overlay support from the sandbox's kernel; the tests only build, push and pull,
// so the daemon needs no bridge, iptables or IP forwarding either.
function daemonArgs(dir: string): string[] {
  return [
    '--storage-driver=vfs',
    '--iptables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--bridge=none',
    '--userland-proxy=false',
    `--data-root=${path.join(dir, 'data')}`,
    `--exec-root=${path.join(dir, 'exec')}`,
    `--pidfile=${path.join(dir, 'docker.pid')}`,
    `--host=unix://${path.join(dir, 'docker.sock')}`,
  ];
}

function stopDaemon(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitUntilAnswering(child: ChildProcess, client: Dockerd['docker']): Promise<void> {
  for (let attempt = 0; attempt < READY_ATTEMPTS && !exited(child); attempt += 1) {
    try {
      await client(['version']);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, READY_INTERVAL_MS));
    }
  }
  throw new Error('dockerd did not answer `docker version`');
}

function clientFor(host: string, configDir: string): Dockerd['docker'] {
  return (args, env = {}, input = '') =>
    run(
      DOCKER_CLIENT,
      ['--host', host, ...args],
      { ...process.env, DOCKER_CONFIG: configDir, ...env },
      input,
    );
}

export async function startDockerd(): Promise<Dockerd> {
  const dir = mkdtempSync(DIR_PREFIX);
  const host = `unix://${path.join(dir, 'docker.sock')}`;
  const logFile = path.join(dir, 'dockerd.log');
  const out = openSync(logFile, 'a');
  const child = spawn('dockerd', daemonArgs(dir), { stdio: ['ignore', out, out], cwd: dir });
  const spawnFailure = new Promise<never>((_resolve, reject) => {
    child.once('error', (error) => reject(new Error(`dockerd did not start: ${error.message}`)));
  });
  // Only the race below reads the failure; once the daemon is up it has nobody to tell.
  spawnFailure.catch(() => undefined);
  const docker = clientFor(host, path.join(dir, 'client'));

  const stop = async (): Promise<void> => {
    await stopDaemon(child);
    await removeDir(dir);
  };
  try {
    await Promise.race([waitUntilAnswering(child, docker), spawnFailure]);
  } catch (error) {
    const log = readFileSync(logFile, 'utf8').slice(-3000);
    await stop();
    throw new Error(`${(error as Error).message}\n--- dockerd log ---\n${log}`);
  }
  return { dir, host, logFile, docker, stop };
}
