import type { Authentication } from '../auth/authenticate';
import type { AccessEntry } from '../auth/scope';
import type { Directory } from '../identity/directory';
import type { RegistryRoute } from '../registry/classify';
import { RegistryError } from '../registry/errors';
import { decide } from './decide';
import type { RegistryAction } from './decide';

/**
 * The authorize step of the registry origin. A bearer token carries its grant, decided when
 * it was issued; Basic credentials and anonymous requests are decided now. The outcome is
 * one of: allowed; `challenge` (401: get a token for this scope); `denied` (403, with why).
 */
export type Verdict =
  | { readonly outcome: 'allowed' }
  | { readonly outcome: 'challenge'; readonly message: string; readonly insufficient: boolean }
  | { readonly outcome: 'denied'; readonly error: RegistryError };

const ALLOWED: Verdict = { outcome: 'allowed' };

export function accessAllows(
  access: readonly AccessEntry[],
  repository: string,
  action: RegistryAction,
): boolean {
  const entry = access.find((e) => e.type === 'repository' && e.name === repository);
  const actions = entry?.actions ?? [];
  return actions.includes(action) || actions.includes('*');
}

function denied(message: string): Verdict {
  return { outcome: 'denied', error: new RegistryError('DENIED', message) };
}

async function byBearer(
  directory: Directory,
  auth: Authentication & { access: readonly AccessEntry[] },
  repository: string,
  action: RegistryAction,
): Promise<Verdict> {
  if (accessAllows(auth.access, repository, action)) return ALLOWED;
  if (auth.principal.kind === 'anonymous') {
    return { outcome: 'challenge', message: 'authentication required', insufficient: false };
  }
  const refusal = auth.refusals?.[repository];
  if (refusal) return denied(refusal);

  // The token was asked for less than this request needs. If a new token could grant it,
  // send the client for one; if not, say why now rather than after another round trip.
  const issuer = await auth.issuer?.();
  const decision = issuer ? await decide(directory, issuer, repository, [action]) : undefined;
  if (decision && !decision.granted.includes(action)) {
    return denied(decision.refusal ?? `permission denied on ${repository}`);
  }
  const message = `this token does not cover ${action} on ${repository}`;
  return { outcome: 'challenge', message, insufficient: true };
}

async function byDecision(
  directory: Directory,
  auth: Authentication,
  repository: string,
  action: RegistryAction,
): Promise<Verdict> {
  const decision = await decide(directory, auth.principal, repository, [action]);
  if (decision.granted.includes(action)) return ALLOWED;
  if (auth.principal.kind === 'anonymous') {
    return { outcome: 'challenge', message: 'authentication required', insufficient: false };
  }
  return denied(decision.refusal ?? `permission denied on ${repository}`);
}

/** Whether this authenticated request may do what its route asks. */
export async function authorize(
  directory: Directory,
  route: RegistryRoute,
  auth: Authentication,
): Promise<Verdict> {
  if (route.kind === 'base') {
    return auth.principal.kind === 'anonymous'
      ? { outcome: 'challenge', message: 'authentication required', insufficient: false }
      : ALLOWED;
  }
  if (route.kind === 'catalog' || !route.repository || !route.action) {
    // TODO: the catalog lists only readable packages once package records exist.
    return auth.principal.kind === 'anonymous'
      ? { outcome: 'challenge', message: 'authentication required', insufficient: false }
      : denied('the catalog is not available; list a package’s tags instead');
  }
  const action = route.action as RegistryAction;
  return auth.access
    ? byBearer(directory, { ...auth, access: auth.access }, route.repository, action)
    : byDecision(directory, auth, route.repository, action);
}

/** Whether a cross-repository mount may read its source; if not, it becomes a plain upload. */
export async function mayMountFrom(
  directory: Directory,
  auth: Authentication,
  source: string,
): Promise<boolean> {
  if (auth.access) return accessAllows(auth.access, source, 'pull');
  return (await decide(directory, auth.principal, source, ['pull'])).granted.includes('pull');
}
