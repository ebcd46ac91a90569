import { createHash } from 'node:crypto';

import express from 'express';
import type { Request, Response } from 'express';

/**
 * The one script of the web origin: the Copy button beside a new token. Copying to the
 * clipboard takes a script, and a script is all it does. Like the stylesheet it is served by
 * the origin itself at a content-hashed URL, cached for a year, and only the page that shows
 * a new token allows it (`script-src 'self'` in that page's CSP, never inline script), so
 * every other page stays free of scripts. Without it the page still works: the Copy button
 * stays hidden and the token is selectable in its read-only field.
 */
const SCRIPT = `'use strict';
(function () {
  function copied(status, words) {
    if (status) status.textContent = words;
  }
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var field = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-copy-status'));
    if (!field) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { copied(status, 'Copied.'); },
          function () { copied(status, 'Selected: press Ctrl+C or Cmd+C to copy.'); }
        );
      } else {
        copied(status, document.execCommand('copy') ? 'Copied.' : 'Selected: press Ctrl+C or Cmd+C to copy.');
      }
    });
  });
})();
`;

const VERSION = createHash('sha256').update(SCRIPT).digest('hex').slice(0, 12);

/** Where a page loads the copy script from. */
export const COPY_SCRIPT_PATH = `/assets/crgate-copy-${VERSION}.js`;

/**
 * Lets this answer run the origin's own script: the web origin's CSP with `script-src 'self'`
 * added. Where the policy is not the one expected, it is left alone and the button stays
 * hidden, which is the page without JavaScript.
 */
export function allowOwnScript(res: Response): void {
  const policy = res.get('Content-Security-Policy');
  const anchor = "default-src 'none';";
  if (typeof policy !== 'string' || !policy.startsWith(anchor)) return;
  res.set('Content-Security-Policy', `${anchor} script-src 'self';${policy.slice(anchor.length)}`);
}

export function createCopyScriptRouter(): express.Router {
  const router = express.Router();
  router.get(COPY_SCRIPT_PATH, (_req: Request, res: Response) => {
    res
      .set('Cache-Control', 'public, max-age=31536000, immutable')
      .type('text/javascript')
      .send(SCRIPT);
  });
  return router;
}
