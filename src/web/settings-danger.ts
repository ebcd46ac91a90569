import type { Visibility } from '../identity/directory';
import { nameInput } from './forms';
import { html, trusted } from './html';
import type { Html } from './html';
import { lacksSentence, may, settingsForm } from './settings-form';
import type { SettingsView } from './settings-form';

/**
 * The settings page's Danger Zone, as GitHub calls it: changing the visibility and deleting
 * the package. Making a package public and deleting it each ask the viewer to type the
 * package's name, so neither happens by a slip of the finger (no script asks "are you sure").
 */
const VISIBILITY_WORDS: Readonly<Record<Visibility, string>> = {
  private: 'Only those given access, and the linked repository if it is inherited.',
  internal: 'Every signed-in user may pull it.',
  public: 'Everyone may pull it, without signing in.',
};

function visibilityChoice(view: SettingsView, visibility: Visibility): Html {
  const id = `visibility-${visibility}`;
  const current = view.target.pkg.record.visibility === visibility;
  return html`<div class="check">
    <input
      type="radio"
      id="${id}"
      name="visibility"
      value="${visibility}"
      aria-describedby="${id}-hint"
      ${current && trusted('checked')}
    />
    <label for="${id}">${visibility}</label>
    <span id="${id}-hint" class="muted">${VISIBILITY_WORDS[visibility]}</span>
  </div>`;
}

function visibilityForm(view: SettingsView): Html {
  const { name } = view.target.pkg.record;
  // internal is for organizations only (packages/settings.ts checkVisibility).
  const choices: Visibility[] =
    view.kind === 'org' ? ['private', 'internal', 'public'] : ['private', 'public'];
  return settingsForm(
    view,
    'visibility',
    html`<fieldset>
        <legend>Visibility</legend>
        ${choices.map((visibility) => visibilityChoice(view, visibility))}
      </fieldset>
      <label for="visibility-confirm"
        >To make it public, type <strong>${name}</strong> to confirm</label
      >
      ${nameInput('visibility-confirm', 'confirm')}
      <button type="submit" class="danger">Change visibility</button>`,
  );
}

function deleteForm(view: SettingsView): Html {
  const { name } = view.target.pkg.record;
  return settingsForm(
    view,
    'delete-package',
    html`<label for="delete-confirm">Type <strong>${name}</strong> to confirm</label>
      ${nameInput('delete-confirm', 'confirm', { required: true })}
      <button type="submit" class="danger">Delete this package</button>`,
  );
}

export function dangerSection(view: SettingsView): Html {
  const { visibility } = view.target.pkg.record;
  return html`<section class="danger-zone" aria-labelledby="danger-heading">
    <h2 id="danger-heading">Danger Zone</h2>
    <h3>Change visibility</h3>
    <p>This package is <strong>${visibility}</strong>.</p>
    ${may(view, 'change') ? visibilityForm(view) : html`<p>${lacksSentence(view.lacking.change, 'change')}</p>`}
    <h3>Delete this package</h3>
    <p>
      Deleting hides the package and its versions from pulls at once. It can be restored from the
      namespace's deleted packages until its restore window passes. A public package with a version
      downloaded more than ${view.maxPublicDownloads.toLocaleString('en-US')} times cannot be
      deleted.
    </p>
    ${may(view, 'delete') ? deleteForm(view) : html`<p>${lacksSentence(view.lacking.delete, 'delete')}</p>`}
  </section>`;
}
