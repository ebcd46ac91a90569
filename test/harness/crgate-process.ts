import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { requireEnv } from './gateway';
import { freePort, waitForPort } from './ports';

/**
 * crgate as an operator runs it, `node dist/cli.js serve` in a process of its own, in front
 * of the run's registry and Redis: a second replica beside a test's in-process gateway, with
 * its own memory, so what one replica learns the other must hear from Redis. `npm test`
 * builds dist/ before jest runs.
 */
export interface CrgateProcess {
  readonly port: number;
  /** `containers.localhost:PORT`. */
  readonly registryHost: string;
  stop(): Promise<void>;
}

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

export async function startCrgateProcess(
  directoryFile: string,
  logDir: string,
  overrides: Record<string, string> = {},
): Promise<CrgateProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const logFile = path.join(logDir, `crgate-${port}.log`);
  const out = openSync(logFile, 'a');
  const env = {
    PATH: process.env.PATH,
    CRGATE_HOSTNAME: 'localhost',
    CRGATE_LISTEN: `127.0.0.1:${port}`,
    CRGATE_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    CRGATE_REGISTRY_URL: requireEnv('TEST_REGISTRY_URL'),
    CRGATE_REDIS_URL: requireEnv('TEST_REDIS_URL'),
    CRGATE_PUBLIC_URL_SCHEME: 'http',
    CRGATE_DIRECTORY: directoryFile,
    CRGATE_AUTH_FAILURES_PER_ADDRESS: '100000',
    CRGATE_PURGE_INTERVAL_SECONDS: '0',
    ...overrides,
  };
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`crgate exited with ${code}`)));
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort(port), exited]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
  }

  return {
    port,
    registryHost: `containers.localhost:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
