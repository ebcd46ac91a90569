import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from 'winston';

import { authorize, mayMountFrom } from '../access/authorize';
import type { AccessControl } from '../access/decide';
import type { Authentication, Authenticator } from '../auth/authenticate';
import { AuthenticationError } from '../auth/authenticate';
import { RateLimitedError, tooManyRequests } from '../auth/credentials';
import { unauthorized } from '../auth/challenge';
import { principalId } from '../auth/principal';
import type { Principal } from '../auth/principal';
import type { PublicOrigin } from '../hosts';
import { DirectoryUnavailableError } from '../identity/directory';
import type { PackageDeletions } from '../packages/deletion';
import type { DownloadCounter } from '../packages/download-counter';
import type { PackageObserver } from '../packages/observe';
import type { PackageStore } from '../packages/package-store';
import type { PurgeMark, PurgeMarks } from '../packages/purge-marks';
import type { RequestFacts } from '../telemetry/access-log';
import type { Metrics } from '../telemetry/metrics';
import { answerCatalog } from './catalog';
import { classify, isDigest } from './classify';
import type { RegistryRoute } from './classify';
import {
  API_VERSION,
  API_VERSION_HEADER,
  asRegistryError,
  RegistryError,
  discardBody,
  unavailable,
  nameUnknown,
  writeRegistryError,
} from './errors';
import type { Forwarder } from './forward';
import { acceptEveryManifest } from './manifest-accept';
import { pushedManifest, readManifest } from './manifest-push';
import type { ManifestReads } from './manifest-reads';
import type { RegistryReferrers } from './referrers';
import type { RegistrySource } from './registry-fetch';
import type { UploadHandler } from './uploads';
import { deleteTag } from './tag-deletion';
import { answerTags } from './tags';

/**
 * The registry origin (`containers.<hostname>`), DESIGN.md's chain: classify, authenticate,
 * authorize, forward; and the token endpoint beside it. This is the hot path of every pull,
 * so it is a plain function over Node's request and response rather than an Express app:
 * routing here is classification, and Express would only add cost.
 */
export type RegistryHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  facts: RequestFacts,
) => void;

export interface RegistryOriginParts {
  readonly forwarder: Forwarder;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly access: AccessControl;
  readonly packages: PackageStore;
  /** What deletions hide from pulls until they are restored or purged. */
  readonly deletions: PackageDeletions;
  readonly observer: PackageObserver;
  /** Keeps a manifest push and the purge of its digest from crossing. */
  readonly purgeMarks: PurgeMarks;
  readonly tokenEndpoint: (req: IncomingMessage, res: ServerResponse) => Promise<Principal>;
  /** The service name of challenges and tokens: `containers.<hostname>`. */
  readonly service: string;
  readonly addressOf: (req: IncomingMessage) => string;
  /** The limits step of blob uploads, over crgate's own upload sessions. */
  readonly uploads: UploadHandler;
  /** Where crgate reads tag lists to page them itself, and the digest a tag names to untag it. */
  readonly tagsSource: RegistrySource;
  /** The referrers API, which crgate answers itself, and its records of subjects. */
  readonly referrers: RegistryReferrers;
  /** Manifest pulls answered from crgate's records and memory, without the registry. */
  readonly manifestReads: ManifestReads;
  /** Where each manifest GET answered counts as a download of its version. */
  readonly downloads: DownloadCounter;
  /** The largest manifest accepted (CRGATE_MAX_MANIFEST_BYTES). */
  readonly maxManifestBytes: number;
  /** Whether a failure came from Redis being away: then a 503, never a 500. */
  readonly isStateOutage: (error: unknown) => boolean;
}

function isTokenPath(url: string): boolean {
  return url === '/token' || url.startsWith('/token?');
}

/** A mount whose source the principal may not read becomes an ordinary upload. */
function withoutMount(url: string): string {
  const [path, query = ''] = url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  params.delete('mount');
  params.delete('from');
  const rest = params.toString();
  return rest ? `${path}?${rest}` : path;
}

export function createRegistryHandler(parts: RegistryOriginParts): RegistryHandler {
  const { authenticator, access, service } = parts;

  async function authenticate(req: IncomingMessage, origin: PublicOrigin, route: RegistryRoute) {
    try {
      return await authenticator.authenticate(req.headers.authorization, parts.addressOf(req));
    } catch (error) {
      if (error instanceof RateLimitedError) throw tooManyRequests(error);
      if (!(error instanceof AuthenticationError)) throw error;
      const kind = error.bearer ? 'invalid_token' : undefined;
      throw unauthorized(error.message, origin, service, route, kind);
    }
  }

  async function admit(route: RegistryRoute, auth: Authentication, origin: PublicOrigin) {
    const verdict = await authorize(access, route, auth);
    if (verdict.outcome === 'denied') throw verdict.error;
    if (verdict.outcome === 'challenge') {
      const error = verdict.insufficient ? 'insufficient_scope' : undefined;
      throw unauthorized(verdict.message, origin, service, route, error);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, facts: RequestFacts) {
    const origin = facts.public as PublicOrigin;
    if (isTokenPath(req.url ?? '')) {
      facts.principal = principalId(await parts.tokenEndpoint(req, res));
      return;
    }
    const route = classify(req.method ?? 'GET', req.url ?? '/');
    facts.route = route;

    const auth = await authenticate(req, origin, route);
    facts.principal = principalId(auth.principal);
    await admit(route, auth, origin);
    await dispatch(req, res, origin, route, auth);
  }

  /** crgate answers the catalog itself and follows manifest writes; the rest streams through. */
  async function dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    origin: PublicOrigin,
    route: RegistryRoute,
    auth: Authentication,
  ) {
    if (route.kind === 'catalog') {
      // A bearer token's principal has no scopes; the catalog needs the token's own.
      const principal = (await auth.issuer?.()) ?? auth.principal;
      const query = new URL(req.url ?? '/', 'http://registry').searchParams;
      return answerCatalog(parts, principal, query, res);
    }
    if (route.kind === 'referrers') return parts.referrers.answer(route, req.url ?? '/', res);
    if (route.kind === 'tags') {
      const query = new URL(req.url ?? '/', 'http://registry').searchParams;
      const hidden = await parts.deletions.hiddenTags(route.repository ?? '');
      if (hidden.package) throw nameUnknown(route.repository ?? '');
      const repository = route.repository ?? '';
      const exists = async () => (await parts.packages.get(repository)) !== undefined;
      return answerTags(parts.tagsSource, repository, query, res, hidden.tags, exists);
    }
    if (route.kind === 'manifest' && (req.method === 'GET' || req.method === 'HEAD')) {
      return pullManifest(req, res, origin, route);
    }
    if (route.kind === 'manifest' && req.method === 'PUT') {
      return pushManifest(req, res, origin, route, auth);
    }
    if (route.kind === 'manifest' && req.method === 'DELETE' && !isDigest(route.reference ?? '')) {
      const tagDeletion = { registry: parts.tagsSource, deletions: parts.deletions };
      return deleteTag(tagDeletion, route.repository ?? '', route.reference ?? '', res);
    }
    if (route.kind === 'manifest' && req.method === 'DELETE') {
      return deleteManifest(req, res, origin, route);
    }
    if (route.mountFrom && !(await mayMountFrom(access, auth, route.mountFrom))) {
      req.url = withoutMount(req.url ?? '');
    }

    if (route.kind === 'upload') {
      if (req.method !== 'GET' && req.method !== 'DELETE') countUpload(res, parts.metrics);
      return parts.uploads(req, res, origin, route, principalId(auth.principal));
    }
    parts.forwarder.forward(req, res, origin);
  }

  /**
   * Refuses what a deletion hides, as the registry would refuse what it never had; answers
   * from crgate's records what it can (manifest-reads.ts) and forwards the rest. Each manifest
   * a GET is answered with counts as a download of its version.
   */
  async function pullManifest(
    req: IncomingMessage,
    res: ServerResponse,
    origin: PublicOrigin,
    route: RegistryRoute,
  ) {
    const { repository = '', reference = '' } = route;
    acceptEveryManifest(req.headers);
    const resolution = await parts.manifestReads.resolve(repository, reference);
    if (resolution.kind === 'package-hidden') throw nameUnknown(repository);
    if (resolution.kind === 'hidden') {
      throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { Reference: reference });
    }
    const counted = req.method === 'GET';
    if (
      resolution.kind === 'manifest' &&
      parts.manifestReads.answerable(req, resolution.manifest)
    ) {
      parts.manifestReads.send(req, res, resolution.manifest);
      if (counted) countDownload(repository, resolution.digest);
      return;
    }
    const onResponse = counted
      ? (answer: IncomingMessage) => {
          const digest = answer.headers['docker-content-digest'];
          if (answer.statusCode === 200 && typeof digest === 'string') {
            countDownload(repository, digest);
          }
        }
      : undefined;
    parts.forwarder.forward(req, res, origin, { onResponse });
  }

  function countDownload(repository: string, digest: string): void {
    parts.downloads.count(repository, digest);
  }

  /**
   * Forwards a manifest delete by digest (a tag's is answered by deleteTag); once the registry
   * has deleted it, the records follow.
   */
  function deleteManifest(
    req: IncomingMessage,
    res: ServerResponse,
    origin: PublicOrigin,
    route: RegistryRoute,
  ) {
    const { repository = '', reference: digest = '' } = route;
    parts.forwarder.forward(req, res, origin, {
      beforeResponse: async (registryResponse) => {
        if (registryResponse.statusCode === 202) {
          await parts.observer.manifestDeleted(repository, digest);
          await parts.referrers.deleted(repository, digest);
        }
      },
    });
  }

  /**
   * Reads and checks the manifest, forwards it, and records the package before answering, all
   * under a mark that keeps the purge off its digest (purge-marks.ts). Without the registry's
   * answer (unreachable, or the client gone) the mark stays until it expires.
   */
  async function pushManifest(
    req: IncomingMessage,
    res: ServerResponse,
    origin: PublicOrigin,
    route: RegistryRoute,
    auth: Authentication,
  ) {
    const upload = await readManifest(req, parts.maxManifestBytes);
    const { repository = '', reference = '' } = route;
    const mark = await parts.purgeMarks.beginPush(repository, upload.digest);
    if (!mark) throw beingPurged(upload.digest);

    parts.forwarder.forward(req, res, origin, {
      body: upload.body,
      beforeResponse: async (registryResponse) => {
        try {
          const pushed = pushedManifest(
            upload,
            repository,
            reference,
            auth.principal,
            registryResponse,
          );
          if (pushed) {
            await parts.observer.manifestPushed(pushed);
            await parts.referrers.pushed(pushed, registryResponse.headers);
          }
        } finally {
          endPush(mark);
        }
      },
    });
  }

  /** Sent once the record is written, and not awaited: the client need not wait for it. */
  function endPush(mark: PurgeMark): void {
    parts.purgeMarks.endPush(mark).catch((error: unknown) => {
      parts.logger.warn('push mark not cleared; it expires', { error: String(error) });
    });
  }

  return (req, res, facts) => {
    res.setHeader(API_VERSION_HEADER, API_VERSION);
    handle(req, res, facts).catch((error: unknown) => {
      const registryError = toRegistryError(error);
      if (res.headersSent) res.destroy();
      else writeRegistryError(res, registryError);
      discardBody(req);
    });
  };

  /**
   * What a failure tells the client: its own error, a 503 while Redis or the directory is
   * away, or a 500.
   */
  function toRegistryError(error: unknown): RegistryError {
    if (error instanceof RegistryError) return error;
    if (error instanceof DirectoryUnavailableError) return unavailable('the directory (GitHub)');
    if (parts.isStateOutage(error)) {
      parts.logger.warn('redis unavailable; refusing', { error: String(error) });
      return unavailable('crgate’s state store');
    }
    parts.logger.error('unexpected error', { error: String(error) });
    return asRegistryError(error);
  }
}

/**
 * A push of a digest the purge is deleting from the registry at this moment: the registry
 * must not see it, since the DELETE could land after it stored the manifest. The purge
 * clears its mark as soon as the registry answers the DELETE, so a retry a second later
 * goes through. Refused rather than held, as the registry itself answers what it cannot do
 * yet: holding would mean polling a mark another replica owns, with a bound to choose anyway.
 */
function beingPurged(digest: string): RegistryError {
  const message = 'the manifest is being purged from the registry, retry later';
  return new RegistryError('UNAVAILABLE', message, { digest }, { 'Retry-After': '1' });
}

function countUpload(res: ServerResponse, metrics: Metrics): void {
  metrics.uploadsInFlight.inc();
  res.once('close', () => metrics.uploadsInFlight.dec());
}
