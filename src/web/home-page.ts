import type { Request, Response } from 'express';

import { html } from './html';
import { sendPage, signInHref } from './layout';
import { registryHostOf } from './parts';
import type { WebParts } from './parts';
import { viewerOf } from './viewer';

/** The front page: how to reach the registry, and the way to the viewer's own packages. */
export function homePage(parts: WebParts) {
  return (req: Request, res: Response) => {
    const registryHost = registryHostOf(req, parts);
    const viewer = viewerOf(req);
    const packages = viewer
      ? html`<p><a href="/users/${encodeURIComponent(viewer.login)}/packages">Your packages</a></p>`
      : html`<p><a href="${signInHref(req)}">Sign in</a> to see private packages.</p>`;
    sendPage(req, res, {
      title: 'Container registry',
      main: html`<h1>Container registry</h1>
        <p>Images live at <code>${registryHost}</code>. Sign in with a personal access token:</p>
        <pre class="command"><code>docker login ${registryHost}</code></pre>
        <pre class="command"><code>docker push ${registryHost}/NAMESPACE/IMAGE:TAG</code></pre>
        ${packages}`,
    });
  };
}
