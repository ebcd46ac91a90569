import { rm } from 'node:fs/promises';
import path from 'node:path';

import type { Blob } from './blob-source';
import type { Settings } from './settings';

/**
 * Drops a pushed blob's data from the registry's storage, so that rounds of fresh 1 GiB
 * blobs, and the 5 GiB one, do not fill the disk. The API's DELETE only unlinks a blob from
 * its repository; the data stays until garbage collection, which needs the registry stopped.
 */
export async function dropBlobData(settings: Settings, blob: Blob): Promise<void> {
  const hex = blob.digest.slice('sha256:'.length);
  const dir = path.join(
    settings.registryRoot,
    'docker/registry/v2/blobs/sha256',
    hex.slice(0, 2),
    hex,
  );
  // No `force`: were the layout other than assumed, a silent no-op would fill the disk.
  await rm(dir, { recursive: true });
}
