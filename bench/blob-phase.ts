import type { Blob, BlobSource } from './blob-source';
import { pull, pushChunked, pushMonolithic } from './blob-transfers';
import { repositoryScope } from './credentials';
import { cpuSeconds, treeCpuSeconds } from './process-stats';
import { dropBlobData } from './registry-storage';
import { noSamples } from './report';
import type { Samples } from './report';
import type { Settings } from './settings';
import type { Target, TargetName } from './target';

/**
 * The blob transfers, round after round, each transfer made on every target back to back
 * (in the order of bench/order.ts, so that drift in the machine favours none). Around each
 * transfer, the CPU time of crgate and of the registry is read from /proc. Each transfer to
 * crgate first gets a bearer token for its repository, as docker does; that is not timed.
 */
export type BlobScenario = 'pull' | 'pushMonolithic' | 'pushChunked';

export const BLOB_SCENARIOS: readonly BlobScenario[] = ['pull', 'pushMonolithic', 'pushChunked'];
export const PULL_REPOSITORY = 'bench/blob';
const PUSH_REPOSITORY = 'bench/push';
const GIB = 1024 ** 3;

export interface BlobPhase {
  readonly source: BlobSource;
  readonly pullBlob: Blob;
  /** A fresh blob for every push: `blobs.get(freshBlobName(...))`. */
  readonly blobs: ReadonlyMap<string, Blob>;
  /** Targets in the order of each round. */
  readonly orderOfRound: (round: number) => readonly Target[];
  /** A target signed in for a scope: crgate with a fresh bearer token, the others as they are. */
  readonly signIn: (target: Target, scope: string) => Promise<Target>;
}

export interface BlobScenarioResult {
  /** Throughput in MB/s (10^6 bytes per second). */
  readonly megabytesPerSecond: Samples;
  /** CPU seconds per GiB of the proxy that carried the transfer: nginx or crgate. */
  readonly proxyCpuPerGib: Samples;
  /** The registry's CPU seconds per GiB, on each target: what a proxy changes for it. */
  readonly registryCpuPerGib: Samples;
}

export type BlobResults = Readonly<Record<BlobScenario, BlobScenarioResult>>;

export function freshBlobName(scenario: BlobScenario, round: number, target: TargetName): string {
  return `${scenario}-round${round}-${target}`;
}

function emptyResults(): Record<BlobScenario, BlobScenarioResult> {
  const empty = (): BlobScenarioResult => ({
    megabytesPerSecond: noSamples(),
    proxyCpuPerGib: noSamples(),
    registryCpuPerGib: noSamples(),
  });
  return { pull: empty(), pushMonolithic: empty(), pushChunked: empty() };
}

function blobFor(phase: BlobPhase, scenario: BlobScenario, round: number, target: Target): Blob {
  if (scenario === 'pull') return phase.pullBlob;
  const blob = phase.blobs.get(freshBlobName(scenario, round, target.name));
  if (!blob) throw new Error(`no blob prepared for ${scenario} round ${round} on ${target.name}`);
  return blob;
}

function scopeOf(scenario: BlobScenario): string {
  if (scenario === 'pull') return repositoryScope(PULL_REPOSITORY, 'pull');
  return repositoryScope(PUSH_REPOSITORY, 'pull,push');
}

function transfer(
  settings: Settings,
  phase: BlobPhase,
  scenario: BlobScenario,
  target: Target,
  blob: Blob,
) {
  if (scenario === 'pull') return pull(target, PULL_REPOSITORY, blob);
  if (scenario === 'pushMonolithic')
    return pushMonolithic(target, PUSH_REPOSITORY, phase.source, blob);
  return pushChunked(target, PUSH_REPOSITORY, phase.source, blob, settings.chunkBytes);
}

/** CPU seconds so far of the proxy `target` names: crgate, or nginx's master and workers. */
export function proxyCpuSeconds(settings: Settings, target: TargetName): number {
  const ticks = settings.ticksPerSecond;
  if (target === 'crgate') return cpuSeconds(settings.crgatePid, ticks);
  if (target === 'nginx') return treeCpuSeconds(settings.nginxPid, ticks);
  return 0;
}

async function measureOne(
  settings: Settings,
  phase: BlobPhase,
  scenario: BlobScenario,
  target: Target,
  round: number,
  results: Record<BlobScenario, BlobScenarioResult>,
): Promise<void> {
  const blob = blobFor(phase, scenario, round, target);
  const signedIn = await phase.signIn(target, scopeOf(scenario));
  const proxyBefore = proxyCpuSeconds(settings, target.name);
  const registryBefore = cpuSeconds(settings.registryPid, settings.ticksPerSecond);
  const seconds = await transfer(settings, phase, scenario, signedIn, blob);
  const proxyCpu = proxyCpuSeconds(settings, target.name) - proxyBefore;
  const registryCpu = cpuSeconds(settings.registryPid, settings.ticksPerSecond) - registryBefore;

  const result = results[scenario];
  const gib = blob.size / GIB;
  result.megabytesPerSecond[target.name].push(blob.size / 1e6 / seconds);
  result.registryCpuPerGib[target.name].push(registryCpu / gib);
  if (target.name !== 'direct') result.proxyCpuPerGib[target.name].push(proxyCpu / gib);
  if (scenario !== 'pull') await dropBlobData(settings, blob);
}

export async function runBlobPhase(settings: Settings, phase: BlobPhase): Promise<BlobResults> {
  const results = emptyResults();
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const scenario of BLOB_SCENARIOS) {
      for (const target of phase.orderOfRound(round)) {
        await measureOne(settings, phase, scenario, target, round, results);
      }
    }
    process.stderr.write(`  blob round ${round}/${settings.rounds} done\n`);
  }
  return results;
}
