import express from 'express';
import type { Request, Response } from 'express';

import { missingScopes, SCOPES_TO } from '../access/package-scopes';
import { csrfToken } from './csrf';
import { mayRestoreIn } from './deleted-packages';
import { csrfChecked, field, formBody, noticeNamed } from './forms';
import { errorAlert, html, statusNotice } from './html';
import { sendNotFound, sendPage } from './layout';
import {
  deletedHref,
  joinedSegments,
  NAMESPACE_ROUTES,
  namespaceHref,
  namespaceOf,
  packageHref,
  settingsHref,
  visiblePackage,
} from './package-access';
import type { NamespaceRoute } from './package-access';
import { versionRows } from './package-page';
import type { WebParts } from './parts';
import { accessSection, actionsSection, sourceSection } from './settings-access';
import { runAction, SETTINGS_ACTIONS } from './settings-actions';
import type { Change, Done, SettingsTarget } from './settings-actions';
import { dangerSection } from './settings-danger';
import { lacksSentence } from './settings-form';
import type { SettingsView } from './settings-form';
import { versionsSection } from './settings-versions';
import { viewerOf } from './viewer';

/**
 * A package's settings page, at GitHub's path `/{users|orgs}/OWNER/packages/container/NAME/settings`,
 * for the package's admins only: to everyone else it is the same 404 as a missing package.
 * Each change is its own small form, posted back to this path with the CSRF token, checked
 * against the sign-in token's scopes as the REST API checks them, and answered with a redirect
 * to the page and a fixed notice (Post/Redirect/Get); a refused change shows the page again
 * with its status and changes nothing.
 */
const NOTICES: Readonly<Record<Done, string>> = {
  visibility: 'Visibility changed.',
  link: 'Repository linked.',
  unlink: 'Repository unlinked.',
  inherit: 'Access inheritance saved.',
  access: 'Access list saved.',
  actions: 'Actions access saved.',
  'version-deleted': 'Version deleted. It can be restored below.',
  'version-restored': 'Version restored.',
  // The package's settings are gone with it: the deleted packages page says this one.
  'package-deleted': 'Package deleted.',
};

interface Shown {
  readonly status?: number;
  readonly notice?: string;
  readonly error?: string;
}

const CHANGES: readonly Change[] = ['change', 'delete', 'restore'];

/** The package the path names, when the viewer is its admin. */
async function adminPackage(
  parts: WebParts,
  route: NamespaceRoute,
  req: Request,
): Promise<SettingsTarget | undefined> {
  const namespace = await namespaceOf(parts, route, String(req.params.owner));
  const name = joinedSegments(req.params.name);
  const visible = namespace && name ? await visiblePackage(parts, req, namespace, name) : undefined;
  return visible?.role === 'admin'
    ? { repository: visible.repository, pkg: visible.pkg }
    : undefined;
}

function lackingScopes(req: Request): SettingsView['lacking'] {
  const scopes = viewerOf(req)?.scopes ?? [];
  const lacking = CHANGES.map((change) => [change, missingScopes(scopes, SCOPES_TO[change])]);
  return Object.fromEntries(lacking) as SettingsView['lacking'];
}

async function viewOf(
  parts: WebParts,
  route: NamespaceRoute,
  target: SettingsTarget,
  req: Request,
  res: Response,
): Promise<SettingsView> {
  const { record } = target.pkg;
  const [rows, deleted] = await Promise.all([
    versionRows(parts, target.repository),
    parts.deletions.deletedVersions(target.repository),
  ]);
  return {
    target,
    kind: route === 'orgs' ? 'org' : 'user',
    action: settingsHref(route, record.namespace, record.name),
    csrf: csrfToken(req, res),
    rows,
    deleted,
    maxPublicDownloads: parts.deletions.publicDeleteMaxDownloads,
    lacking: lackingScopes(req),
  };
}

function settingsMain(route: NamespaceRoute, view: SettingsView, shown: Shown) {
  const { record } = view.target.pkg;
  return html`<p class="muted">
      <a href="${namespaceHref(route, record.namespace)}">${record.namespace}</a> /
      <a href="${packageHref(route, record.namespace, record.name)}">${record.name}</a>
    </p>
    <div class="settings">
      <h1>Package settings</h1>
      ${statusNotice(shown.notice)} ${errorAlert(shown.error)}
      ${view.lacking.change.length > 0 && html`<p>${lacksSentence(view.lacking.change, 'change')}</p>`}
      ${sourceSection(view)} ${actionsSection(view)} ${accessSection(view)} ${versionsSection(view)}
      ${dangerSection(view)}
    </div>`;
}

async function sendSettings(
  parts: WebParts,
  route: NamespaceRoute,
  target: SettingsTarget,
  req: Request,
  res: Response,
  shown: Shown,
) {
  const view = await viewOf(parts, route, target, req, res);
  const { record } = target.pkg;
  sendPage(req, res, {
    status: shown.status,
    title: `Settings · ${record.name} · ${record.namespace}`,
    main: settingsMain(route, view, shown),
  });
}

async function showSettings(parts: WebParts, route: NamespaceRoute, req: Request, res: Response) {
  const target = await adminPackage(parts, route, req);
  if (!target) return sendNotFound(req, res);
  await sendSettings(parts, route, target, req, res, {
    notice: noticeNamed(NOTICES, req.query.done),
  });
}

/**
 * Where a change leads: back to the settings page with its notice, or for a deleted package
 * (whose settings are gone) to the deleted packages, where the viewer may restore it; an admin
 * who may not restore it (one by the access list) goes to the namespace's packages.
 */
async function locationAfter(
  parts: WebParts,
  route: NamespaceRoute,
  req: Request,
  target: SettingsTarget,
  done: Done,
): Promise<string> {
  const { namespace, name } = target.pkg.record;
  if (done !== 'package-deleted') return `${settingsHref(route, namespace, name)}?done=${done}`;
  return (await mayRestoreIn(parts, req, namespace))
    ? `${deletedHref(route, namespace)}?done=${done}`
    : namespaceHref(route, namespace);
}

async function changeSettings(parts: WebParts, route: NamespaceRoute, req: Request, res: Response) {
  const target = await adminPackage(parts, route, req);
  if (!target) return sendNotFound(req, res);
  const action = SETTINGS_ACTIONS.get(field(req.body, 'action'));
  if (!action) {
    return sendSettings(parts, route, target, req, res, {
      status: 400,
      error: 'This form asks for a change crgate does not know.',
    });
  }
  const lacking = missingScopes(viewerOf(req)?.scopes ?? [], SCOPES_TO[action.needs]);
  if (lacking.length > 0) {
    const error = lacksSentence(lacking, action.needs);
    return sendSettings(parts, route, target, req, res, { status: 403, error });
  }

  const result = await runAction(parts, action, target, req.body);
  if ('gone' in result) return sendNotFound(req, res);
  if ('refused' in result) {
    return sendSettings(parts, route, target, req, res, {
      status: result.status,
      error: result.refused,
    });
  }
  res.redirect(303, await locationAfter(parts, route, req, target, result.done));
}

/** GET and POST of every package's settings page, for both kinds of namespace. */
export function createPackageSettingsRouter(parts: WebParts): express.Router {
  const router = express.Router();
  const form = formBody();
  for (const route of NAMESPACE_ROUTES) {
    // Before the version URLs (`/container/NAME/ID`): a name may hold slashes, written as %2F.
    const path = `/${route}/:owner/packages/container/*name/settings`;
    router.get(path, (req: Request, res: Response) => showSettings(parts, route, req, res));
    router.post(path, form, csrfChecked, (req: Request, res: Response) =>
      changeSettings(parts, route, req, res),
    );
  }
  return router;
}
