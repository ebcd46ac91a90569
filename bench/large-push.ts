import { prepareRepeatedBlob } from './blob-source';
import type { BlobSource } from './blob-source';
import { pushMonolithic } from './blob-transfers';
import { repositoryScope } from './credentials';
import { cpuSeconds, peakRssBytes, resetPeakRss, rssBytes } from './process-stats';
import { dropBlobData } from './registry-storage';
import type { Settings } from './settings';
import type { Target } from './target';

/**
 * One monolithic push of a fresh blob of about 5 GiB through crgate, to show that its memory
 * stays flat however large a layer is: the body streams through, and crgate's peak RSS over
 * the push (VmHWM, its window opened just before) is what one upload costs it at most. The
 * bytes are the shared random file over and over (bench/blob-source.ts), read as they are
 * sent; only the registry writes the blob to disk, and it is dropped afterwards.
 */
export interface LargePushResult {
  readonly bytes: number;
  readonly megabytesPerSecond: number;
  readonly rssBeforeBytes: number;
  readonly peakRssBytes: number;
  readonly crgateCpuPerGib: number;
}

export interface LargePush {
  readonly crgate: Target;
  readonly source: BlobSource;
  readonly signIn: (target: Target, scope: string) => Promise<Target>;
}

const REPOSITORY = 'bench/large';
const GIB = 1024 ** 3;

export async function runLargePush(settings: Settings, push: LargePush): Promise<LargePushResult> {
  const repeats = Math.max(1, Math.round(settings.largeBlobBytes / push.source.sharedBytes));
  const blob = await prepareRepeatedBlob(push.source, 'large', repeats);
  const crgate = await push.signIn(push.crgate, repositoryScope(REPOSITORY, 'pull,push'));
  const pid = settings.crgatePid;

  const rssBeforeBytes = rssBytes(pid);
  resetPeakRss(pid);
  const cpuBefore = cpuSeconds(pid, settings.ticksPerSecond);
  const seconds = await pushMonolithic(crgate, REPOSITORY, push.source, blob);
  const cpu = cpuSeconds(pid, settings.ticksPerSecond) - cpuBefore;
  const peak = peakRssBytes(pid);
  await dropBlobData(settings, blob);

  return {
    bytes: blob.size,
    megabytesPerSecond: blob.size / 1e6 / seconds,
    rssBeforeBytes,
    peakRssBytes: peak,
    crgateCpuPerGib: cpu / (blob.size / GIB),
  };
}
