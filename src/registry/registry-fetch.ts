import { unavailable } from './errors';

/**
 * crgate's own requests to the registry, beside the forward step's: a tag list to page, the
 * digest a tag names, a subject's fallback referrers index, an image configuration for the
 * observe step, the purge's manifest deletions.
 * Each is bounded by the registry timeout (CRGATE_REGISTRY_TIMEOUT_MS); a registry that cannot
 * be reached or does not answer in time is UNAVAILABLE.
 */
export interface RegistrySource {
  readonly registryUrl: URL;
  readonly registryTimeoutMs: number;
}

export interface RegistryRequest {
  readonly method?: 'GET' | 'HEAD' | 'DELETE';
  /** The `Accept` header, for a manifest read. */
  readonly accept?: string;
}

/** Sends `path` (`/v2/...`) to the registry; the answer's body is the caller's to read. */
export async function fetchFromRegistry(
  source: RegistrySource,
  path: string,
  { method = 'GET', accept }: RegistryRequest = {},
): Promise<Response> {
  const url = new URL(path, source.registryUrl);
  const headers: Record<string, string> = accept ? { Accept: accept } : {};
  const signal = AbortSignal.timeout(source.registryTimeoutMs);
  return fetch(url, { method, headers, signal }).catch(() => {
    throw unavailable('the registry');
  });
}
