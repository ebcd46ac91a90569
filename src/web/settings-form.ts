import type { PackageScope } from '../auth/token-store';
import type { NamespaceKind } from '../identity/directory';
import type { DeletedVersion } from '../packages/deletion';
import { PACKAGE_ROLES } from '../packages/package';
import type { PackageRole } from '../packages/package';
import { csrfInput } from './csrf';
import { html, trusted } from './html';
import type { Html } from './html';
import type { VersionRow } from './package-page';
import type { Change, SettingsTarget } from './settings-actions';

/**
 * What the sections of a package's settings page share: the page's data, one small POST form
 * per change with the CSRF token and the action it asks for, role pickers, and the sentence
 * that says which scope the sign-in token lacks.
 */
export interface SettingsView {
  readonly target: SettingsTarget;
  readonly kind: NamespaceKind;
  /** Where the forms post: the settings page itself. */
  readonly action: string;
  readonly csrf: string;
  readonly rows: readonly VersionRow[];
  readonly deleted: readonly DeletedVersion[];
  /** The most downloads a version of a public package may have for it to be deleted. */
  readonly maxPublicDownloads: number;
  /** For each kind of change, the scopes the sign-in token lacks for it; empty: allowed. */
  readonly lacking: Readonly<Record<Change, readonly PackageScope[]>>;
}

export function may(view: SettingsView, change: Change): boolean {
  return view.lacking[change].length === 0;
}

/** One form: a POST to the settings page with the CSRF token and the action's name. */
export function settingsForm(view: SettingsView, action: string, body: Html): Html {
  return html`<form class="setting" method="post" action="${view.action}">
    ${csrfInput(view.csrf)}
    <input type="hidden" name="action" value="${action}" />
    ${body}
  </form>`;
}

export function roleSelect(id: string, selected?: PackageRole): Html {
  const options = PACKAGE_ROLES.map(
    (role) =>
      html`<option value="${role}" ${role === selected && trusted(' selected')}>${role}</option>`,
  );
  return html`<select id="${id}" name="role">
    ${options}
  </select>`;
}

/** Words that only a screen reader reads: what a short button or field is about. */
export function forScreenReaders(text: string): Html {
  return html`<span class="visually-hidden">${text}</span>`;
}

const CHANGE_WORDS: Readonly<Record<Change, string>> = {
  change: 'change these settings',
  delete: 'delete this package or its versions',
  restore: 'restore deleted versions or packages',
};

/** Why a change is not offered, or was refused: the sign-in token lacks a scope. */
export function lacksSentence(lacking: readonly PackageScope[], change: Change): string {
  const scopes = `${lacking.join(' and ')} ${lacking.length === 1 ? 'scope' : 'scopes'}`;
  return `Your sign-in token lacks the ${scopes}, so you cannot ${CHANGE_WORDS[change]} here. Sign in with a token that has it.`;
}
