import type { Request, Response } from 'express';

import { ApiError } from './errors';

/**
 * GitHub's REST pagination: `page` from 1, `per_page` up to 100 (30 unless asked), and a
 * `Link` header with the pages before and after, in GitHub's order (prev, next, last, first).
 */
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;

/** A query parameter given once; a parameter given twice is refused. */
export function queryValue(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new ApiError(400, `${name} must be given once`);
}

function whole(req: Request, name: string): number | undefined {
  const raw = queryValue(req, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < 1) {
    throw new ApiError(400, `${name} must be a whole number from 1`);
  }
  return n;
}

function linkHeader(url: URL, page: number, last: number): string | undefined {
  if (last <= 1) return undefined;
  const link = (to: number, rel: string) => {
    url.searchParams.set('page', String(to));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [];
  if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return links.join(', ');
}

/** The asked page of `items`; sets the `Link` header, built on the request's own URL. */
export function paginate<T>(req: Request, res: Response, base: string, items: readonly T[]): T[] {
  const page = whole(req, 'page') ?? 1;
  const perPage = Math.min(whole(req, 'per_page') ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);

  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = linkHeader(new URL(req.originalUrl, base), page, last);
  if (link) res.set('Link', link);
  return items.slice((page - 1) * perPage, page * perPage);
}
