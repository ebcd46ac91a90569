import os from 'node:os';
import path from 'node:path';

import { BLOB_SCENARIOS, freshBlobName, runBlobPhase } from './blob-phase';
import type { BlobResults } from './blob-phase';
import { prepareBlobs, TAIL_BYTES, writeRandomFile } from './blob-source';
import type { Blob, BlobSource } from './blob-source';
import { createCredentials } from './credentials';
import type { Credentials } from './credentials';
import { createDocker } from './docker-client';
import type { Docker } from './docker-client';
import { runDockerPullPhase } from './docker-pull-phase';
import type { DockerPullResult } from './docker-pull-phase';
import { MANIFEST_MEDIA_TYPE } from './image';
import { runLargePush } from './large-push';
import type { LargePushResult } from './large-push';
import { runManifestPhase } from './manifest-phase';
import type { ManifestLoad, ManifestResult } from './manifest-phase';
import { orderOfRound } from './order';
import { peakRssBytes, resetPeakRss, rssBytes } from './process-stats';
import { preparePullImage } from './pull-image';
import type { PullImageRefs } from './pull-image';
import { formatTable, writeJson } from './report';
import {
  blobRows,
  crgateRows,
  decisionLines,
  dockerPullRows,
  failureNotes,
  largePushRows,
  manifestRows,
  tokenRows,
} from './rows';
import type { Memory } from './rows';
import { IMAGE_PULL_SCOPE, MANIFEST_PATH, seed } from './seed';
import { readSettings } from './settings';
import type { Settings } from './settings';
import { createTarget, TARGET_NAMES } from './target';
import { runTokenPhase } from './token-phase';
import type { TokenResult } from './token-phase';

/**
 * The benchmark driver: bench/run.sh starts registry:2, nginx in front of it, Redis, crgate
 * and a dockerd, then this compares crgate and nginx with the registry direct and prints one
 * table (and bench/results/latest.json). crgate is signed in to as docker signs in: a bearer
 * token from its token endpoint.
 */

const MIB = 1024 * 1024;

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function blobNames(settings: Settings): string[] {
  const names = ['pull'];
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const scenario of BLOB_SCENARIOS.filter((s) => s !== 'pull')) {
      names.push(...TARGET_NAMES.map((target) => freshBlobName(scenario, round, target)));
    }
  }
  return names;
}

async function prepareSource(settings: Settings): Promise<{ source: BlobSource; blobs: Blob[] }> {
  const file = path.join(settings.workDir, 'random.bin');
  const source = { file, sharedBytes: settings.blobBytes - TAIL_BYTES };
  progress(`writing ${settings.blobBytes / MIB} MiB of random data, hashing every blob`);
  await writeRandomFile(source.file, source.sharedBytes);
  return { source, blobs: await prepareBlobs(source, blobNames(settings)) };
}

function title(settings: Settings): string {
  const when = new Date().toISOString();
  return [
    `crgate benchmark ${when}: registry:2 direct, through nginx and through crgate, on loopback`,
    `${os.cpus().length} cores, node ${process.version}, crgate log level ` +
      `${settings.crgateLogLevel}, nginx and registry access logs off; each figure is the ` +
      `median of ${settings.rounds} interleaved rounds (docker pull: ${settings.pullRounds}); ` +
      `ratios are to direct; manifest loads run ${settings.loadSeconds} s each, token loads ` +
      `${settings.tokenLoadSeconds} s`,
    'token loads ask for one scope throughout (each decision remembered, by crgate or in ' +
      'Redis: "cached decision") or for a new repository each request (each a cache miss: ' +
      '"decision computed")',
    'crgate is sent a bearer token from its /token (fresh for each transfer and run), ' +
      'except on rows marked Basic: the PAT as password, checked on every request; ' +
      'nginx, like the registry, asks for no credentials',
  ].join('\n');
}

interface Outcome {
  readonly blobs: BlobResults;
  readonly largePush: LargePushResult;
  readonly dockerPulls: DockerPullResult;
  readonly manifests: ManifestResult[];
  readonly tokens: TokenResult[];
  readonly memory: Memory;
}

function report(settings: Settings, outcome: Outcome): void {
  const rows = [
    ...blobRows(outcome.blobs, settings),
    ...dockerPullRows(outcome.dockerPulls, settings),
    ...manifestRows(outcome.manifests),
    ...tokenRows(outcome.tokens),
    ...crgateRows(outcome.blobs, outcome.memory),
    ...largePushRows(outcome.largePush),
  ];
  const notes = [
    ...decisionLines(outcome.tokens),
    ...failureNotes(outcome.manifests, outcome.tokens),
  ];
  const lines = [title(settings), '', formatTable(rows), ...notes];
  process.stdout.write(`\n${lines.join('\n')}\n`);

  const generatedAt = new Date().toISOString();
  const { blobs, largePush, dockerPulls, tokens } = outcome;
  const results = { blobs, largePush, dockerPulls, tokens };
  writeJson(settings.resultsFile, { generatedAt, settings, rows, notes, ...results });
  progress(`written to ${path.relative(process.cwd(), settings.resultsFile)}`);
}

/** Every target, visited in the order of bench/order.ts, so that drift favours none. */
function targetsOf(settings: Settings) {
  const direct = createTarget(
    'direct',
    settings.registryPort,
    `127.0.0.1:${settings.registryPort}`,
  );
  const nginx = createTarget('nginx', settings.nginxPort, `127.0.0.1:${settings.nginxPort}`);
  const crgate = createTarget('crgate', settings.crgatePort, settings.crgateHost);
  const all = [direct, nginx, crgate];
  return { direct, nginx, crgate, all, orderOfRound: (round: number) => orderOfRound(all, round) };
}

/** Everything the phases share, set up before any of them. */
interface Setup {
  readonly settings: Settings;
  readonly targets: ReturnType<typeof targetsOf>;
  readonly credentials: Credentials;
  readonly source: BlobSource;
  readonly blobs: Blob[];
  readonly pullBlob: Blob;
  readonly docker: Docker;
  readonly pullImage: PullImageRefs;
}

async function setUp(settings: Settings): Promise<Setup> {
  const targets = targetsOf(settings);
  const credentials = await createCredentials(targets.crgate, settings.patFile);
  const { source, blobs } = await prepareSource(settings);
  const [pullBlob] = blobs;
  if (!pullBlob) throw new Error('no blob to pull');

  progress('pushing the blob to pull and the image to load (direct), checking every target');
  await seed(targets.direct, targets.all, credentials, source, pullBlob);
  const docker = createDocker(settings);
  progress(`building the ${settings.pullLayers}-layer image, pushing it through every target`);
  const pullImage = await preparePullImage(docker, settings, targets);
  return { settings, targets, credentials, source, blobs, pullBlob, docker, pullImage };
}

/** The phases that move bytes: blob transfers, docker pulls, the one large push. */
async function runTransfers(setup: Setup) {
  const { settings, targets, credentials, source } = setup;
  const { signIn } = credentials;
  const pid = settings.crgatePid;
  const beforeRuns = rssBytes(pid);
  resetPeakRss(pid);
  progress('blob transfers');
  const blobs = new Map(setup.blobs.map((b) => [b.name, b]));
  const phase = { ...targets, signIn, source, pullBlob: setup.pullBlob, blobs };
  const blobResults = await runBlobPhase(settings, phase);
  const peakBlobs = peakRssBytes(pid);

  progress('docker pull');
  const dockerPulls = await runDockerPullPhase(setup.docker, settings, setup.pullImage);
  progress(`one push of ${settings.largeBlobBytes / MIB / 1024} GiB through crgate`);
  const largePush = await runLargePush(settings, { crgate: targets.crgate, source, signIn });
  return { blobResults, dockerPulls, largePush, beforeRuns, peakBlobs };
}

/** The phases of many small requests: manifest loads, then token loads. */
async function runLoads(setup: Setup) {
  const { settings, credentials } = setup;
  const pid = settings.crgatePid;
  resetPeakRss(pid);
  progress('manifest load');
  const load: ManifestLoad = {
    ...setup.targets,
    credentials,
    path: MANIFEST_PATH,
    accept: MANIFEST_MEDIA_TYPE,
    scope: IMAGE_PULL_SCOPE,
  };
  const manifests = await runManifestPhase(settings, load);
  const peakManifests = peakRssBytes(pid);

  progress('token endpoint load');
  const tokens = await runTokenPhase(settings, { credentials, scope: IMAGE_PULL_SCOPE });
  return { manifests, peakManifests, tokens };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const setup = await setUp(settings);
  const transfers = await runTransfers(setup);
  const loads = await runLoads(setup);

  const { beforeRuns, peakBlobs } = transfers;
  const afterRuns = rssBytes(settings.crgatePid);
  const memory = { beforeRuns, peakBlobs, peakManifests: loads.peakManifests, afterRuns };
  report(settings, {
    blobs: transfers.blobResults,
    largePush: transfers.largePush,
    dockerPulls: transfers.dockerPulls,
    manifests: loads.manifests,
    tokens: loads.tokens,
    memory,
  });
}

// Stopped by run.sh's trap: exit through 'exit' handlers, which stop any running wrk or docker.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
