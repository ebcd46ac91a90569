import type { Authentication } from '../auth/authenticate';
import type { AccessEntry } from '../auth/scope';
import type { RegistryRoute } from '../registry/classify';
import { RegistryError } from '../registry/errors';
import type { AccessControl, RegistryAction } from './decide';

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

function catalogAllowed(access: readonly AccessEntry[]): boolean {
  const entry = access.find((e) => e.type === 'registry' && e.name === 'catalog');
  return entry?.actions.includes('*') ?? false;
}

function denied(message: string): Verdict {
  return { outcome: 'denied', error: new RegistryError('DENIED', message) };
}

const AUTHENTICATION_REQUIRED: Verdict = {
  outcome: 'challenge',
  message: 'authentication required',
  insufficient: false,
};

async function byBearer(
  control: AccessControl,
  auth: Authentication & { access: readonly AccessEntry[] },
  repository: string,
  action: RegistryAction,
): Promise<Verdict> {
  if (accessAllows(auth.access, repository, action)) return ALLOWED;
  if (auth.principal.kind === 'anonymous') return AUTHENTICATION_REQUIRED;
  const refusal = auth.refusals?.[repository];
  if (refusal) return denied(refusal);

  // The token was asked for less than this request needs. If a new token could grant it,
  // send the client for one; if not, say why now rather than after another round trip.
  const issuer = await auth.issuer?.();
  const decision = issuer ? await control.decide(issuer, repository, [action]) : undefined;
  if (decision && !decision.granted.includes(action)) {
    return denied(decision.refusal ?? `permission denied on ${repository}`);
  }
  const message = `this token does not cover ${action} on ${repository}`;
  return { outcome: 'challenge', message, insufficient: true };
}

async function byDecision(
  control: AccessControl,
  auth: Authentication,
  repository: string,
  action: RegistryAction,
): Promise<Verdict> {
  const decision = await control.decide(auth.principal, repository, [action]);
  if (decision.granted.includes(action)) return ALLOWED;
  if (auth.principal.kind === 'anonymous') return AUTHENTICATION_REQUIRED;
  return denied(decision.refusal ?? `permission denied on ${repository}`);
}

/** Whether this authenticated request may do what its route asks. */
export async function authorize(
  control: AccessControl,
  route: RegistryRoute,
  auth: Authentication,
): Promise<Verdict> {
  if (route.kind === 'base') {
    // Any valid bearer token will do, an anonymous one included, as with registry:2.
    return auth.principal.kind === 'anonymous' && !auth.access ? AUTHENTICATION_REQUIRED : ALLOWED;
  }
  if (route.kind === 'catalog') return catalogVerdict(auth);
  if (!route.repository || !route.action) return denied('permission denied');

  const action = route.action as RegistryAction;
  return auth.access
    ? byBearer(control, { ...auth, access: auth.access }, route.repository, action)
    : byDecision(control, auth, route.repository, action);
}

/**
 * Anyone may ask for the catalog: it lists only the packages the asker may pull. A bearer
 * token must carry `registry:catalog:*`, as registry:2 requires; Basic credentials need not.
 */
function catalogVerdict(auth: Authentication): Verdict {
  if (auth.access) {
    if (catalogAllowed(auth.access)) return ALLOWED;
    return {
      outcome: 'challenge',
      message: 'this token does not cover the catalog',
      insufficient: true,
    };
  }
  return auth.principal.kind === 'anonymous' ? AUTHENTICATION_REQUIRED : ALLOWED;
}

/** Whether a cross-repository mount may read its source; if not, it becomes a plain upload. */
export async function mayMountFrom(
  control: AccessControl,
  auth: Authentication,
  source: string,
): Promise<boolean> {
  if (auth.access) return accessAllows(auth.access, source, 'pull');
  return (await control.decide(auth.principal, source, ['pull'])).granted.includes('pull');
}
