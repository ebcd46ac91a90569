import type { PublicOrigin } from '../hosts';
import type { RegistryRoute } from '../registry/classify';
import { RegistryError } from '../registry/errors';

/**
 * The one place that builds the `WWW-Authenticate` challenge of the Docker token protocol
 * (distribution, "Token Authentication Specification"): where to get a token (realm), for
 * which service, for which scope, and, when a token was sent, what was wrong with it.
 */
export type ChallengeError = 'invalid_token' | 'insufficient_scope';

export function challengeHeader(
  origin: PublicOrigin,
  service: string,
  scope?: string,
  error?: ChallengeError,
): string {
  let header = `Bearer realm="${origin.base}/token",service="${service}"`;
  if (scope) header += `,scope="${scope}"`;
  if (error) header += `,error="${error}"`;
  return header;
}

/** The scope a client must ask for to make this request, as docker itself would ask. */
export function scopeFor(route: RegistryRoute): string | undefined {
  if (route.kind === 'catalog') return 'registry:catalog:*';
  if (!route.repository || !route.action) return undefined;
  const actions = route.action === 'push' ? 'pull,push' : route.action;
  return `repository:${route.repository}:${actions}`;
}

/** A 401 that tells the client where and how to authenticate. */
export function unauthorized(
  message: string,
  origin: PublicOrigin,
  service: string,
  route?: RegistryRoute,
  error?: ChallengeError,
): RegistryError {
  const scope = route ? scopeFor(route) : undefined;
  return new RegistryError('UNAUTHORIZED', message, undefined, {
    'WWW-Authenticate': challengeHeader(origin, service, scope, error),
  });
}
