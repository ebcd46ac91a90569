import { readFile } from 'node:fs/promises';

import { expectStatus, send, withAuthorization } from './target';
import type { Target } from './target';

/**
 * How the benchmark signs in to crgate, the way docker and skopeo do (distribution, "Token
 * Authentication Specification"): an anonymous request earns a challenge naming the realm
 * and the service; a GET of the realm with Basic credentials, the personal access token as
 * password, answers with a bearer token for the scope asked. Tokens live 300 s, so every
 * timed run asks for a fresh one. Neither the token nor the PAT is ever printed or written
 * to the results.
 */
export interface Credentials {
  /** crgate with Basic credentials on every request, which crgate decides request by request. */
  readonly basic: Target;
  /** The path and query of a token request for `scope`, at the challenge's realm. */
  tokenPath(scope: string): string;
  /** `target` signed in for `scope`: crgate with a fresh bearer token, the others as they are. */
  signIn(target: Target, scope: string): Promise<Target>;
}

interface Challenge {
  readonly realmPath: string;
  readonly service: string;
}

// crgate ignores the username, as ghcr.io does: the token alone says who is asking.
const USERNAME = 'bench';
// distribution's token spec: clients may assume at least 60 s; every run here is shorter.
const MIN_TOKEN_SECONDS = 60;

export function repositoryScope(repository: string, actions: string): string {
  return `repository:${repository}:${actions}`;
}

function challengeParams(header: string): Record<string, string> {
  const pairs = [...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]);
  return Object.fromEntries(pairs) as Record<string, string>;
}

/** Reads the challenge of an anonymous `GET /v2/`; the realm must be on the host used. */
async function challenge(crgate: Target): Promise<Challenge> {
  const probe = expectStatus(
    await send(crgate, { method: 'GET', path: '/v2/' }),
    401,
    'crgate: anonymous GET /v2/',
  );
  const header = String(probe.headers['www-authenticate'] ?? '');
  const { realm, service } = challengeParams(header);
  if (!/^bearer /i.test(header) || !realm || !service) {
    throw new Error(`crgate: GET /v2/ challenged with "${header}", not a bearer realm`);
  }

  const url = new URL(realm);
  if (url.host !== crgate.host) {
    throw new Error(`crgate: realm ${realm} does not point at ${crgate.host}`);
  }
  return { realmPath: url.pathname, service };
}

interface TokenAnswer {
  readonly token?: unknown;
  readonly expires_in?: unknown;
}

/** A bearer token for the request at `path`; an error quotes the body only when it is not 200. */
async function bearerToken(basic: Target, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer) => chunks.push(chunk);
  const headers = { Accept: 'application/json' };
  const answer = await send(basic, { method: 'GET', path, headers, onData });
  expectStatus(answer, 200, 'crgate: GET /token');

  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TokenAnswer;
  if (typeof body.token !== 'string' || body.token === '') {
    throw new Error('crgate: GET /token answered without a token');
  }
  if (typeof body.expires_in !== 'number' || body.expires_in < MIN_TOKEN_SECONDS) {
    throw new Error(`crgate: GET /token answered expires_in ${String(body.expires_in)}`);
  }
  return body.token;
}

/** The personal access token in `file`; checked to look like one, never printed. */
export async function readPat(file: string): Promise<string> {
  const pat = (await readFile(file, 'utf8')).trim();
  if (!pat.startsWith('ghp_')) throw new Error(`${file} holds no personal access token`);
  return pat;
}

/** Signs in to `crgate` with the personal access token in `patFile`. */
export async function createCredentials(crgate: Target, patFile: string): Promise<Credentials> {
  const pat = await readPat(patFile);
  const { realmPath, service } = await challenge(crgate);
  const basicHeader = `Basic ${Buffer.from(`${USERNAME}:${pat}`).toString('base64')}`;
  const basic = withAuthorization(crgate, basicHeader);

  const tokenPath = (scope: string) => `${realmPath}?${new URLSearchParams({ service, scope })}`;
  const signIn = async (target: Target, scope: string) => {
    if (target.name !== 'crgate') return target;
    const token = await bearerToken(basic, tokenPath(scope));
    return withAuthorization(target, `Bearer ${token}`);
  };
  return { basic, tokenPath, signIn };
}
