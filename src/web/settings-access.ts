import type { PackageRole } from '../packages/package';
import { nameInput } from './forms';
import { html, trusted } from './html';
import type { Html } from './html';
import { scrollingTable } from './scrolling-table';
import { forScreenReaders, may, roleSelect, settingsForm } from './settings-form';
import type { SettingsView } from './settings-form';

/**
 * The settings page's sections on who may use the package: the linked repository and
 * whether its collaborators inherit access, the Actions access list, and the access list of
 * users and teams. Without `write:packages` each shows what is set, with no forms.
 */
interface Entry {
  readonly kind: 'user' | 'team' | 'repository';
  readonly name: string;
  readonly role: PackageRole;
}

function linkForms(view: SettingsView): Html {
  const { record } = view.target.pkg;
  return html`${settingsForm(
    view,
    'link',
    html`<label for="link-repo">Repository (owner/name)</label>
      ${nameInput('link-repo', 'repo', { required: true, value: record.linkedRepository ?? '' })}
      <button type="submit">Link repository</button>`,
  )}
  ${
    record.linkedRepository &&
    settingsForm(view, 'unlink', html`<button type="submit">Unlink repository</button>`)
  }
  ${settingsForm(
    view,
    'inherit',
    html`<span class="check">
        <input
          type="checkbox"
          id="inherit-access"
          name="inherit"
          aria-describedby="inherit-hint"
          ${record.inheritAccess && trusted('checked')}
        />
        <label for="inherit-access">Inherit access from source repository</label>
      </span>
      <button type="submit">Save access inheritance</button>`,
  )}`;
}

export function sourceSection(view: SettingsView): Html {
  const { record } = view.target.pkg;
  const linked = record.linkedRepository
    ? html`<p>Linked to <code>${record.linkedRepository}</code>.</p>`
    : html`<p class="muted">Not linked to a repository.</p>`;
  const inheritance = html`<p id="inherit-hint" class="muted">
    When access is inherited, the linked repository's collaborators hold roles on this package: read
    or triage gives read, write or maintain gives write, admin gives admin.
  </p>`;

  return html`<section aria-labelledby="source-heading">
    <h2 id="source-heading">Repository source</h2>
    ${linked}
    ${record.linkNote && html`<p class="muted">The last source label was not used: ${record.linkNote.message}</p>`}
    ${
      may(view, 'change')
        ? linkForms(view)
        : html`<p>Inherit access from source repository: ${record.inheritAccess ? 'on' : 'off'}</p>`
    }
    ${inheritance}
  </section>`;
}

function changeRoleForm(view: SettingsView, entry: Entry, id: string, actions: boolean): Html {
  return settingsForm(
    view,
    actions ? 'grant-actions' : 'grant-access',
    html`<input type="hidden" name="kind" value="${entry.kind}" />
      <input type="hidden" name="grantee" value="${entry.name}" />
      <label class="visually-hidden" for="${id}">Role of ${entry.name}</label>
      ${roleSelect(id, entry.role)}
      <button type="submit">Change role${forScreenReaders(` of ${entry.name}`)}</button>`,
  );
}

function removeForm(view: SettingsView, entry: Entry, actions: boolean): Html {
  return settingsForm(
    view,
    actions ? 'revoke-actions' : 'revoke-access',
    html`<input type="hidden" name="kind" value="${entry.kind}" />
      <input type="hidden" name="grantee" value="${entry.name}" />
      <button type="submit" class="danger">Remove${forScreenReaders(` ${entry.name}`)}</button>`,
  );
}

function entryRow(view: SettingsView, entry: Entry, id: string, actions: boolean): Html {
  const change = may(view, 'change');
  return html`<tr>
    <th scope="row"><code>${entry.name}</code></th>
    ${!actions && html`<td>${entry.kind}</td>`}
    <td>${change ? changeRoleForm(view, entry, id, actions) : entry.role}</td>
    ${change && html`<td>${removeForm(view, entry, actions)}</td>`}
  </tr>`;
}

function entryTable(view: SettingsView, entries: readonly Entry[], actions: boolean): Html {
  const heading = actions ? 'actions-heading' : 'access-heading';
  if (entries.length === 0) {
    return html`<p class="muted">
      ${actions ? 'No repository' : 'No user or team'} has access here.
    </p>`;
  }
  return scrollingTable(
    heading,
    html`<th scope="col">${actions ? 'Repository' : 'Name'}</th>
      ${!actions && html`<th scope="col">Kind</th>`}
      <th scope="col">Role</th>
      ${may(view, 'change') && html`<th scope="col">Remove</th>`}`,
    entries.map((entry, i) => entryRow(view, entry, `${heading}-role-${i}`, actions)),
  );
}

function entriesOf(kind: Entry['kind'], list: Readonly<Record<string, PackageRole>>): Entry[] {
  return Object.entries(list)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, role]) => ({ kind, name, role }));
}

function addActionsForm(view: SettingsView): Html {
  return settingsForm(
    view,
    'grant-actions',
    html`<label for="actions-repo">Repository (owner/name)</label>
      ${nameInput('actions-repo', 'grantee', { required: true })}
      <label for="actions-role">Role</label>
      ${roleSelect('actions-role', 'read')}
      <button type="submit">Add repository</button>`,
  );
}

export function actionsSection(view: SettingsView): Html {
  const entries = entriesOf('repository', view.target.pkg.access.actions);
  return html`<section aria-labelledby="actions-heading">
    <h2 id="actions-heading">Manage Actions access</h2>
    <p class="muted">
      Workflows of these repositories may use this package with the role given. A linked
      repository's workflows are admins already.
    </p>
    ${entryTable(view, entries, true)} ${may(view, 'change') && addActionsForm(view)}
  </section>`;
}

function addAccessForm(view: SettingsView): Html {
  const kind =
    view.kind === 'org'
      ? html`<label for="access-kind">Kind</label>
          <select id="access-kind" name="kind">
            <option value="user">user</option>
            <option value="team">team</option>
          </select>`
      : html`<input type="hidden" name="kind" value="user" />`;
  return settingsForm(
    view,
    'grant-access',
    html`${kind}
      <label for="access-name">${view.kind === 'org' ? 'User or team name' : 'Username'}</label>
      ${nameInput('access-name', 'grantee', { required: true })}
      <label for="access-role">Role</label>
      ${roleSelect('access-role', 'read')}
      <button type="submit">Add</button>`,
  );
}

export function accessSection(view: SettingsView): Html {
  const { access } = view.target.pkg;
  const entries = [...entriesOf('user', access.users), ...entriesOf('team', access.teams)];
  return html`<section aria-labelledby="access-heading">
    <h2 id="access-heading">Manage access</h2>
    ${entryTable(view, entries, false)} ${may(view, 'change') && addAccessForm(view)}
  </section>`;
}
