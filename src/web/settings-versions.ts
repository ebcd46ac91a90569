import type { DeletedVersion } from '../packages/deletion';
import { formatCount, formatDate, shortDigest } from './format';
import { html } from './html';
import type { Html } from './html';
import { digestCode, tagList } from './package-page';
import type { VersionRow } from './package-page';
import { scrollingTable } from './scrolling-table';
import { forScreenReaders, lacksSentence, may, settingsForm } from './settings-form';
import type { SettingsView } from './settings-form';

/**
 * The settings page's versions: the active ones, each with a Delete button, and the deleted
 * ones still held, each with a Restore button. A deletion or restore that changes nothing
 * says why in the REST API's words (refusal-messages.ts).
 */
function versionButton(view: SettingsView, action: string, id: number, words: Html): Html {
  const button =
    action === 'delete-version'
      ? html`<button type="submit" class="danger">${words}</button>`
      : html`<button type="submit">${words}</button>`;
  return settingsForm(
    view,
    action,
    html`<input type="hidden" name="version" value="${id}" /> ${button}`,
  );
}

function activeRow(view: SettingsView, row: VersionRow): Html {
  const { version } = row;
  const words = html`Delete${forScreenReaders(` version ${shortDigest(version.digest)}`)}`;
  return html`<tr>
    <td>${tagList(row.tags)}</td>
    <td>${digestCode(version.digest)}</td>
    <td>${formatDate(version.createdAt)}</td>
    <td class="number">${formatCount(row.downloads)}</td>
    ${may(view, 'delete') && html`<td>${versionButton(view, 'delete-version', version.id, words)}</td>`}
  </tr>`;
}

function deletedRow(view: SettingsView, deleted: DeletedVersion): Html {
  const { version } = deleted;
  const words = html`Restore${forScreenReaders(` version ${shortDigest(version.digest)}`)}`;
  return html`<tr>
    <td>${tagList(deleted.tags)}</td>
    <td>${digestCode(version.digest)}</td>
    <td>${formatDate(deleted.deletedAt)}</td>
    ${may(view, 'restore') && html`<td>${versionButton(view, 'restore-version', version.id, words)}</td>`}
  </tr>`;
}

const NUMERIC = new Set(['Downloads']);

function table(heading: string, columns: readonly string[], rows: readonly Html[]): Html {
  const headCells = columns.map((column) =>
    NUMERIC.has(column)
      ? html`<th scope="col" class="number">${column}</th>`
      : html`<th scope="col">${column}</th>`,
  );
  return scrollingTable(heading, headCells, rows);
}

function activeTable(view: SettingsView): Html {
  if (view.rows.length === 0) return html`<p class="muted">No versions.</p>`;
  const columns = ['Tags', 'Digest', 'Published', 'Downloads'];
  if (may(view, 'delete')) columns.push('Delete');
  return table(
    'settings-versions-heading',
    columns,
    view.rows.map((row) => activeRow(view, row)),
  );
}

function deletedTable(view: SettingsView): Html {
  if (view.deleted.length === 0) return html`<p class="muted">No deleted versions.</p>`;
  const columns = ['Tags', 'Digest', 'Deleted'];
  if (may(view, 'restore')) columns.push('Restore');
  return table(
    'deleted-versions-heading',
    columns,
    view.deleted.map((deleted) => deletedRow(view, deleted)),
  );
}

export function versionsSection(view: SettingsView): Html {
  const restoreNote = !may(view, 'restore') && view.deleted.length > 0;
  return html`<section aria-labelledby="settings-versions-heading">
      <h2 id="settings-versions-heading">Versions</h2>
      ${activeTable(view)}
    </section>
    <section aria-labelledby="deleted-versions-heading">
      <h2 id="deleted-versions-heading">Deleted versions</h2>
      <p class="muted">
        A deleted version can be restored with its tags until its restore window passes, unless its
        tag or digest has been pushed again since.
      </p>
      ${restoreNote && html`<p>${lacksSentence(view.lacking.restore, 'restore')}</p>`}
      ${deletedTable(view)}
    </section>`;
}
