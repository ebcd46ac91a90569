import type { ServerResponse } from 'node:http';

import { nextPageLink, pageSize } from './pagination';
import { fetchFromRegistry } from './registry-fetch';
import type { RegistrySource } from './registry-fetch';

interface TagList {
  name: string;
  tags: string[] | null;
}

/**
 * `GET /v2/<name>/tags/list` with `n` and `last` honoured exactly, which registry 2.8 does
 * not do: crgate reads the whole list from the registry (a list of names, small beside an
 * image) and answers the page itself. The registry's own refusals (`NAME_UNKNOWN`) pass
 * through as they are, but for a package crgate knows: registry 2.8 says `NAME_UNKNOWN` for a
 * repository with manifests and no tag yet, where spec 1.1 ("Listing Tags") wants a 200 with
 * an empty list.
 */
export async function answerTags(
  source: RegistrySource,
  repository: string,
  query: URLSearchParams,
  res: ServerResponse,
  /** Tags a deletion hides: the registry still has them, pulls must not see them. */
  hidden: ReadonlySet<string> = new Set(),
  /** Whether crgate has a package of this name, asked only when the registry knows none. */
  packageExists: () => Promise<boolean> = async () => false,
): Promise<void> {
  const n = pageSize(query.get('n'));
  const last = query.get('last');
  const answer = await fetchFromRegistry(source, `/v2/${repository}/tags/list`);
  const text = await answer.text();
  const empty = answer.status === 404 && (await packageExists());
  if (answer.status !== 200 && !empty) {
    res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(text);
    return;
  }

  const list = empty ? { name: repository, tags: [] } : (JSON.parse(text) as TagList);
  const sorted = (list.tags ?? []).filter((tag) => !hidden.has(tag)).sort();
  const after = last === null ? sorted : sorted.filter((tag) => tag > last);
  const page = n === undefined ? after : after.slice(0, n);
  const body = JSON.stringify({ name: list.name, tags: page });
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  const end = page[page.length - 1];
  if (n !== undefined && page.length < after.length && end !== undefined) {
    res.setHeader('Link', nextPageLink(`/v2/${repository}/tags/list`, n, end));
  }
  res.end(body);
}
