import express from 'express';
import type { Request, Response } from 'express';

import { missingScopes, SCOPES_TO } from '../access/package-scopes';
import { restoreRole } from '../access/restore-role';
import { packageRole } from '../access/roles';
import type { Principal } from '../auth/principal';
import type { DeletedPackage } from '../packages/deletion';
import { PACKAGE_NOT_FOUND, refusalAnswer } from '../packages/refusal-messages';
import { csrfInput, csrfToken } from './csrf';
import { formatCount, formatDate } from './format';
import { csrfChecked, field, formBody, noticeNamed } from './forms';
import { errorAlert, html, statusNotice } from './html';
import type { Html } from './html';
import { sendNotFound, sendPage } from './layout';
import { deletedHref, NAMESPACE_ROUTES, namespaceHref, namespaceOf } from './package-access';
import type { NamespaceRoute } from './package-access';
import type { WebParts } from './parts';
import { scrollingTable } from './scrolling-table';
import { forScreenReaders, lacksSentence } from './settings-form';
import { principalIn } from './viewer';

/**
 * `/{users|orgs}/OWNER/packages/deleted`: the namespace's deleted packages, each with a
 * Restore button, for those who may restore them. A deleted package has no page of its own
 * (its page is 404, as on GitHub), so its restore lives beside the namespace's package list;
 * GitHub keeps it in account and organization settings, which crgate does not have. The path
 * cannot be a package's: package pages live under `/packages/container/`.
 */
const NOTICES: Readonly<Record<string, string>> = {
  'package-deleted': 'Package deleted. It can be restored here until its restore window passes.',
  'package-restored': 'Package restored.',
};

interface Shown {
  readonly status?: number;
  readonly notice?: string;
  readonly error?: string;
}

interface DeletedRow {
  readonly name: string;
  /** The latest deletion of the name: the only one a restore may bring back. */
  readonly latest: DeletedPackage;
  /** When the restore window of the deletion passes. */
  readonly until: string;
  /** Why a restore would be refused, known without trying: the name is taken, or too late. */
  readonly refusal?: string;
}

type UserPrincipal = Principal & { kind: 'user' };

/**
 * The viewer, when they may restore the namespace's deleted packages: as restore-role.ts has
 * it for a user, the role a new package of the namespace would give them must be admin.
 */
async function restorerIn(parts: WebParts, req: Request, namespace: string) {
  const principal = await principalIn(parts.directory, req, namespace);
  if (principal.kind !== 'user') return undefined;
  const role = await packageRole(parts.directory, principal, namespace, undefined);
  return role === 'admin' ? principal : undefined;
}

/** Whether the viewer may restore the namespace's deleted packages. */
export async function mayRestoreIn(parts: WebParts, req: Request, namespace: string) {
  return (await restorerIn(parts, req, namespace)) !== undefined;
}

/** What the restore script would refuse, for the page to say rather than offer a button. */
function knownRefusal(parts: WebParts, live: boolean, untilMs: number): string | undefined {
  const code = live ? 'NAME_REUSED' : untilMs < Date.now() ? 'EXPIRED' : undefined;
  if (!code) return undefined;
  const max = parts.deletions.publicDeleteMaxDownloads;
  return refusalAnswer({ code }, max, PACKAGE_NOT_FOUND).message;
}

async function deletedRow(parts: WebParts, repository: string, name: string) {
  const [[latest], live] = await Promise.all([
    parts.deletions.deletedPackages(repository),
    parts.packages.get(repository),
  ]);
  if (!latest) return [];
  const untilMs = Date.parse(latest.deletedAt) + parts.deletions.restoreWindowMs;
  const refusal = knownRefusal(parts, live !== undefined, untilMs);
  return [{ name, latest, until: new Date(untilMs).toISOString(), refusal }];
}

async function deletedRows(parts: WebParts, namespace: string): Promise<DeletedRow[]> {
  const names = await parts.deletions.deletedNames(namespace);
  const rows = await Promise.all(
    names.map((name) => deletedRow(parts, `${namespace}/${name}`, name)),
  );
  return rows.flat();
}

function restoreForm(action: string, csrf: string, row: DeletedRow): Html {
  return html`<form class="setting" method="post" action="${action}">
    ${csrfInput(csrf)}
    <input type="hidden" name="name" value="${row.name}" />
    <input type="hidden" name="token" value="${row.latest.token}" />
    <button type="submit">Restore${forScreenReaders(` ${row.name}`)}</button>
  </form>`;
}

function deletedTable(rows: readonly DeletedRow[], restore: ((row: DeletedRow) => Html) | false) {
  if (rows.length === 0) return html`<p class="muted">No deleted packages to restore.</p>`;
  return scrollingTable(
    'deleted-heading',
    html`<th scope="col">Package</th>
      <th scope="col">Deleted</th>
      <th scope="col" class="number">Versions</th>
      <th scope="col">Restorable until</th>
      ${restore && html`<th scope="col">Restore</th>`}`,
    rows.map(
      (row) =>
        html`<tr>
          <th scope="row"><code>${row.name}</code></th>
          <td>${formatDate(row.latest.deletedAt)}</td>
          <td class="number">${formatCount(row.latest.versionCount)}</td>
          <td>${formatDate(row.until)}</td>
          ${restore && html`<td>${row.refusal ?? restore(row)}</td>`}
        </tr>`,
    ),
  );
}

/** The namespace a deleted packages page is of, and the viewer who may restore there. */
interface DeletedPage {
  readonly route: NamespaceRoute;
  readonly namespace: string;
  readonly restorer: UserPrincipal;
}

/** The page the path names, when the viewer may restore in its namespace. */
async function deletedPage(parts: WebParts, route: NamespaceRoute, req: Request) {
  const namespace = await namespaceOf(parts, route, String(req.params.owner));
  const restorer = namespace ? await restorerIn(parts, req, namespace) : undefined;
  return namespace && restorer ? { route, namespace, restorer } : undefined;
}

async function sendDeleted(
  parts: WebParts,
  { route, namespace, restorer }: DeletedPage,
  req: Request,
  res: Response,
  shown: Shown,
) {
  const rows = await deletedRows(parts, namespace);
  const lacking = missingScopes(restorer.scopes, SCOPES_TO.restore);
  const csrf = csrfToken(req, res);
  const action = deletedHref(route, namespace);
  const restore = lacking.length === 0 && ((row: DeletedRow) => restoreForm(action, csrf, row));

  sendPage(req, res, {
    status: shown.status,
    title: `Deleted packages of ${namespace}`,
    main: html`<p class="muted">
        <a href="${namespaceHref(route, namespace)}">${namespace}</a> / packages
      </p>
      <div class="settings">
        <h1 id="deleted-heading">Deleted packages</h1>
        ${statusNotice(shown.notice)} ${errorAlert(shown.error)}
        <p class="muted">
          A deleted package comes back with its versions and tags until its restore window passes,
          unless its name, a tag or a digest has been published again since.
        </p>
        ${lacking.length > 0 && html`<p>${lacksSentence(lacking, 'restore')}</p>`}
        ${deletedTable(rows, restore)}
      </div>`,
  });
}

async function showDeleted(parts: WebParts, route: NamespaceRoute, req: Request, res: Response) {
  const page = await deletedPage(parts, route, req);
  if (!page) return sendNotFound(req, res);
  await sendDeleted(parts, page, req, res, { notice: noticeNamed(NOTICES, req.query.done) });
}

/** Restores a package as the REST API's restore does: write:packages, then the restore role. */
async function restore(parts: WebParts, route: NamespaceRoute, req: Request, res: Response) {
  const page = await deletedPage(parts, route, req);
  if (!page) return sendNotFound(req, res);
  const lacking = missingScopes(page.restorer.scopes, SCOPES_TO.restore);
  if (lacking.length > 0) {
    const error = lacksSentence(lacking, 'restore');
    return sendDeleted(parts, page, req, res, { status: 403, error });
  }

  const repository = `${page.namespace}/${field(req.body, 'name').toLowerCase()}`;
  const token = field(req.body, 'token');
  if ((await restoreRole(parts, page.restorer, repository, token ? [token] : [])) !== 'admin') {
    return sendNotFound(req, res);
  }
  const outcome = await parts.deletions.restorePackage(repository, token);
  if (!outcome.done) {
    const max = parts.deletions.publicDeleteMaxDownloads;
    const { status, message } = refusalAnswer(outcome.refusal, max, PACKAGE_NOT_FOUND);
    return sendDeleted(parts, page, req, res, { status, error: message });
  }
  res.redirect(303, `${deletedHref(route, page.namespace)}?done=package-restored`);
}

export function createDeletedPackagesRouter(parts: WebParts): express.Router {
  const router = express.Router();
  const form = formBody();
  for (const route of NAMESPACE_ROUTES) {
    const path = `/${route}/:owner/packages/deleted`;
    router.get(path, (req: Request, res: Response) => showDeleted(parts, route, req, res));
    router.post(path, form, csrfChecked, (req: Request, res: Response) =>
      restore(parts, route, req, res),
    );
  }
  return router;
}
