import type { BlobReader } from '../packages/observe';
import { fetchFromRegistry } from './registry-fetch';

/**
 * Reads small blobs (image configurations) straight from the registry for the observe step.
 * `fetch` follows the redirect a registry on object storage answers blob reads with.
 */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export function createBlobReader(registryUrl: URL, registryTimeoutMs: number): BlobReader {
  const source = { registryUrl, registryTimeoutMs };
  return async (repository, digest) => {
    const response = await fetchFromRegistry(source, `/v2/${repository}/blobs/${digest}`);
    const length = Number(response.headers.get('content-length') ?? 0);
    if (!response.ok || length > MAX_CONFIG_BYTES) {
      await response.body?.cancel();
      return undefined;
    }
    const blob = Buffer.from(await response.arrayBuffer());
    return blob.length <= MAX_CONFIG_BYTES ? blob : undefined;
  };
}
