import { loadConfig } from '../config';
import { Purger, registryManifestDeleter } from '../packages/purge';
import { markTtlMs, PurgeMarks } from '../packages/purge-marks';
import { createCrgateLogger } from '../telemetry/logger';
import { withState } from './state';

/**
 * `crgate purge`: deletes from the registry the manifests of packages and versions deleted
 * longer ago than the restore window, at once rather than at the next hourly run. The
 * registry's garbage collection then frees their blobs.
 */
export const PURGE_USAGE = `Usage:
  crgate purge
`;

export async function purgeCommand(): Promise<{ output: string; complete: boolean }> {
  const config = loadConfig();
  const deleter = registryManifestDeleter(config.registryUrl, config.registryTimeoutMs);
  const logger = createCrgateLogger('warn');
  const report = await withState((redis) => {
    const marks = new PurgeMarks(redis, { ttlMs: markTtlMs(config.registryTimeoutMs) });
    return new Purger(redis, deleter, config.restoreWindowSeconds * 1000, logger, marks).purgeDue();
  });
  const left = report.failed > 0 ? `; ${report.failed} left for the next run` : '';
  return { output: `purged ${report.purged} deletions${left}`, complete: report.failed === 0 };
}
