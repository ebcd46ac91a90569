/**
 * HTML built by one rule: every interpolated value is escaped, unless it is already HTML made
 * by this module. Labels, descriptions and names come from whoever pushed an image, so a page
 * never concatenates strings into markup by hand.
 */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** What a template may interpolate: text to escape, HTML already built, or lists of those. */
export type Fragment = Html | string | number | undefined | null | false | readonly Fragment[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and for quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

function render(fragment: Fragment): string {
  if (fragment instanceof Html) return fragment.text;
  if (Array.isArray(fragment)) return fragment.map(render).join('');
  // Absent values and `false` (from `cond && html...`) render as nothing.
  if (fragment === undefined || fragment === null || fragment === false) return '';
  return escapeHtml(String(fragment));
}

/** The tagged template: `html\`<p>${text}</p>\`` escapes `text`, keeps nested `html` as is. */
export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  let out = strings[0] as string;
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] as string);
  });
  return new Html(out);
}

/**
 * Markup that is trusted as it is: only for constants of crgate's own source, never for a
 * value that came with a request or from a record.
 */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** What a form did, read out by screen readers without taking them from where they are. */
export function statusNotice(notice: string | undefined): Html | false {
  return Boolean(notice) && html`<p class="notice" role="status">${notice}</p>`;
}

/** A form's refusal, read out by screen readers as soon as the page shows it. */
export function errorAlert(error: string | undefined): Html | false {
  return Boolean(error) && html`<p class="error" role="alert">${error}</p>`;
}
