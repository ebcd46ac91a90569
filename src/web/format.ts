import { html } from './html';
import type { Html } from './html';

/** How pages write sizes, dates, counts and digests for people. */
const UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as `docker images` writes them: 1 kB is 1000 bytes. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

const DATE = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

/** A `<time>` with the exact instant for machines and the day for people. */
export function formatDate(iso: string): Html {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return html`<span class="muted">unknown</span>`;
  return html`<time datetime="${at.toISOString()}" title="${at.toISOString()}"
    >${DATE.format(at)}</time
  >`;
}

export function formatCount(count: number): string {
  return count.toLocaleString('en');
}

/** `sha256:0123456789ab`: enough to tell versions apart; the full digest goes in a title. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.slice(0, colon + 1 + 12);
}
