import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { ALL_SCOPES, startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { helmBinary } from '../harness/helm';
import { makeTempDir, removeDir } from '../harness/images';
import { run } from '../harness/tools';
import type { ToolOutput } from '../harness/tools';

/**
 * A Helm chart as an OCI artifact (issue 4), with the real helm 3 client: log in with a
 * token, `helm push oci://`, `helm pull` the same bytes back, and crgate records the package
 * with the chart's version as its tag. A chart is private like any new package: an anonymous
 * pull fails.
 */
jest.setTimeout(120_000);

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';

// A name no other test uses: the registry and Redis are shared by every test file.
const CHART = `helm-pushed-${randomUUID().slice(0, 8)}`;
const VERSION = '0.3.1';

let gateway: TestGateway | undefined;
let workDir: string | undefined;

beforeAll(async () => {
  workDir = await makeTempDir('crgate-helm-push-');
  gateway = await startGateway();
});

afterAll(async () => {
  await gateway?.close();
  await removeDir(workDir);
});

function started(): { gw: TestGateway; workDir: string } {
  if (!gateway || !workDir) throw new Error('beforeAll did not finish');
  return { gw: gateway, workDir };
}

/**
 * helm with every home of its own under `home`: credentials, cache and config never touch
 * the machine's, and two homes are two clients (one logged in, one anonymous).
 */
async function helm(home: string, args: string[], input = ''): Promise<ToolOutput> {
  const env = {
    ...process.env,
    HELM_REGISTRY_CONFIG: path.join(home, 'registry', 'config.json'),
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    DOCKER_CONFIG: path.join(home, 'docker'),
  };
  return run(await helmBinary(), args, env, input);
}

async function folder(name: string): Promise<string> {
  const dir = path.join(started().workDir, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** `helm package` of a chart of one template; answers the archive's path. */
async function packagedChart(home: string): Promise<string> {
  const source = await folder(path.join('source', CHART));
  const chart = [
    'apiVersion: v2',
    `name: ${CHART}`,
    `version: ${VERSION}`,
    'description: A greeting pushed with helm',
    // Helm turns the first source into the org.opencontainers.image.source annotation.
    'sources: [http://localhost/octocat/hello]',
  ];
  await writeFile(path.join(source, 'Chart.yaml'), `${chart.join('\n')}\n`);
  await mkdir(path.join(source, 'templates'));
  const configMap = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: {{ .Release.Name }}-greeting}',
    'data: {greeting: {{ .Values.greeting | quote }}}',
  ];
  await writeFile(path.join(source, 'templates', 'greeting.yaml'), `${configMap.join('\n')}\n`);
  await writeFile(path.join(source, 'values.yaml'), 'greeting: hello\n');

  const destination = await folder('packaged');
  await helm(home, ['package', source, '--destination', destination]);
  return path.join(destination, `${CHART}-${VERSION}.tgz`);
}

/** `helm registry login` as octocat, the token going in on standard input. */
async function login(home: string, token: string): Promise<void> {
  const { gw } = started();
  const args = ['registry', 'login', gw.registryHost, '--username', 'octocat'];
  await helm(home, [...args, '--password-stdin', '--insecure'], token);
}

/** `helm push` to the octocat namespace; answers the manifest digest helm prints. */
async function push(home: string, archive: string): Promise<string> {
  const { gw } = started();
  const args = ['push', archive, `oci://${gw.registryHost}/octocat`, '--plain-http'];
  const { stdout, stderr } = await helm(home, args);
  const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(`${stdout}${stderr}`)?.[1];
  if (!digest) throw new Error(`helm push printed no digest:\n${stdout}${stderr}`);
  return digest;
}

/** `helm pull` of the chart's version into `destination`; answers the archive's path. */
async function pull(home: string, destination: string): Promise<string> {
  const { gw } = started();
  const chart = `oci://${gw.registryHost}/octocat/${CHART}`;
  const args = ['pull', chart, '--version', VERSION, '--destination', destination];
  await helm(home, [...args, '--plain-http']);
  return path.join(destination, `${CHART}-${VERSION}.tgz`);
}

test('pushes a chart with helm, pulls the same bytes back, and records the package', async () => {
  const { gw } = started();
  const home = await folder('home-octocat');
  const archive = await packagedChart(home);
  await login(home, await gw.createToken('octocat', ALL_SCOPES));

  const digest = await push(home, archive);
  const pulled = await pull(home, await folder('pulled'));

  expect((await readFile(pulled)).equals(await readFile(archive))).toBe(true);
  const repository = `octocat/${CHART}`;
  expect(await gw.gateway.packages.tags(repository)).toEqual({ [VERSION]: digest });
  expect((await gw.gateway.packages.get(repository))?.record).toMatchObject({
    visibility: 'private',
    createdBy: 'user:octocat',
    linkedRepository: 'octocat/hello',
    description: 'A greeting pushed with helm',
  });
  const versions = await gw.gateway.packages.versions(repository);
  expect(versions).toEqual([expect.objectContaining({ digest, artifactType: HELM_CONFIG })]);
});

test('refuses an anonymous helm pull of the private chart', async () => {
  const { gw } = started();
  const anonymous = await folder('home-anonymous');
  // The chart is there (the test before pushed it): what stops the pull is access.
  expect(await gw.gateway.packages.tags(`octocat/${CHART}`)).toHaveProperty([VERSION]);

  const pulled = pull(anonymous, await folder('pulled-anonymously'));

  // Without credentials, all helm gets for the manifest is crgate's 401 challenge.
  await expect(pulled).rejects.toThrow(/401 Unauthorized/);
});
