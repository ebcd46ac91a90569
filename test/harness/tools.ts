import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** The one way the end-to-end tests run a client tool (skopeo, umoci, docker). */
const execFileAsync = promisify(execFile);

// Image pushes print progress per layer; a few megabytes keeps any of it from being cut.
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
}

interface ExecFailure {
  readonly code?: number | string;
  readonly stdout?: string;
  readonly stderr?: string;
}

/**
 * Runs a client tool to completion. A failure throws with the command line and the tool's own
 * stderr, and a missing tool says so plainly: these tests never skip for want of a tool.
 */
export async function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  /** Written to the tool's standard input, which is then closed: how passwords go in. */
  input = '',
): Promise<ToolOutput> {
  try {
    const running = execFileAsync(command, args, {
      env,
      maxBuffer: MAX_OUTPUT_BYTES,
      encoding: 'utf8',
    });
    // A tool that exits without reading its input closes the pipe first; its exit status,
    // not the EPIPE of writing to it, says how it went.
    running.child.stdin?.on('error', () => {});
    running.child.stdin?.end(input);
    const { stdout, stderr } = await running;
    return { stdout, stderr };
  } catch (error) {
    const failure = error as ExecFailure;
    if (failure.code === 'ENOENT') {
      throw new Error(`${command} is not installed; the end-to-end tests need it on PATH`);
    }
    const commandLine = [command, ...args].join(' ');
    const output = `${failure.stderr ?? ''}${failure.stdout ?? ''}`.trim();
    throw new Error(`\`${commandLine}\` failed (exit ${failure.code}):\n${output}`);
  }
}

/** The manifest digest skopeo sees for an image through crgate, signed in with a token. */
export async function skopeoDigest(image: string, username: string, token: string) {
  const { stdout } = await run('skopeo', [
    'inspect',
    '--tls-verify=false',
    '--creds',
    `${username}:${token}`,
    '--format',
    '{{.Digest}}',
    `docker://${image}`,
  ]);
  return stdout.trim();
}

/** `token` with its last character changed: a password that is wrong, whatever the token. */
export function wrongToken(token: string): string {
  return `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
}
