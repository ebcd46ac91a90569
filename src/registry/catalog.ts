import type { ServerResponse } from 'node:http';

import type { AccessControl } from '../access/decide';
import type { Principal } from '../auth/principal';
import type { PackageStore } from '../packages/package-store';
import { nextPageLink, pageSize } from './pagination';

/**
 * `GET /v2/_catalog` (distribution spec, "Listing Repositories"), answered by crgate from its
 * package records rather than by the registry: each principal sees only the packages it may
 * pull, in name order, `n` at a time after `last`, with a `Link` to the next page.
 */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export interface CatalogParts {
  readonly packages: PackageStore;
  readonly access: AccessControl;
}

/** Up to `n` readable repositories after `last`, and whether more may follow. */
async function readable(
  parts: CatalogParts,
  principal: Principal,
  last: string | undefined,
  n: number,
) {
  const found: string[] = [];
  let after = last;
  // TODO: a principal who may read few of many packages makes this walk the whole index;
  // a per-namespace index would let it skip namespaces it has no role in.
  const size = Math.max(n, DEFAULT_PAGE);
  while (found.length < n) {
    const batch = await parts.packages.list(after, size);
    const decisions = await Promise.all(
      batch.map((repository) => parts.access.decide(principal, repository, ['pull'])),
    );
    for (const [i, repository] of batch.entries()) {
      if (found.length < n && decisions[i]?.granted.includes('pull')) found.push(repository);
    }
    if (found.length === n) return { found, more: true };
    if (batch.length < size) return { found, more: false };
    after = batch[batch.length - 1];
  }
  return { found, more: true };
}

export async function answerCatalog(
  parts: CatalogParts,
  principal: Principal,
  query: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const n = Math.min(pageSize(query.get('n')) ?? DEFAULT_PAGE, MAX_PAGE);
  const { found, more } =
    n === 0
      ? { found: [], more: false }
      : await readable(parts, principal, query.get('last') ?? undefined, n);

  const body = JSON.stringify({ repositories: found });
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  const last = found[found.length - 1];
  if (more && last) res.setHeader('Link', nextPageLink('/v2/_catalog', n, last));
  res.end(body);
}
