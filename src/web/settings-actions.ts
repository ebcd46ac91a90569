import type { PackageDoing } from '../access/package-scopes';
import type { Grantee, Package } from '../packages/package';
import {
  LAST_VERSION,
  PACKAGE_NOT_FOUND,
  refusalAnswer,
  VERSION_NOT_FOUND,
} from '../packages/refusal-messages';
import type { Outcome } from '../packages/deletion';
import {
  checkGrantee,
  checkLinkTarget,
  checkVisibility,
  isPackageRole,
  SettingsError,
} from '../packages/settings';
import { field } from './forms';
import type { WebParts } from './parts';

/**
 * What the forms of a package's settings page do, each through the store calls the REST API
 * makes (PackageStore.update and setRole, PackageDeletions) after the same checks
 * (packages/settings.ts). An action answers what was done, for the notice after the
 * redirect, or why nothing was: a refusal re-renders the page with its status.
 */
export interface SettingsTarget {
  readonly repository: string;
  readonly pkg: Package;
}

/** The notices a redirect may ask for; each is a fixed sentence, never the request's words. */
export type Done =
  | 'visibility'
  | 'link'
  | 'unlink'
  | 'inherit'
  | 'access'
  | 'actions'
  | 'version-deleted'
  | 'version-restored'
  | 'package-deleted';

export type ActionResult =
  | { readonly done: Done }
  | { readonly refused: string; readonly status: number }
  /** The package went away meanwhile: the page answers as for a missing package. */
  | { readonly gone: true };

/** What a form may do to a package, each with the scopes of SCOPES_TO. */
export type Change = Exclude<PackageDoing, 'read'>;

export interface SettingsAction {
  /** Which scopes the sign-in token needs for it, as the REST API asks (package-scopes.ts). */
  readonly needs: Change;
  readonly run: (parts: WebParts, target: SettingsTarget, body: unknown) => Promise<ActionResult>;
}

const GONE: ActionResult = { gone: true };

function refused(status: number, refusal: string): ActionResult {
  return { refused: refusal, status };
}

/** Making a package public shows it to everyone: the viewer types its name to confirm. */
function confirmed(target: SettingsTarget, body: unknown): boolean {
  return field(body, 'confirm') === target.pkg.record.name;
}

async function changeVisibility(parts: WebParts, target: SettingsTarget, body: unknown) {
  const visibility = await checkVisibility(
    parts.directory,
    target.repository,
    field(body, 'visibility'),
  );
  const becomesPublic = visibility === 'public' && target.pkg.record.visibility !== 'public';
  if (becomesPublic && !confirmed(target, body)) {
    return refused(422, 'To make this package public, type its name exactly as shown.');
  }

  const updated = await parts.packages.update(target.repository, { visibility });
  return updated ? { done: 'visibility' as const } : GONE;
}

async function link(parts: WebParts, target: SettingsTarget, body: unknown) {
  const linked = await checkLinkTarget(parts.directory, target.repository, field(body, 'repo'));
  const settings = { linkedRepository: linked, linkNote: null };
  return (await parts.packages.update(target.repository, settings))
    ? { done: 'link' as const }
    : GONE;
}

async function unlink(parts: WebParts, target: SettingsTarget) {
  const updated = await parts.packages.update(target.repository, { linkedRepository: null });
  return updated ? { done: 'unlink' as const } : GONE;
}

async function inherit(parts: WebParts, target: SettingsTarget, body: unknown) {
  // An unticked checkbox sends nothing: absent is off.
  const inheritAccess = field(body, 'inherit') === 'on';
  const updated = await parts.packages.update(target.repository, { inheritAccess });
  return updated ? { done: 'inherit' as const } : GONE;
}

/** Whom an access form names: a user or a team, or a repository for Actions access. */
function granteeOf(body: unknown, actions: boolean): Grantee {
  const name = field(body, 'grantee').trim().toLowerCase();
  if (!name) throw new SettingsError(actions ? 'name a repository' : 'name a user or a team');
  if (actions) return { kind: 'repository', name };
  const kind = field(body, 'kind');
  if (kind !== 'user' && kind !== 'team') throw new SettingsError('kind is user or team');
  return { kind, name };
}

function grant(actions: boolean): SettingsAction['run'] {
  return async (parts, target, body) => {
    const grantee = granteeOf(body, actions);
    const role = field(body, 'role');
    if (!isPackageRole(role)) throw new SettingsError('role must be read, write or admin');
    await checkGrantee(parts.directory, target.repository, grantee);

    const set = await parts.packages.setRole(target.repository, grantee, role);
    return set ? { done: actions ? 'actions' : 'access' } : GONE;
  };
}

function revoke(actions: boolean): SettingsAction['run'] {
  return async (parts, target, body) => {
    const grantee = granteeOf(body, actions);
    const set = await parts.packages.setRole(target.repository, grantee, undefined);
    return set ? { done: actions ? 'actions' : 'access' } : GONE;
  };
}

/** A refused deletion or restore in the REST API's words, or what was done. */
function settled(parts: WebParts, outcome: Outcome, done: Done, notFound: string): ActionResult {
  if (outcome.done) return { done };
  const answer = refusalAnswer(outcome.refusal, parts.deletions.publicDeleteMaxDownloads, notFound);
  return refused(answer.status, answer.message);
}

async function deletePackage(parts: WebParts, target: SettingsTarget, body: unknown) {
  if (!confirmed(target, body)) {
    return refused(422, 'To delete this package, type its name exactly as shown.');
  }
  const outcome = await parts.deletions.deletePackage(target.repository);
  return settled(parts, outcome, 'package-deleted', PACKAGE_NOT_FOUND);
}

/** The version id a form names; one that is not a whole number names no version. */
function versionIdOf(body: unknown): number | undefined {
  const raw = field(body, 'version');
  return /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : undefined;
}

async function deleteVersion(parts: WebParts, target: SettingsTarget, body: unknown) {
  const id = versionIdOf(body);
  if (id === undefined) return refused(404, VERSION_NOT_FOUND);

  const versions = await parts.packages.versions(target.repository);
  if (versions.length === 1 && versions[0]?.id === id) {
    return refused(LAST_VERSION.status, LAST_VERSION.message);
  }
  const outcome = await parts.deletions.deleteVersion(target.repository, id);
  return settled(parts, outcome, 'version-deleted', VERSION_NOT_FOUND);
}

async function restoreVersion(parts: WebParts, target: SettingsTarget, body: unknown) {
  const id = versionIdOf(body);
  if (id === undefined) return refused(404, VERSION_NOT_FOUND);

  const outcome = await parts.deletions.restoreVersion(target.repository, id);
  return settled(parts, outcome, 'version-restored', VERSION_NOT_FOUND);
}

/** The forms' `action` field to what it does; a name not here changes nothing. */
export const SETTINGS_ACTIONS: ReadonlyMap<string, SettingsAction> = new Map<
  string,
  SettingsAction
>([
  ['visibility', { needs: 'change', run: changeVisibility }],
  ['link', { needs: 'change', run: link }],
  ['unlink', { needs: 'change', run: unlink }],
  ['inherit', { needs: 'change', run: inherit }],
  ['grant-access', { needs: 'change', run: grant(false) }],
  ['revoke-access', { needs: 'change', run: revoke(false) }],
  ['grant-actions', { needs: 'change', run: grant(true) }],
  ['revoke-actions', { needs: 'change', run: revoke(true) }],
  ['delete-package', { needs: 'delete', run: deletePackage }],
  ['delete-version', { needs: 'delete', run: deleteVersion }],
  ['restore-version', { needs: 'restore', run: restoreVersion }],
]);

/** Runs an action; a setting the checks refuse is the form's fault (422), as in the API. */
export async function runAction(
  parts: WebParts,
  action: SettingsAction,
  target: SettingsTarget,
  body: unknown,
): Promise<ActionResult> {
  try {
    return await action.run(parts, target, body);
  } catch (error) {
    if (error instanceof SettingsError) return refused(422, error.message);
    throw error;
  }
}
