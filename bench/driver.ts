import os from 'node:os';
import path from 'node:path';

import { BLOB_SCENARIOS, freshBlobName, PULL_REPOSITORY, runBlobPhase } from './blob-phase';
import type { BlobResults } from './blob-phase';
import { prepareBlobs, TAIL_BYTES, writeRandomFile } from './blob-source';
import type { Blob, BlobSource } from './blob-source';
import { pull, pushMonolithic } from './blob-transfers';
import { createCredentials, repositoryScope } from './credentials';
import type { Credentials } from './credentials';
import { MANIFEST_MEDIA_TYPE, pushImage } from './image';
import { runManifestPhase } from './manifest-phase';
import type { ManifestLoad, ManifestResult } from './manifest-phase';
import { peakRssBytes, resetPeakRss, rssBytes } from './process-stats';
import { formatTable, writeJson } from './report';
import { blobRows, crgateRows, decisionLines, failureNotes, manifestRows, tokenRows } from './rows';
import type { Memory } from './rows';
import { readSettings } from './settings';
import type { Settings } from './settings';
import { createTarget, expectStatus, send } from './target';
import type { Target } from './target';
import { runTokenPhase } from './token-phase';
import type { TokenResult } from './token-phase';

/**
 * The benchmark driver: bench/run.sh starts registry:2, Redis and crgate, then this compares
 * crgate with the registry direct and prints one table (and bench/results/latest.json).
 * crgate is signed in to as docker signs in: a bearer token from its token endpoint.
 */

const IMAGE_REPOSITORY = 'bench/image';
const MANIFEST_PATH = `/v2/${IMAGE_REPOSITORY}/manifests/latest`;
// What `docker pull` of the image asks for: the scope of the manifest load and token load.
const IMAGE_PULL_SCOPE = repositoryScope(IMAGE_REPOSITORY, 'pull');
const MIB = 1024 * 1024;

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function blobNames(settings: Settings): string[] {
  const names = ['pull'];
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const scenario of BLOB_SCENARIOS.filter((s) => s !== 'pull')) {
      names.push(
        freshBlobName(scenario, round, 'direct'),
        freshBlobName(scenario, round, 'crgate'),
      );
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

async function expectManifest(target: Target, digest: string): Promise<void> {
  const headers = { Accept: MANIFEST_MEDIA_TYPE };
  const head = await send(target, { method: 'HEAD', path: MANIFEST_PATH, headers });
  const answered = expectStatus(head, 200, `${target.name}: HEAD manifest`).headers;
  if (answered['docker-content-digest'] !== digest) {
    const got = String(answered['docker-content-digest']);
    throw new Error(`${target.name}: HEAD manifest answered digest ${got}, not ${digest}`);
  }
}

/**
 * Pushes what the runs read (directly), then checks that both targets serve it alike, and
 * that crgate does so with a bearer token and with Basic credentials.
 */
async function seed(
  targets: readonly Target[],
  credentials: Credentials,
  source: BlobSource,
  pullBlob: Blob,
) {
  const [direct] = targets;
  if (!direct) throw new Error('no target');
  progress('pushing the blob to pull and the image to load (direct), checking both targets');
  await pushMonolithic(direct, PULL_REPOSITORY, source, pullBlob);
  const digest = await pushImage(direct, IMAGE_REPOSITORY, 'latest');

  // Untimed: a hashed pull proves the bytes, and warms crgate's code paths.
  const pullScope = repositoryScope(PULL_REPOSITORY, 'pull');
  for (const target of targets) {
    await pull(await credentials.signIn(target, pullScope), PULL_REPOSITORY, pullBlob, true);
    await expectManifest(await credentials.signIn(target, IMAGE_PULL_SCOPE), digest);
  }
  await expectManifest(credentials.basic, digest);
}

function title(settings: Settings): string {
  const when = new Date().toISOString();
  return [
    `crgate benchmark ${when}: registry:2 through crgate vs registry:2 direct, on loopback`,
    `${os.cpus().length} cores, node ${process.version}, crgate log level ` +
      `${settings.crgateLogLevel}; each figure is the median of ${settings.rounds} interleaved ` +
      `rounds; ratio = crgate / direct; manifest loads run ${settings.loadSeconds} s each, ` +
      `token loads ${settings.tokenLoadSeconds} s`,
    'token loads ask for one scope throughout (each decision a cache hit: "cached decision") ' +
      'or for a new repository each request (each a miss: "decision computed")',
    'crgate is sent a bearer token from its /token (fresh for each transfer and run), ' +
      'except on rows marked Basic: the PAT as password, checked on every request',
  ].join('\n');
}

interface Outcome {
  readonly blobs: BlobResults;
  readonly manifests: ManifestResult[];
  readonly tokens: TokenResult[];
  readonly memory: Memory;
}

function report(settings: Settings, outcome: Outcome): void {
  const rows = [
    ...blobRows(outcome.blobs, settings),
    ...manifestRows(outcome.manifests),
    ...tokenRows(outcome.tokens),
    ...crgateRows(outcome.blobs, outcome.memory),
  ];
  const notes = [
    ...decisionLines(outcome.tokens),
    ...failureNotes(outcome.manifests, outcome.tokens),
  ];
  const lines = [title(settings), '', formatTable(rows), ...notes];
  process.stdout.write(`\n${lines.join('\n')}\n`);

  const generatedAt = new Date().toISOString();
  const { blobs, tokens } = outcome;
  writeJson(settings.resultsFile, { generatedAt, settings, rows, notes, blobs, tokens });
  progress(`written to ${path.relative(process.cwd(), settings.resultsFile)}`);
}

/** Both targets, the order alternating by round so that drift favours neither. */
function targetsOf(settings: Settings) {
  const direct = createTarget(
    'direct',
    settings.registryPort,
    `127.0.0.1:${settings.registryPort}`,
  );
  const crgate = createTarget('crgate', settings.crgatePort, settings.crgateHost);
  const orderOfRound = (round: number) => (round % 2 === 1 ? [direct, crgate] : [crgate, direct]);
  return { direct, crgate, all: [direct, crgate], orderOfRound };
}

async function main(): Promise<void> {
  const settings = readSettings();
  const pid = settings.crgatePid;
  const targets = targetsOf(settings);
  const credentials = await createCredentials(targets.crgate, settings.patFile);
  const { signIn } = credentials;
  const { source, blobs } = await prepareSource(settings);
  const [pullBlob] = blobs;
  if (!pullBlob) throw new Error('no blob to pull');
  await seed(targets.all, credentials, source, pullBlob);

  const beforeRuns = rssBytes(pid);
  resetPeakRss(pid);
  progress('blob transfers');
  const byName = new Map(blobs.map((b) => [b.name, b]));
  const blobPhase = { ...targets, signIn, source, pullBlob, blobs: byName };
  const blobResults = await runBlobPhase(settings, blobPhase);
  const peakBlobs = peakRssBytes(pid);

  resetPeakRss(pid);
  progress('manifest load');
  const load: ManifestLoad = {
    ...targets,
    credentials,
    path: MANIFEST_PATH,
    accept: MANIFEST_MEDIA_TYPE,
    scope: IMAGE_PULL_SCOPE,
  };
  const manifests = await runManifestPhase(settings, load);
  const peakManifests = peakRssBytes(pid);

  progress('token endpoint load');
  const tokens = await runTokenPhase(settings, { credentials, scope: IMAGE_PULL_SCOPE });
  const memory = { beforeRuns, peakBlobs, peakManifests, afterRuns: rssBytes(pid) };

  report(settings, { blobs: blobResults, manifests, tokens, memory });
}

// Stopped by run.sh's trap: exit through 'exit' handlers, which stop any running wrk.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
