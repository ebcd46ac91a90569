import type { NextFunction, Request, Response } from 'express';

import { ANONYMOUS, principalId } from '../auth/principal';
import { ssoRefusal } from '../access/sso';
import { CredentialsError } from '../auth/credentials';
import type { Principal, SsoProbe } from '../auth/principal';
import type { SecretVerifier } from '../auth/credentials';
import type { Directory } from '../identity/directory';
import { requestFacts } from '../telemetry/access-log';
import { clearCookie, readCookie } from './cookies';
import { isSecure } from './csrf';
import type { Session, SessionGrant, SessionStore } from './sessions';

/**
 * Who is looking at a page: the user of the request's session cookie, or nobody. Lax, so a
 * link from another site opens the page signed in, while its forms stay behind CSRF checks.
 */
export const SESSION_COOKIE = 'crgate_session';

export interface Viewer extends SessionGrant {
  readonly login: string;
  /** GitHub's word on SAML SSO for the sign-in token, when it is a GitHub token. */
  readonly sso?: SsoProbe;
  /** The raw session id, for sign-out; never logged or rendered. */
  readonly sessionId: string;
}

const viewers = new WeakMap<Request, Viewer>();

export function viewerOf(req: Request): Viewer | undefined {
  return viewers.get(req);
}

/**
 * What a session may still do: nothing once its user is gone or its sign-in token is dead.
 * A token kept with the session (GitHub's) is asked about again, through the verifier's
 * cache, and what it may do now is what the session may do.
 */
async function standing(
  directory: Directory,
  tokens: SecretVerifier,
  session: Session,
): Promise<Pick<Viewer, 'scopes' | 'sso'> | undefined> {
  if (session.secret === undefined) {
    const [user, token] = await Promise.all([
      directory.userExists(session.login),
      tokens.isLive(session.tokenId),
    ]);
    return user && token ? { scopes: session.scopes } : undefined;
  }
  const principal = await tokens.principal(session.secret).catch((error: unknown) => {
    if (error instanceof CredentialsError) return undefined;
    throw error;
  });
  if (principal?.kind !== 'user' || principal.login !== session.login) return undefined;
  return { scopes: principal.scopes, sso: principal.sso };
}

/** Finds the viewer once per request, before the pages run; a dead cookie is removed. */
export function viewerStep(directory: Directory, tokens: SecretVerifier, sessions: SessionStore) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const id = readCookie(req, SESSION_COOKIE);
    const session = id === undefined ? undefined : await sessions.find(id);
    const live = session && (await standing(directory, tokens, session));

    if (id !== undefined && session && live) {
      const { login, tokenId, ssoOrgs } = session;
      const viewer: Viewer = { login, tokenId, ssoOrgs, ...live, sessionId: id };
      viewers.set(req, viewer);
      const facts = requestFacts(req);
      if (facts) facts.principal = principalId(viewerPrincipal(viewer));
    } else if (id !== undefined && session) {
      await sessions.delete(id);
      clearCookie(res, SESSION_COOKIE, { sameSite: 'Lax', secure: isSecure(req) });
    } else if (req.headers.cookie?.includes(`${SESSION_COOKIE}=`)) {
      clearCookie(res, SESSION_COOKIE, { sameSite: 'Lax', secure: isSecure(req) });
    }
    next();
  };
}

/** The viewer as a principal: the user, with the scopes of the token they signed in with. */
function viewerPrincipal(viewer: Omit<Viewer, 'sessionId'>): Principal {
  const { login, tokenId, scopes, ssoOrgs, sso } = viewer;
  return { kind: 'user', login, tokenId, scopes, ssoOrgs, sso };
}

/**
 * The principal whose role decides what the viewer sees in a namespace. An organization that
 * requires SSO sees a viewer signed in with a token not authorized for it as anonymous, as
 * the registry refuses that token there.
 */
export async function principalIn(
  directory: Directory,
  req: Request,
  namespace: string,
): Promise<Principal> {
  const viewer = viewerOf(req);
  if (!viewer) return ANONYMOUS;
  const principal = viewerPrincipal(viewer);
  return (await ssoRefusal(directory, principal, namespace)) ? ANONYMOUS : principal;
}
