import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { Answer, Caller, RouteContext } from './context';
import { badCredentials } from './context';
import type { Directory } from './directory';
import type { RateLimit } from './rate-limit';
import type { Resources } from './resources';
import { dispatch } from './routes';
import type { TokenStore } from './tokens';

/** What goes on the wire: status, headers and the JSON text (none for a 304). */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

const RATE_LIMIT_DOCS =
  'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';

/** GitHub's request ids read like `C0DE:1A2B:3C4D5E:6F7A8B:65F0A1B2`. */
export function requestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
  return [hex(2), hex(2), hex(3), hex(3), hex(4)].join(':');
}

/** A weak validator over the body and the credential, so one user's ETag never fits another's. */
function etagOf(authorization: string | undefined, json: string): string {
  const hash = createHash('sha256')
    .update(`${authorization ?? ''}\n${json}`)
    .digest('hex');
  return `W/"${hash}"`;
}

/** If-None-Match may list several validators, or `*`; weak comparison (RFC 9110 §13.1.2). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;

  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** Classic tokens' scope headers; fine-grained and installation tokens get none. */
function scopeHeaders(caller: Caller, acceptedScopes: string): Record<string, string> {
  if (caller.kind !== 'user' && caller.kind !== 'service') return {};
  if (caller.token.kind !== 'classic') return {};

  const scopes = caller.token.scopes.join(', ');
  return { 'X-OAuth-Scopes': scopes, 'X-Accepted-OAuth-Scopes': acceptedScopes };
}

/**
 * The REST API's request pipeline: authenticate, check the rate limit, route, then add the
 * headers every answer carries and turn a repeated GET into a 304.
 */
export class RestApi {
  constructor(
    private readonly directory: Directory,
    private readonly tokens: TokenStore,
    private readonly resources: Resources,
    private readonly rateLimit: RateLimit,
    private readonly webUrl: string,
  ) {}

  answer(req: IncomingMessage, path: string): Reply {
    const caller = this.authenticate(req.headers.authorization);
    if (!caller) return this.finish(req, { kind: 'anonymous' }, badCredentials(), '');
    if (this.rateLimit.exhausted()) return this.finish(req, caller, rateLimited(req, caller), '');

    const ctx: RouteContext = {
      caller,
      directory: this.directory,
      resources: this.resources,
      webUrl: this.webUrl,
    };
    const { answer, acceptedScopes } = dispatch(ctx, req.method ?? 'GET', path);
    return this.finish(req, caller, answer, acceptedScopes);
  }

  /** The caller the Authorization header names; undefined for an unknown or revoked token. */
  private authenticate(authorization: string | undefined): Caller | undefined {
    if (authorization === undefined) return { kind: 'anonymous' };

    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization.trim())?.[1];
    const record = token === undefined ? undefined : this.tokens.find(token);
    if (!record) return undefined;
    if (record.kind === 'installation') return { kind: 'installation', token: record };

    const account = this.directory.user(record.login);
    if (!account) return undefined;
    if (record.kind === 'classic' && record.service)
      return { kind: 'service', token: record, account };
    return { kind: 'user', token: record, account };
  }

  /**
   * Adds the ETag to a 200 and answers 304 when the client already holds it; a 304 is not
   * counted against the rate limit, every other answer is
   * (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
   */
  private finish(req: IncomingMessage, caller: Caller, answer: Answer, accepted: string): Reply {
    const json = answer.body === undefined ? undefined : JSON.stringify(answer.body);
    const etag =
      answer.status === 200 && json !== undefined
        ? etagOf(req.headers.authorization, json)
        : undefined;
    const notModified = etag !== undefined && matches(req.headers['if-none-match'], etag);
    if (!notModified) this.rateLimit.take();

    const headers = {
      'Content-Type': JSON_TYPE,
      'X-GitHub-Request-Id': requestId(),
      ...this.rateLimit.headers(),
      ...scopeHeaders(caller, accepted),
      ...(etag === undefined ? {} : { ETag: etag }),
      ...answer.headers,
    };
    return notModified ? { status: 304, headers } : { status: answer.status, headers, body: json };
  }
}

/** The primary rate limit's 403, naming what the limit was counted for as GitHub does. */
function rateLimited(req: IncomingMessage, caller: Caller): Answer {
  const body = (message: string) => ({ message, documentation_url: RATE_LIMIT_DOCS });
  if (caller.kind === 'installation') {
    const id = caller.token.installationId;
    return { status: 403, body: body(`API rate limit exceeded for installation ID ${id}.`) };
  }
  if (caller.kind !== 'anonymous') {
    return { status: 403, body: body(`API rate limit exceeded for user ID ${caller.account.id}.`) };
  }

  const address = req.socket.remoteAddress ?? '127.0.0.1';
  const goodNews =
    "(But here's the good news: Authenticated requests get a higher rate limit. " +
    'Check out the documentation for more details.)';
  return { status: 403, body: body(`API rate limit exceeded for ${address}. ${goodNews}`) };
}
