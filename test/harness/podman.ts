import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { makeTempDir, removeDir } from './images';
import { run } from './tools';
import type { ToolOutput } from './tools';

/**
 * A podman the tests own: its image storage, run state, network configuration, settings and
 * auth file all live in one temp folder, so it never reads or writes the machine's own.
 */
export interface Podman {
  readonly dir: string;
  /** The auth file `podman login` writes to and `podman logout` clears. */
  readonly authFile: string;
  /** Runs podman with this folder's storage and settings; `input` goes to standard input. */
  podman(args: readonly string[], input?: string): Promise<ToolOutput>;
  remove(): Promise<void>;
}

// Rootful netavark keeps its state in /run/containers/networks whatever the flags say; the
// CNI backend keeps it in --network-config-dir. The tests pull and push, they run nothing.
const CONTAINERS_CONF = '[network]\nnetwork_backend = "cni"\n';

// vfs needs no overlay support from the sandbox's kernel, cgroupfs no systemd, and the file
// events backend no journald; --tmpdir moves the run state out of /run/libpod.
function storageArgs(dir: string): string[] {
  return [
    '--root',
    path.join(dir, 'root'),
    '--runroot',
    path.join(dir, 'runroot'),
    '--tmpdir',
    path.join(dir, 'tmp'),
    '--network-config-dir',
    path.join(dir, 'networks'),
    '--storage-driver',
    'vfs',
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
  ];
}

export async function createPodman(): Promise<Podman> {
  const dir = await makeTempDir('crgate-podman-');
  const authFile = path.join(dir, 'auth.json');
  const confFile = path.join(dir, 'containers.conf');
  // podman refuses to start when REGISTRY_AUTH_FILE names a file that does not exist yet.
  await writeFile(authFile, JSON.stringify({ auths: {} }));
  await writeFile(confFile, CONTAINERS_CONF);

  const env = { ...process.env, REGISTRY_AUTH_FILE: authFile, CONTAINERS_CONF: confFile };
  const podman = (args: readonly string[], input = '') =>
    run('podman', [...storageArgs(dir), ...args], env, input);
  return { dir, authFile, podman, remove: () => removeDir(dir) };
}
