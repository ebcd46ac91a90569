import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

import type { Logger } from 'winston';

import type { PackageDeletions } from '../packages/deletion';
import { OCI_INDEX } from '../packages/manifest';
import type { PushedManifest } from '../packages/observe';
import type { PackageStore } from '../packages/package-store';
import { referrerDescriptor } from '../packages/referrers';
import type { ReferrerDescriptor, ReferrerStore } from '../packages/referrers';
import { isDigest } from './classify';
import type { RegistryRoute } from './classify';
import { nameUnknown, RegistryError } from './errors';
import type { FallbackTagReader } from './referrers-tag';

/**
 * The referrers API of OCI distribution-spec v1.1, which registry 2.8 lacks, answered by
 * crgate from what it records of manifest pushes (packages/referrers.ts):
 * - `GET /v2/<name>/referrers/<digest>[?artifactType=]` lists the subject's referrers as an
 *   image index, filtered on request (`OCI-Filters-Applied`), a page at a time past a bound,
 *   with a `Link` to the next page; it never reaches the registry;
 * - a manifest push with a `subject`, once the registry accepted it, is recorded and answered
 *   with `OCI-Subject`, which tells the client it need not keep the fallback tag itself;
 * - the first listing of a subject also takes in the fallback tag that clients kept before.
 */
export interface ReferrersPageBounds {
  /** The most descriptors one page lists. */
  readonly maxDescriptors: number;
  /** The largest page body; a page lists at least one descriptor whatever its size. */
  readonly maxBytes: number;
}

// A page as large as the largest manifest clients must accept (distribution-spec v1.1,
// "Pushing Manifests": at least 4 MiB), and a round number of descriptors.
const DEFAULT_PAGE: ReferrersPageBounds = { maxDescriptors: 1000, maxBytes: 4 * 1024 * 1024 };

export interface ReferrersParts {
  readonly store: ReferrerStore;
  readonly deletions: PackageDeletions;
  readonly packages: PackageStore;
  readonly fallback: FallbackTagReader;
  readonly logger: Logger;
  readonly page?: Partial<ReferrersPageBounds>;
}

const EMPTY_INDEX = `{"schemaVersion":2,"mediaType":"${OCI_INDEX}","manifests":[]}`;

function lastOf(query: URLSearchParams): string | undefined {
  const last = query.get('last');
  if (last === null) return undefined;
  if (!isDigest(last)) throw new RegistryError('DIGEST_INVALID', 'last must be a digest', { last });
  return last;
}

function nextLink(repository: string, subject: string, last: string, artifactType?: string) {
  const query = new URLSearchParams(artifactType === undefined ? {} : { artifactType });
  query.set('last', last);
  return `</v2/${repository}/referrers/${subject}?${query.toString()}>; rel="next"`;
}

export class RegistryReferrers {
  private readonly page: ReferrersPageBounds;

  constructor(private readonly parts: ReferrersParts) {
    this.page = { ...DEFAULT_PAGE, ...parts.page };
  }

  /** Answers `GET /v2/<name>/referrers/<digest>`; a deleted package is NAME_UNKNOWN. */
  async answer(route: RegistryRoute, url: string, res: ServerResponse): Promise<void> {
    const { repository = '', reference: subject = '' } = route;
    const query = new URL(url, 'http://registry').searchParams;
    const last = lastOf(query);
    const artifactType = query.get('artifactType') || undefined;

    const hidden = await this.parts.deletions.hidden(repository, subject);
    if (hidden === 'package') throw nameUnknown(repository);
    const all = hidden === 'reference' ? [] : await this.listed(repository, subject);
    const matching = all.filter(
      (r) => artifactType === undefined || r.artifactType === artifactType,
    );
    const after = matching.filter((r) => last === undefined || r.digest > last);
    const page = this.pageOf(after);

    const manifests = page.map((descriptor) => JSON.stringify(descriptor)).join(',');
    const body = EMPTY_INDEX.replace('[]', `[${manifests}]`);
    res.setHeader('Content-Type', OCI_INDEX);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    if (artifactType !== undefined) res.setHeader('OCI-Filters-Applied', 'artifactType');
    const end = page[page.length - 1];
    if (page.length < after.length && end) {
      res.setHeader('Link', nextLink(repository, subject, end.digest, artifactType));
    }
    res.end(body);
  }

  /** After the registry accepted a manifest: records it under its subject, and says so. */
  async pushed(pushed: PushedManifest, registryHeaders: IncomingHttpHeaders): Promise<void> {
    const subject = pushed.manifest.subject?.digest;
    const referrer = referrerDescriptor(pushed.digest, pushed.bytes, pushed.manifest);
    if (subject === undefined || referrer === undefined) return;
    try {
      if (await this.parts.store.recordPushed(pushed.repository, subject, referrer)) {
        registryHeaders['oci-subject'] = subject;
      }
    } catch (error) {
      // Without OCI-Subject the client keeps the fallback tag itself (distribution-spec
      // v1.1, "Pushing Manifests with Subject"), so the push need not fail.
      this.parts.logger.error('referrer not recorded after a manifest push', {
        repository: pushed.repository,
        digest: pushed.digest,
        error: String(error),
      });
    }
  }

  /** After the registry deleted a manifest by digest: it is no longer anyone's referrer. */
  async deleted(repository: string, digest: string): Promise<void> {
    await this.parts.store.forget(repository, digest).catch((error: unknown) => {
      this.parts.logger.error('referrer not forgotten after a manifest delete', {
        repository,
        digest,
        error: String(error),
      });
    });
  }

  /** The subject's referrers, after taking in its fallback tag the first time it is asked. */
  private async listed(repository: string, subject: string): Promise<ReferrerDescriptor[]> {
    const { store, fallback } = this.parts;
    if (!(await store.tagRead(repository, subject))) {
      const tag = await fallback.read(repository, subject);
      if (tag.found === 'nothing' && !(await this.known(repository))) {
        // Nothing is recorded for a repository that may never be.
        throw nameUnknown(repository);
      }
      await store.recordFromTag(repository, subject, tag.found === 'index' ? tag.referrers : []);
    }
    return store.referrersOf(repository, subject);
  }

  /** A package of crgate's, or a repository the registry held before crgate. */
  private async known(repository: string): Promise<boolean> {
    if (await this.parts.packages.get(repository)) return true;
    return this.parts.fallback.repositoryKnown(repository);
  }

  /** The first descriptors of `after` that fit within the page bounds, at least one. */
  private pageOf(after: readonly ReferrerDescriptor[]): ReferrerDescriptor[] {
    const page: ReferrerDescriptor[] = [];
    let bytes = EMPTY_INDEX.length;
    for (const descriptor of after) {
      bytes += Buffer.byteLength(JSON.stringify(descriptor)) + 1;
      const full = page.length >= this.page.maxDescriptors || bytes > this.page.maxBytes;
      if (full && page.length > 0) break;
      page.push(descriptor);
    }
    return page;
  }
}
