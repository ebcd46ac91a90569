import type { Request, Response } from 'express';

import type { PackageRecord, PackageVersion } from '../packages/package';
import { isReferrersTag, referrerKind } from '../packages/referrers';
import type { ReferrerDescriptor } from '../packages/referrers';
import { formatBytes, formatCount, formatDate, shortDigest } from './format';
import { html } from './html';
import type { Html } from './html';
import { sendNotFound, sendPage } from './layout';
import {
  joinedSegments,
  namespaceHref,
  namespaceOf,
  packageHref,
  settingsHref,
  visiblePackage,
} from './package-access';
import type { NamespaceRoute } from './package-access';
import { registryHostOf } from './parts';
import type { WebParts } from './parts';
import { scrollingTable } from './scrolling-table';

/**
 * A package's page, as GitHub shows one: the name, its description, how to pull it, a
 * Details sidebar and its versions with their tags, sizes and downloads. Everything a
 * pusher wrote (description, license, tags) is escaped by the `html` template.
 */
export interface VersionRow {
  readonly version: PackageVersion;
  /** Its tags, but for the referrers API's stand-ins (`sha256-<hex>`), which crgate replaces. */
  readonly tags: readonly string[];
  readonly downloads: number;
  /** Signatures, SBOMs and attestations pushed with this version as their subject. */
  readonly referrers: readonly ReferrerDescriptor[];
  /** For a referrer, the digest of its subject. */
  readonly subject?: string;
  /** Whether the version is only a referrers API stand-in: tagged, and only `sha256-<hex>`. */
  readonly standIn: boolean;
}

interface PageData {
  readonly route: NamespaceRoute;
  readonly record: PackageRecord;
  readonly rows: readonly VersionRow[];
  /** `containers.<host>` as the client reached crgate. */
  readonly registryHost: string;
  /** Whether the viewer is the package's admin, who may open its settings. */
  readonly admin: boolean;
}

/** `latest` first, the rest in name order. */
function tagOrder(a: string, b: string): number {
  if (a === 'latest' || b === 'latest') return a === 'latest' ? -1 : 1;
  return a.localeCompare(b);
}

export async function versionRows(parts: WebParts, repository: string): Promise<VersionRow[]> {
  let versions = await parts.packages.versions(repository);
  // Versions recorded before crgate kept ids get theirs now: the anchors need them.
  if (versions.some((version) => typeof version.id !== 'number')) {
    await parts.packages.assignIds(repository);
    versions = await parts.packages.versions(repository);
  }
  const digests = versions.map((version) => version.digest);
  const [tags, downloads, referrers, subjects] = await Promise.all([
    parts.packages.tags(repository),
    parts.packages.downloads(repository),
    parts.referrers.referrersOfAll(repository, digests),
    parts.referrers.subjectsOf(repository, digests),
  ]);

  const tagsOf = new Map<string, string[]>();
  const standIns = new Set<string>();
  for (const [tag, digest] of Object.entries(tags)) {
    if (isReferrersTag(tag)) standIns.add(digest);
    else tagsOf.set(digest, [...(tagsOf.get(digest) ?? []), tag]);
  }
  return versions.map((version) => ({
    version,
    tags: (tagsOf.get(version.digest) ?? []).sort(tagOrder),
    standIn: standIns.has(version.digest) && !tagsOf.has(version.digest),
    downloads: downloads[version.digest] ?? 0,
    referrers: referrers.get(version.digest) ?? [],
    subject: subjects.get(version.digest),
  }));
}

/** The reference people pull: `latest` when it exists, else the newest version's first tag. */
function pullTarget(rows: readonly VersionRow[]): { tag?: string; digest: string } | undefined {
  const latest = rows.find((row) => row.tags.includes('latest'));
  const tagged = latest ?? rows.find((row) => row.tags.length > 0);
  const row = tagged ?? rows[0];
  if (!row) return undefined;
  return { tag: latest ? 'latest' : tagged?.tags[0], digest: row.version.digest };
}

function pullCommands(data: PageData): Html {
  const { record, rows, registryHost } = data;
  const target = pullTarget(rows);
  if (!target) return html`<p class="muted">No versions have been published yet.</p>`;
  const image = `${registryHost}/${record.namespace}/${record.name}`;

  return html`${target.tag && html`<pre class="command"><code>docker pull ${image}:${target.tag}</code></pre>`}
    <p>By digest:</p>
    <pre class="command"><code>docker pull ${image}@${target.digest}</code></pre>`;
}

/** A version's tags, or that it has none. */
export function tagList(tags: readonly string[]): Html {
  if (tags.length === 0) return html`<span class="muted">untagged</span>`;
  return html`${tags.map((tag) => html`<code class="tag">${tag}</code> `)}`;
}

/** A digest cut short, whole in its tooltip. */
export function digestCode(digest: string): Html {
  return html`<code title="${digest}">${shortDigest(digest)}…</code>`;
}

/** A version's referrers under its tags: what each is, and its digest. */
function referrerList(referrers: readonly ReferrerDescriptor[]): Html | false {
  return (
    referrers.length > 0 &&
    html`<ul class="referrers" aria-label="Referrers">
      ${referrers.map(
        (referrer) =>
          html`<li title="${referrer.artifactType ?? referrer.mediaType}">
            ${referrerKind(referrer.artifactType)} ${digestCode(referrer.digest)}
          </li>`,
      )}
    </ul>`
  );
}

function versionRow(row: VersionRow): Html {
  const { version } = row;
  const platforms = version.platforms.length
    ? version.platforms.join(', ')
    : html`<span class="muted">single platform</span>`;

  return html`<tr id="version-${version.id}">
    <td>${tagList(row.tags)}${referrerList(row.referrers)}</td>
    <td>${digestCode(version.digest)}</td>
    <td>${formatDate(version.createdAt)}</td>
    <td class="number">${formatBytes(version.size)}</td>
    <td class="number">${formatCount(row.downloads)}</td>
    <td>${platforms}</td>
  </tr>`;
}

function versionsTable(rows: readonly VersionRow[]): Html {
  if (rows.length === 0) return html`<p class="muted">No versions.</p>`;
  return scrollingTable(
    'versions-heading',
    html`<th scope="col">Tags</th>
      <th scope="col">Digest</th>
      <th scope="col">Published</th>
      <th scope="col" class="number">Size</th>
      <th scope="col" class="number">Downloads</th>
      <th scope="col">Platforms</th>`,
    rows.map(versionRow),
  );
}

function details(data: PageData): Html {
  const { record, rows } = data;
  const downloads = rows.reduce((sum, row) => sum + row.downloads, 0);
  const missing = (what: string) => html`<span class="muted">${what}</span>`;

  return html`<aside class="details" aria-labelledby="details-heading">
    <h2 id="details-heading">Details</h2>
    <dl>
      <dt>Repository</dt>
      <dd>
        ${record.linkedRepository ? html`<code>${record.linkedRepository}</code>` : missing('Not linked')}
      </dd>
      <dt>License</dt>
      <dd>${record.license ?? missing('None given')}${record.licenseTruncated && '…'}</dd>
      <dt>Visibility</dt>
      <dd>${record.visibility}</dd>
      <dt>Total downloads</dt>
      <dd>${formatCount(downloads)}</dd>
      <dt>Last published</dt>
      <dd>${formatDate(record.updatedAt)}</dd>
    </dl>
    ${
      data.admin &&
      html`<p>
        <a href="${settingsHref(data.route, record.namespace, record.name)}">Package settings</a>
      </p>`
    }
  </aside>`;
}

function packageMain(data: PageData): Html {
  const { record, route, rows } = data;
  const description = record.description
    ? html`<p class="description">${record.description}${record.descriptionTruncated && '…'}</p>`
    : html`<p class="muted">No description provided.</p>`;

  return html`<p class="muted">
      <a href="${namespaceHref(route, record.namespace)}">${record.namespace}</a> / packages
    </p>
    <div class="package-layout">
      <div>
        <h1>${record.name} <span class="badge">${record.visibility}</span></h1>
        ${description}
        <section aria-labelledby="install-heading">
          <h2 id="install-heading">Install from the command line</h2>
          ${pullCommands(data)}
        </section>
        <section aria-labelledby="versions-heading">
          <h2 id="versions-heading">Versions</h2>
          ${versionsTable(rows)}
        </section>
      </div>
      ${details(data)}
    </div>`;
}

/** `GET /{users|orgs}/OWNER/packages/container/package/NAME` */
export function packagePage(parts: WebParts, route: NamespaceRoute) {
  return async (req: Request, res: Response) => {
    const namespace = await namespaceOf(parts, route, String(req.params.owner));
    const name = joinedSegments(req.params.name);
    const visible =
      namespace && name ? await visiblePackage(parts, req, namespace, name) : undefined;
    if (!visible) return sendNotFound(req, res);

    const all = await versionRows(parts, visible.repository);
    // A referrer shows under its subject, not as a version of its own, when both are here;
    // a referrers API stand-in (its index under a sha256-<hex> tag) not at all.
    const digests = new Set(all.map((row) => row.version.digest));
    const rows = all.filter((row) => !row.standIn && !(row.subject && digests.has(row.subject)));
    const data = {
      route,
      record: visible.pkg.record,
      rows,
      registryHost: registryHostOf(req, parts),
      admin: visible.role === 'admin',
    };
    sendPage(req, res, {
      title: `${data.record.name} · ${data.record.namespace}`,
      main: packageMain(data),
    });
  };
}

/** `GET /{users|orgs}/OWNER/packages/container/NAME/VERSION_ID`: GitHub's version URL. */
export function versionRedirect(parts: WebParts, route: NamespaceRoute) {
  return async (req: Request, res: Response) => {
    const segments = joinedSegments(req.params.rest).split('/');
    const versionId = segments.pop() ?? '';
    const name = segments.join('/');
    const namespace = await namespaceOf(parts, route, String(req.params.owner));
    const visible =
      namespace && name && /^\d{1,15}$/.test(versionId)
        ? await visiblePackage(parts, req, namespace, name)
        : undefined;
    const versions = visible ? await parts.packages.versions(visible.repository) : [];
    if (!visible || !versions.some((version) => String(version.id) === versionId)) {
      return sendNotFound(req, res);
    }

    const { record } = visible.pkg;
    res.redirect(302, `${packageHref(route, record.namespace, record.name)}#version-${versionId}`);
  };
}
