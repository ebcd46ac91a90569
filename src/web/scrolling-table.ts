import { html } from './html';
import type { Fragment, Html } from './html';

/**
 * A table in a region that takes focus, so a keyboard can scroll a table wider than a phone.
 * The region is named by the heading of the section the table is in.
 */
export function scrollingTable(headingId: string, headCells: Fragment, rows: Fragment): Html {
  return html`<div class="table-wrap" role="region" aria-labelledby="${headingId}" tabindex="0">
    <table>
      <thead>
        <tr>
          ${headCells}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}
