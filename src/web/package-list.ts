import type { Request, Response } from 'express';

import { splitRepository } from '../packages/package';
import type { PackageRecord } from '../packages/package';
import { formatDate } from './format';
import { html } from './html';
import type { Html } from './html';
import { sendNotFound, sendPage } from './layout';
import { mayRestoreIn } from './deleted-packages';
import {
  deletedHref,
  namespaceHref,
  namespaceOf,
  packageHref,
  visiblePackage,
} from './package-access';
import type { NamespaceRoute } from './package-access';
import type { WebParts } from './parts';

/**
 * `GET /{users|orgs}/OWNER/packages`: the namespace's packages the viewer can see, in name
 * order, a page at a time. `?package_type=container` is what GitHub's links carry; crgate
 * holds containers only, so another type lists nothing.
 */
const PAGE_SIZE = 30;
const SUMMARY_CHARS = 280;

function pageNumber(value: unknown): number {
  const page = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : 1;
  return Math.max(page, 1);
}

async function visibleRecords(parts: WebParts, req: Request, namespace: string) {
  const repositories = await parts.packages.inNamespace(namespace);
  const visible = await Promise.all(
    repositories.map((repository) =>
      visiblePackage(parts, req, namespace, splitRepository(repository).name),
    ),
  );
  return visible.flatMap((found) => (found ? [found.pkg.record] : []));
}

function summary(description: string | undefined): Html {
  if (!description) return html`<p class="muted">No description provided.</p>`;
  const short =
    description.length > SUMMARY_CHARS ? `${description.slice(0, SUMMARY_CHARS)}…` : description;
  return html`<p class="description">${short}</p>`;
}

function packageItem(route: NamespaceRoute, record: PackageRecord): Html {
  return html`<li>
    <a class="name" href="${packageHref(route, record.namespace, record.name)}">${record.name}</a>
    <span class="badge">${record.visibility}</span>
    ${summary(record.description)}
    <p class="muted">Updated ${formatDate(record.updatedAt)}</p>
  </li>`;
}

function pager(base: string, page: number, hasNext: boolean): Html {
  const link = (to: number, words: string) =>
    html`<a href="${base}?package_type=container&page=${to}">${words}</a>`;
  if (page === 1 && !hasNext) return html``;
  return html`<nav class="pages" aria-label="Pages">
    ${page > 1 && link(page - 1, 'Previous')} ${hasNext && link(page + 1, 'Next')}
  </nav>`;
}

interface ListData {
  readonly route: NamespaceRoute;
  readonly namespace: string;
  readonly records: readonly PackageRecord[];
  readonly page: number;
  /** Whether the viewer may restore the namespace's deleted packages. */
  readonly restorer: boolean;
}

function listMain({ route, namespace, records, page, restorer }: ListData) {
  const shown = records.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const hasNext = records.length > page * PAGE_SIZE;
  const items = shown.length
    ? html`<ul class="packages">
        ${shown.map((record) => packageItem(route, record))}
      </ul>`
    : html`<p class="muted">No packages to show.</p>`;

  return html`<h1>Packages of ${namespace}</h1>
    <p class="muted">${records.length} ${records.length === 1 ? 'package' : 'packages'}</p>
    ${restorer && html`<p><a href="${deletedHref(route, namespace)}">Deleted packages</a></p>`}
    ${items} ${pager(namespaceHref(route, namespace), page, hasNext)}`;
}

export function packageList(parts: WebParts, route: NamespaceRoute) {
  return async (req: Request, res: Response) => {
    const namespace = await namespaceOf(parts, route, String(req.params.owner));
    if (!namespace) return sendNotFound(req, res);

    const type = req.query.package_type;
    const records =
      type === undefined || type === 'container' ? await visibleRecords(parts, req, namespace) : [];
    const page = pageNumber(req.query.page);
    const restorer = await mayRestoreIn(parts, req, namespace);
    sendPage(req, res, {
      title: `Packages of ${namespace}`,
      main: listMain({ route, namespace, records, page, restorer }),
    });
  };
}
