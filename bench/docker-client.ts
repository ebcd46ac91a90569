import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

import type { Settings } from './settings';

/**
 * The docker client, run against the dockerd that bench/run.sh started (its own socket, data
 * and exec roots in the temp folder), with a client config folder of its own there, so that
 * `docker login` writes nothing into the user's ~/.docker.
 */
export type Docker = (args: readonly string[], input?: string) => Promise<string>;

// The client of the daemon's own release (Debian's docker.io); /usr/local/bin may hold a
// newer one that speaks another API version.
const DOCKER_CLIENT = '/usr/bin/docker';
// `docker build` and `docker push` print a line per layer; far below this.
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
const run = promisify(execFile);

// A driver stopped mid-run takes its docker clients with it, as it does its wrk.
const running = new Set<ChildProcess>();
process.once('exit', () => running.forEach((child) => child.kill()));

interface ExecFailure extends Error {
  readonly stdout?: string;
  readonly stderr?: string;
}

export function createDocker(settings: Settings): Docker {
  const env = { ...process.env, DOCKER_CONFIG: settings.dockerConfigDir, DOCKER_BUILDKIT: '0' };
  return async (args, input = '') => {
    const command = ['--host', settings.dockerHost, ...args];
    const pending = run(DOCKER_CLIENT, command, { env, maxBuffer: MAX_OUTPUT_BYTES });
    running.add(pending.child);
    // Passwords go in on standard input, never on the command line.
    pending.child.stdin?.end(input);
    try {
      return (await pending).stdout;
    } catch (error) {
      const failure = error as ExecFailure;
      const output = `${failure.stderr ?? ''}${failure.stdout ?? ''}`.trim() || failure.message;
      throw new Error(`docker ${args.join(' ')} failed: ${output}`);
    } finally {
      running.delete(pending.child);
    }
  };
}
