import { createHash } from 'node:crypto';

import express from 'express';
import type { Request, Response } from 'express';

/**
 * The pages' one stylesheet, served by the web origin itself: the CSP allows styles from
 * 'self' only, and no inline ones. Its URL carries a hash of its content, so browsers may keep
 * it for a year and still see a change the moment crgate ships one.
 */
const CSS = `
:root {
  color-scheme: light dark;
  --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --link: #0969da; --focus: #0969da; --danger: #cf222e;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  line-height: 1.5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d;
    --link: #4493f8; --focus: #4493f8; --danger: #f85149;
  }
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.875em; }
.skip { position: absolute; left: -10000px; }
.referrers { list-style: none; margin: 0.25rem 0 0; padding: 0; font-size: 0.875em; color: var(--muted); }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: 0.5rem; z-index: 1; }
.site-header {
  display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; justify-content: space-between;
  padding: 0.75rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line);
}
.site-header .brand { font-weight: 600; color: var(--fg); text-decoration: none; }
.site-header .session { display: flex; gap: 0.5rem; align-items: center; margin: 0; }
.link-button {
  background: none; border: 0; padding: 0; font: inherit; color: var(--link);
  text-decoration: underline; cursor: pointer;
}
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.75rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 0.5rem; }
.muted { color: var(--muted); }
.description { white-space: pre-line; overflow-wrap: anywhere; }
.badge {
  display: inline-block; border: 1px solid var(--line); border-radius: 2em;
  padding: 0 0.6em; font-size: 0.8125rem; color: var(--muted);
}
.package-layout { display: grid; grid-template-columns: minmax(0, 1fr) 18rem; gap: 2rem; }
@media (max-width: 48rem) { .package-layout { grid-template-columns: minmax(0, 1fr); } }
.details { border-left: 1px solid var(--line); padding-left: 1rem; }
@media (max-width: 48rem) { .details { border-left: 0; border-top: 1px solid var(--line); padding: 0; } }
.details dt { font-weight: 600; margin-top: 0.75rem; }
.details dd { margin: 0; overflow-wrap: anywhere; }
.command {
  background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: 0.75rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.25rem 0 1rem;
}
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 0.875rem; color: var(--muted); }
td.number, th.number { text-align: right; }
td time, td.number { white-space: nowrap; }
tr:target { background: var(--panel); }
.tag { margin-right: 0.25rem; }
ul.packages { list-style: none; padding: 0; margin: 0; }
ul.packages li { padding: 0.75rem 0; border-bottom: 1px solid var(--line); }
ul.packages .name { font-weight: 600; font-size: 1.125rem; overflow-wrap: anywhere; }
nav.pages { display: flex; gap: 1rem; margin-top: 1rem; }
form.sign-in { max-width: 22rem; display: grid; gap: 0.25rem; }
form.sign-in label { font-weight: 600; margin-top: 0.5rem; }
form.sign-in input {
  font: inherit; padding: 0.4rem 0.5rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg);
}
form.sign-in button {
  margin-top: 1rem; font: inherit; font-weight: 600; padding: 0.45rem 1rem; border-radius: 6px;
  border: 1px solid var(--line); background: #1f883d; color: #ffffff; cursor: pointer;
}
.error { color: var(--danger); border: 1px solid var(--danger); border-radius: 6px; padding: 0.5rem 0.75rem; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap;
}
.settings form.setting { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin: 0.75rem 0; }
.settings form.setting > label { font-weight: 600; }
.settings form.setting fieldset { flex: 1 1 100%; border: 1px solid var(--line); border-radius: 6px; margin: 0; }
.settings form.setting legend { font-weight: 600; padding: 0 0.25rem; }
.settings .check { display: flex; flex-wrap: wrap; gap: 0 0.5rem; align-items: baseline; margin: 0.25rem 0; }
.settings .check .muted { flex: 1 1 100%; padding-left: 1.5rem; }
.settings input:not([type=checkbox]):not([type=radio]), .settings select {
  font: inherit; padding: 0.3rem 0.5rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); min-width: 0; max-width: 100%;
}
.settings form.setting > input { flex: 1 1 12rem; }
.settings form.setting button {
  font: inherit; font-weight: 600; padding: 0.3rem 0.9rem; border-radius: 6px;
  border: 1px solid var(--line); background: var(--panel); color: var(--fg); cursor: pointer;
}
.settings form.setting button.danger { color: var(--danger); }
.settings td form.setting { margin: 0; flex-wrap: nowrap; }
.danger-zone { border: 1px solid var(--danger); border-radius: 6px; padding: 0 1rem 1rem; margin-top: 2rem; }
.danger-zone h3 { font-size: 1rem; margin: 1.25rem 0 0.25rem; }
/* Positioned, so the hidden words of a button in a scrolled-away column stay inside it. */
.settings .table-wrap { position: relative; }
.notice { border: 1px solid var(--line); background: var(--panel); border-radius: 6px; padding: 0.5rem 0.75rem; }
.heading-row { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; justify-content: space-between; }
a.button, form.token-form button, .copy-row button, ul.tokens button.danger {
  display: inline-block; font: inherit; font-weight: 600; padding: 0.4rem 1rem; border-radius: 6px;
  border: 1px solid var(--line); background: var(--panel); color: var(--fg); text-decoration: none; cursor: pointer;
}
form.token-form button { background: #1f883d; color: #ffffff; margin-top: 1rem; justify-self: start; }
ul.tokens button.danger { color: var(--danger); }
form.token-form { max-width: 40rem; display: grid; gap: 0.25rem; }
form.token-form > label { font-weight: 600; margin-top: 0.75rem; }
form.token-form input:not([type=checkbox]), form.token-form select, .token-value {
  font: inherit; padding: 0.4rem 0.5rem; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); color: var(--fg); max-width: 100%;
}
form.token-form fieldset { border: 1px solid var(--line); border-radius: 6px; margin-top: 1rem; }
form.token-form legend { font-weight: 600; padding: 0 0.25rem; }
.scope { display: grid; grid-template-columns: auto 1fr; gap: 0 0.5rem; align-items: baseline; margin: 0.5rem 0; }
.scope p { grid-column: 2; margin: 0; }
ul.tokens { list-style: none; padding: 0; margin: 0; }
ul.tokens li {
  display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; justify-content: space-between; align-items: center;
  padding: 0.75rem 0; border-bottom: 1px solid var(--line);
}
ul.tokens .token-facts { flex: 1 1 20rem; min-width: 0; overflow-wrap: anywhere; }
ul.tokens p { margin: 0.25rem 0 0; }
.expired { color: var(--danger); }
.copy-row { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.5rem 0; }
/* The button's display above would otherwise show it while hidden, before the script runs. */
.copy-row button[hidden] { display: none; }
.token-value { flex: 1 1 20rem; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
`;

const VERSION = createHash('sha256').update(CSS).digest('hex').slice(0, 12);

/** Where pages link the stylesheet from. */
export const STYLESHEET_PATH = `/assets/crgate-${VERSION}.css`;

export function createStyleRouter(): express.Router {
  const router = express.Router();
  router.get(STYLESHEET_PATH, (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=31536000, immutable').type('css').send(CSS);
  });
  return router;
}
