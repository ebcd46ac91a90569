import { RegistryError } from './errors';

/**
 * The distribution spec's pagination ("Listing Tags", "Listing Repositories"): `n` entries at
 * most, after `last` in lexical order, with a `Link` to the next page when more may follow.
 */

/** `n` as asked; undefined when the client did not ask for a page size. */
export function pageSize(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < 0) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', 'n must be a whole number', { n: raw });
  }
  return n;
}

/** The `Link` header value of the page after `last`, on the same path. */
export function nextPageLink(path: string, n: number, last: string): string {
  const next = new URLSearchParams({ n: String(n), last });
  return `<${path}?${next.toString()}>; rel="next"`;
}
