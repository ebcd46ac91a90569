import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

import type { Logger } from 'winston';

import type { PublicOrigin } from '../hosts';
import type { RegistryRoute } from './classify';
import {
  API_VERSION,
  API_VERSION_HEADER,
  discardBody,
  RegistryError,
  writeRegistryError,
} from './errors';
import type { Forwarder } from './forward';
import type { UploadEnd, UploadSession, UploadSessions } from './upload-sessions';

/**
 * The limits step for blob uploads, with ghcr.io's limits (10 GB a layer, 10 minutes an
 * upload), over sessions crgate holds itself (`upload-sessions.ts`):
 * - the client gets crgate's upload URL, `/v2/<name>/blobs/uploads/<id>`, which stays the
 *   same for the whole upload; the registry's, with its `_state`, never leaves crgate;
 * - each request is checked before a byte is forwarded: the session is the caller's and in
 *   this repository, within its time, a chunk starts where the last one ended, and the bytes
 *   declared fit what is left of the layer limit; a body without a length is counted as it
 *   streams;
 * - past a limit crgate stops forwarding, answers the client itself and cancels the upload at
 *   the registry, so nothing of it becomes a blob.
 */
export interface UploadLimits {
  readonly maxLayerBytes: number;
  readonly uploadTimeoutMs: number;
  readonly maxUploadsPerPrincipal: number;
}

export interface UploadStep {
  readonly forwarder: Forwarder;
  readonly sessions: UploadSessions;
  readonly limits: UploadLimits;
  readonly registryUrl: URL;
  readonly registryTimeoutMs: number;
  readonly logger: Logger;
}

/** The request being forwarded: the session it continues, or none for the one that opens it. */
interface Transfer {
  readonly session?: UploadSession;
  readonly repository: string;
  readonly owner: string;
  readonly startedAt: number;
}

export type UploadHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  origin: PublicOrigin,
  route: RegistryRoute,
  owner: string,
) => Promise<void>;

// The registry names upload sessions by UUID; anything else names no session.
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONTENT_RANGE = /^(?:bytes )?(\d+)-(\d+)$/;

function unknownSession(): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', 'no such upload session');
}

function tooLarge(limits: UploadLimits): RegistryError {
  const limit = limits.maxLayerBytes;
  const message = `a layer may be at most ${limit} bytes; this upload was refused and cancelled`;
  return new RegistryError('SIZE_INVALID', message, { limit }, {}, 413);
}

function outOfTime(limits: UploadLimits): RegistryError {
  const seconds = limits.uploadTimeoutMs / 1000;
  const message = `an upload may last at most ${seconds} seconds from its start; this one was cancelled`;
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', message, { limit_ms: limits.uploadTimeoutMs });
}

/** What a request hears of a session a limit ended: it is gone, and why. */
function sessionEnded(why: UploadEnd, limits: UploadLimits): RegistryError {
  if (why === 'timeout') return outOfTime(limits);
  const limit = limits.maxLayerBytes;
  return new RegistryError(
    'BLOB_UPLOAD_UNKNOWN',
    `this upload was cancelled when it passed the limit of ${limit} bytes a layer`,
    { limit },
  );
}

function tooManyUploads(limits: UploadLimits): RegistryError {
  const limit = limits.maxUploadsPerPrincipal;
  return new RegistryError(
    'TOOMANYREQUESTS',
    `at most ${limit} uploads may be open at once; finish or cancel one first`,
    { limit },
    { 'Retry-After': '10' },
  );
}

/** crgate's URL of a session, the one the client uses. */
function publicLocation(origin: PublicOrigin, session: Pick<UploadSession, 'repository' | 'id'>) {
  return `${origin.base}/v2/${session.repository}/blobs/uploads/${session.id}`;
}

/** `Range` as registry:2 writes it: the bytes received, `0-0` for none yet. */
function rangeOf(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header === undefined ? undefined : Number(header);
}

/** The registry's URL for this request: the session's own, with the client's query on it. */
function registryUrlFor(session: UploadSession, clientUrl: string): string {
  const target = new URL(session.location, 'http://registry');
  const client = new URL(clientUrl, 'http://registry');
  for (const [name, value] of client.searchParams) {
    if (name !== '_state') target.searchParams.set(name, value);
  }
  return target.pathname + target.search;
}

/** The path and query of a `Location` the forward step has already pointed at `origin`. */
function registryPathOf(location: string, origin: PublicOrigin): string {
  return location.startsWith(origin.base) ? location.slice(origin.base.length) : location;
}

/** Passes a body on while it stays within `allowance` bytes; past it, calls `onOverflow`. */
class ByteCounter extends Transform {
  bytes = 0;

  constructor(
    private readonly allowance: number,
    private readonly onOverflow: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.allowance) {
      this.onOverflow();
      done();
      return;
    }
    done(null, chunk);
  }
}

export function createUploadStep(step: UploadStep): UploadHandler {
  const { limits, sessions } = step;

  /** Whether the body's Content-Length passes what is left of the layer limit after `offset`. */
  function declaresTooMuch(req: IncomingMessage, offset: number): boolean {
    return (declaredLength(req) ?? 0) > limits.maxLayerBytes - offset;
  }

  /** Cancels the upload at the registry, by the session's own URL there. */
  async function cancelAtRegistry(location: string): Promise<void> {
    const url = new URL(location, step.registryUrl);
    const signal = AbortSignal.timeout(step.registryTimeoutMs);
    const response = await fetch(url, { method: 'DELETE', signal }).catch((error: unknown) => {
      step.logger.warn('could not cancel an upload at the registry', { error: String(error) });
    });
    await response?.body?.cancel();
  }

  /** Ends a session whose request was cut: at the registry, and its record with it. */
  async function forgetSession(session: UploadSession): Promise<void> {
    await Promise.all([cancelAtRegistry(session.location), sessions.close(session)]);
  }

  /** Ends a session past a limit: at the registry, and in its record. */
  async function endSession(session: UploadSession, why: UploadEnd): Promise<void> {
    await Promise.all([cancelAtRegistry(session.location), sessions.end(session, why)]);
  }

  /** The session a request names, if it is the caller's, in this repository and in time. */
  async function sessionOf(route: RegistryRoute, owner: string): Promise<UploadSession> {
    const id = route.reference ?? '';
    const session = SESSION_ID.test(id) ? await sessions.get(id) : undefined;
    if (!session || session.owner !== owner || session.repository !== route.repository) {
      throw unknownSession();
    }
    if (session.ended) throw sessionEnded(session.ended, limits);
    if (Date.now() - session.startedAt >= limits.uploadTimeoutMs) {
      await endSession(session, 'timeout');
      throw outOfTime(limits);
    }
    return session;
  }

  /** A chunk must start where the session stands (`Content-Range`, when the client sends it). */
  function checkStart(req: IncomingMessage, session: UploadSession, origin: PublicOrigin) {
    const header = req.headers['content-range'];
    if (header === undefined) return;
    const match = CONTENT_RANGE.exec(header);
    const start = Number(match?.[1]);
    const end = Number(match?.[2]);
    const declared = declaredLength(req);
    if (!match || end < start || (declared !== undefined && declared !== end - start + 1)) {
      throw new RegistryError(
        'BLOB_UPLOAD_INVALID',
        'Content-Range must be START-END and agree with Content-Length',
        { content_range: header },
      );
    }
    if (start !== session.offset) {
      throw new RegistryError(
        'BLOB_UPLOAD_INVALID',
        `this upload has ${session.offset} bytes; the next chunk must start there`,
        { offset: session.offset },
        { Range: rangeOf(session.offset), Location: publicLocation(origin, session) },
        416,
      );
    }
  }

  /** GET on a session: where it stands, answered from crgate's record. */
  function answerStatus(res: ServerResponse, session: UploadSession, origin: PublicOrigin) {
    res.writeHead(204, {
      Location: publicLocation(origin, session),
      Range: rangeOf(session.offset),
      'Docker-Upload-UUID': session.id,
      'Content-Length': '0',
      [API_VERSION_HEADER]: API_VERSION,
    });
    res.end();
  }

  /**
   * Forwards a request that carries (or may carry) blob bytes, counting them against what is
   * left of the layer limit and the time left of the session, and follows the registry's
   * answer: a session opened or advanced gets crgate's URL, a finished one is forgotten.
   */
  function transfer(
    req: IncomingMessage,
    res: ServerResponse,
    origin: PublicOrigin,
    context: Transfer,
  ) {
    const { session } = context;
    const offset = session?.offset ?? 0;
    const allowance = limits.maxLayerBytes - offset;

    // Ends the request where it stands, answers the client, and cancels the upload.
    let stopped = false;
    const stop = (error: RegistryError, why: UploadEnd) => {
      if (stopped) return;
      stopped = true;
      req.unpipe(counter);
      step.forwarder.abandon(req);
      if (res.headersSent) res.destroy();
      else writeRegistryError(res, error);
      discardBody(req);
      if (session) endSession(session, why).catch(() => undefined);
    };
    const counter = new ByteCounter(allowance, () => stop(tooLarge(limits), 'size'));
    const timer = setTimeout(
      () => stop(outOfTime(limits), 'timeout'),
      context.startedAt + limits.uploadTimeoutMs - Date.now(),
    );
    let answered = false;
    res.once('close', () => {
      clearTimeout(timer);
      // Cut before the registry answered (the client went away, the registry failed, crgate
      // stopped): the registry holds part of a chunk it will refuse to resume, so the session
      // is over. Forget it, so the client's next request hears so and starts the layer again.
      if (!answered && !stopped && session) forgetSession(session).catch(() => undefined);
    });

    step.forwarder.forward(req, res, origin, {
      body: req.pipe(counter),
      beforeResponse: async (registryResponse) => {
        answered = true;
        clearTimeout(timer);
        if (stopped) return;
        await follow(registryResponse, req, origin, context, offset + counter.bytes);
      },
    });
  }

  /** What the registry's answer means for the session: opened, advanced, finished or gone. */
  async function follow(
    registryResponse: IncomingMessage,
    req: IncomingMessage,
    origin: PublicOrigin,
    context: Transfer,
    offset: number,
  ) {
    const status = registryResponse.statusCode ?? 0;
    const headers = registryResponse.headers;
    const { session } = context;
    if (status === 202 && typeof headers.location === 'string') {
      const location = registryPathOf(headers.location, origin);
      const id = session?.id ?? headers['docker-upload-uuid'];
      if (typeof id !== 'string') return;
      if (session) await sessions.advance(id, location, offset);
      else await sessions.open({ ...context, id, location, offset });
      headers.location = publicLocation(origin, { repository: context.repository, id });
    } else if (session && (status === 201 || status === 204 || status === 404)) {
      await sessions.close(session);
    } else if (!session && req.method === 'POST' && status === 202) {
      step.logger.warn('the registry opened an upload without a Location');
    }
  }

  return async function forwardUpload(req, res, origin, route, owner) {
    const repository = route.repository ?? '';
    if (req.method === 'POST') {
      if (declaresTooMuch(req, 0)) throw tooLarge(limits);
      if ((await sessions.countOpen(owner)) >= limits.maxUploadsPerPrincipal) {
        throw tooManyUploads(limits);
      }
      transfer(req, res, origin, { repository, owner, startedAt: Date.now() });
      return;
    }

    const session = await sessionOf(route, owner);
    if (req.method === 'GET') return answerStatus(res, session, origin);
    checkStart(req, session, origin);
    const release = await sessions.claim(session.id);
    if (!release) {
      throw new RegistryError(
        'BLOB_UPLOAD_INVALID',
        'another request of this upload is still in progress',
        { offset: session.offset },
        { Range: rangeOf(session.offset), Location: publicLocation(origin, session) },
        416,
      );
    }
    res.once('close', release);

    if (declaresTooMuch(req, session.offset)) {
      await endSession(session, 'size');
      throw tooLarge(limits);
    }

    req.url = registryUrlFor(session, req.url ?? '/');
    if (req.method === 'DELETE') {
      step.forwarder.forward(req, res, origin, {
        beforeResponse: async (registryResponse) => {
          const status = registryResponse.statusCode;
          if (status === 204 || status === 404) await sessions.close(session);
        },
      });
      return;
    }
    transfer(req, res, origin, { session, repository, owner, startedAt: session.startedAt });
  };
}
