import type { IncomingMessage, ServerResponse } from 'node:http';

import { REGISTRY_ACTIONS } from '../access/decide';
import type { AccessControl } from '../access/decide';
import { isValidRepositoryName } from '../registry/classify';
import { RegistryError } from '../registry/errors';
import { REFUSALS_CLAIM } from './authenticate';
import { CredentialsError, parseBasic, RateLimitedError, tooManyRequests } from './credentials';
import type { PasswordChecker } from './credentials';
import type { TokenSigner } from './jwt';
import { TokenError } from './jwt';
import { ANONYMOUS } from './principal';
import type { Principal } from './principal';
import { mergeAccess, parseScope, ScopeError } from './scope';
import type { AccessEntry } from './scope';

/**
 * The token endpoint of the registry origin (distribution, "Token Authentication
 * Specification" and "OAuth2 Token Authentication"): `GET /token` with Basic credentials or
 * none, and `POST /token` with the password or refresh-token grant. It answers with a
 * short-lived JWT granting what was asked for and allowed, never more; asking for more is
 * not an error.
 */
export interface TokenEndpointOptions {
  readonly signer: TokenSigner;
  readonly access: AccessControl;
  readonly passwords: PasswordChecker;
  /** The client's address, for the rate limit on failed sign-ins. */
  readonly addressOf: (req: IncomingMessage) => string;
  /** The service name of the challenge; tokens are minted for it alone. */
  readonly service: string;
  readonly tokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
}

interface TokenRequest {
  readonly service?: string;
  readonly scopes: readonly string[];
  readonly offline: boolean;
  /** How the client proved who it is; undefined for anonymous. */
  readonly credentials?:
    { readonly username: string; readonly password: string } | { readonly refreshToken: string };
}

const MAX_FORM_BYTES = 16 * 1024;

function invalidRequest(message: string): RegistryError {
  return new RegistryError('INVALID_REQUEST', message);
}

function credentialsRefused(message: string): RegistryError {
  return new RegistryError('UNAUTHORIZED', message);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_FORM_BYTES) reject(invalidRequest('the token request is too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function fromQuery(req: IncomingMessage): TokenRequest {
  const query = new URL(req.url ?? '/', 'http://token').searchParams;
  const basic = req.headers.authorization ? parseBasic(req.headers.authorization) : undefined;
  if (req.headers.authorization && !basic) throw credentialsRefused('use Basic credentials');
  return {
    service: query.get('service') ?? undefined,
    scopes: query.getAll('scope'),
    offline: query.get('offline_token') === 'true',
    credentials: basic,
  };
}

async function fromForm(req: IncomingMessage): Promise<TokenRequest> {
  const form = await readForm(req);
  const grant = form.get('grant_type');
  const common = {
    service: form.get('service') ?? undefined,
    scopes: form.getAll('scope'),
    offline: form.get('access_type') === 'offline',
  };
  if (grant === 'password') {
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    return { ...common, offline: true, credentials: { username, password } };
  }
  if (grant === 'refresh_token') {
    return { ...common, credentials: { refreshToken: form.get('refresh_token') ?? '' } };
  }
  throw invalidRequest('grant_type must be password or refresh_token');
}

export function createTokenEndpoint(options: TokenEndpointOptions) {
  const { signer, access: control } = options;
  const { verifier } = options.passwords;

  async function principalFor(request: TokenRequest, address: string): Promise<Principal> {
    const credentials = request.credentials;
    if (!credentials) return ANONYMOUS;
    if ('password' in credentials) {
      return options.passwords.check(credentials.password, credentials.username, address);
    }
    return principalFromRefresh(credentials.refreshToken);
  }

  async function principalFromRefresh(refreshToken: string): Promise<Principal> {
    let tokenId: unknown;
    try {
      const { claims } = await signer.verify(refreshToken);
      tokenId = claims.use === 'refresh' ? claims.tid : undefined;
    } catch (error) {
      if (error instanceof TokenError) throw new CredentialsError('invalid refresh token');
      throw error;
    }
    const principal = typeof tokenId === 'string' ? await verifier.refreshed(tokenId) : undefined;
    if (!principal) {
      throw new CredentialsError(
        'the token behind this login was revoked or expired; log in again',
      );
    }
    return principal;
  }

  async function grant(
    entry: AccessEntry,
    principal: Principal,
    refusals: Record<string, string>,
  ): Promise<AccessEntry> {
    // Everyone may list the catalog: it shows each asker only the packages they may pull.
    if (entry.type === 'registry' && entry.name === 'catalog' && entry.actions.includes('*')) {
      return { type: entry.type, name: entry.name, actions: ['*'] };
    }
    if (entry.type !== 'repository' || entry.class || !isValidRepositoryName(entry.name)) {
      return { ...entry, actions: [] };
    }
    const asked = entry.actions.includes('*')
      ? REGISTRY_ACTIONS
      : REGISTRY_ACTIONS.filter((action) => entry.actions.includes(action));
    const decision = await control.decide(principal, entry.name, asked);
    if (decision.refusal) refusals[entry.name] = decision.refusal;
    return { type: entry.type, name: entry.name, actions: [...decision.granted] };
  }

  async function issue(request: TokenRequest, principal: Principal) {
    // Clients repeat scopes (skopeo asks for the same one twice); one entry per resource.
    const asked = mergeAccess(request.scopes.flatMap((scope) => parseScope(scope)));
    const refusals: Record<string, string> = {};
    const access = await Promise.all(asked.map((entry) => grant(entry, principal, refusals)));
    const extra = claimsOf(principal);
    if (Object.keys(refusals).length > 0) extra[REFUSALS_CLAIM] = refusals;
    const signed = await signer.sign({
      subject: subjectOf(principal),
      access,
      ttlSeconds: options.tokenTtlSeconds,
      extra,
    });
    const body: Record<string, unknown> = {
      token: signed.token,
      access_token: signed.token,
      expires_in: signed.expiresIn,
      issued_at: signed.issuedAt.toISOString(),
    };
    if (request.offline && principal.kind === 'user' && verifier.tracksRevocation) {
      body.refresh_token = await refreshTokenFor(principal);
    }
    return body;
  }

  async function refreshTokenFor(principal: Principal & { kind: 'user' }): Promise<string> {
    const signed = await signer.sign({
      subject: principal.login,
      access: [],
      ttlSeconds: options.refreshTokenTtlSeconds,
      extra: { use: 'refresh', tid: principal.tokenId },
    });
    return signed.token;
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<Principal> => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw new RegistryError('UNSUPPORTED', 'use GET or POST', undefined, { Allow: 'GET, POST' });
    }
    const request = req.method === 'GET' ? fromQuery(req) : await fromForm(req);
    if (request.service && request.service !== options.service) {
      throw invalidRequest(`this token service is ${options.service}, not ${request.service}`);
    }

    let principal: Principal;
    try {
      principal = await principalFor(request, options.addressOf(req));
    } catch (error) {
      if (error instanceof CredentialsError) throw credentialsRefused(error.message);
      if (error instanceof RateLimitedError) throw tooManyRequests(error);
      throw error;
    }
    const body = await issueOrRefuse(request, principal);
    const json = JSON.stringify(body);
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
      'Cache-Control': 'no-store',
    });
    res.end(json);
    return principal;
  };

  async function issueOrRefuse(request: TokenRequest, principal: Principal) {
    try {
      return await issue(request, principal);
    } catch (error) {
      if (error instanceof ScopeError) throw invalidRequest(`invalid scope "${error.scope}"`);
      throw error;
    }
  }
}

function subjectOf(principal: Principal): string {
  if (principal.kind === 'user') return principal.login;
  if (principal.kind === 'workflow') return principal.repository;
  return 'anonymous';
}

function claimsOf(principal: Principal): Record<string, unknown> {
  if (principal.kind === 'anonymous') return { kind: 'anonymous' };
  const claims: Record<string, unknown> = { kind: principal.kind, tid: principal.tokenId };
  if (principal.kind === 'workflow') claims.permission = principal.permission;
  return claims;
}
