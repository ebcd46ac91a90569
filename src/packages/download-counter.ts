import type { Logger } from 'winston';

import type { PackageStore } from './package-store';

/**
 * Download counts, gathered in memory and added to the records a few times a second in one
 * pipeline, so a pull costs Redis nothing on its way. A replica that dies loses at most the
 * last interval's counts; one that stops adds what it holds first.
 */
const FLUSH_INTERVAL_MS = 250;

export class DownloadCounter {
  /** `repository\ndigest` to the pulls not yet added. */
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: PackageStore,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  count(repository: string, digest: string): void {
    const key = `${repository}\n${digest}`;
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
  }

  /** Adds what was counted to the records. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const counted = this.pending;
    this.pending = new Map();
    const downloads = [...counted].map(([key, n]) => {
      const [repository = '', digest = ''] = key.split('\n');
      return { repository, digest, n };
    });
    await this.store.addDownloads(downloads).catch((error: unknown) => {
      this.logger.warn('downloads not counted', {
        versions: downloads.length,
        error: String(error),
      });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
