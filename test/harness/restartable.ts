import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { freePort, waitForPort } from './ports';
import { REGISTRY_CONFIG } from './services';

/**
 * A registry or a Redis that a fault test can stop (gracefully, or with SIGKILL) and start
 * again on the same port over the same data folder, as an operator's restart would.
 * `services.ts` starts the run's services, whose `stop()` also removes their folder.
 */
export interface RestartableService {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly logFile: string;
  /** Whether the process is running now. */
  readonly running: boolean;
  /** Ends the process with `signal` and waits for its exit; the data folder stays. */
  halt(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts the process again, same port and folder, once it accepts connections. */
  restart(): Promise<void>;
  /** Ends the process and removes its folder. */
  remove(): Promise<void>;
}

interface Launch {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function launch(spec: Launch, port: number, dir: string, logFile: string) {
  const out = openSync(logFile, 'a');
  const child = spawn(spec.command, [...spec.args], { env: spec.env, stdio: ['ignore', out, out] });
  closeSync(out);
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`${spec.name}: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${spec.name} exited with ${code}`)));
  });
  failed.catch(() => undefined);
  try {
    await Promise.race([waitForPort(port), failed]);
  } catch (error) {
    child.kill('SIGKILL');
    const log = readFileSync(logFile, 'utf8').slice(-2000);
    throw new Error(`${spec.name} did not start in ${dir}: ${(error as Error).message}\n${log}`);
  }
  return child;
}

async function startRestartable(
  name: string,
  scheme: string,
  spec: (port: number, dir: string) => Launch,
): Promise<RestartableService> {
  const dir = mkdtempSync(path.join(tmpdir(), `crgate-${name}-`));
  const port = await freePort();
  const logFile = path.join(dir, `${name}.log`);
  let child: ChildProcess | undefined = await launch(spec(port, dir), port, dir, logFile);

  const halt = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const current = child;
    child = undefined;
    if (!current) return;
    const done = exited(current);
    current.kill(signal);
    await done;
  };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    dir,
    logFile,
    get running() {
      return child !== undefined;
    },
    halt,
    async restart() {
      if (child) throw new Error(`${name} on port ${port} is still running`);
      child = await launch(spec(port, dir), port, dir, logFile);
    },
    async remove() {
      await halt('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's docker-registry with the project's configuration, its blobs under `dir/data`, and
 * one HTTP secret for all its starts.
 */
export function startRestartableRegistry(): Promise<RestartableService> {
  const secret = randomBytes(32).toString('hex');
  return startRestartable('registry', 'http', (port, dir) => ({
    name: 'registry',
    command: 'docker-registry',
    args: ['serve', REGISTRY_CONFIG],
    env: {
      ...process.env,
      REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: path.join(dir, 'data'),
      REGISTRY_LOG_LEVEL: 'info',
      // As the Helm chart does (registry-secret.yaml): upload _state tokens signed with a key
      // that outlives a restart, where registry:2 would otherwise draw a new one at each start.
      REGISTRY_HTTP_SECRET: secret,
    },
  }));
}

/**
 * redis-server with append-only persistence in `dir`, as DESIGN.md asks wherever records
 * matter: a graceful stop (SIGTERM) writes the log out, and a restart reads it back.
 */
export function startRestartableRedis(): Promise<RestartableService> {
  return startRestartable('redis', 'redis', (port, dir) => ({
    name: 'redis',
    command: 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
    ],
    env: process.env,
  }));
}
