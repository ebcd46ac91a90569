import type { Account, Directory } from './directory';
import type { Resources } from './resources';
import type { ClassicToken, FineGrainedToken, InstallationToken } from './tokens';

/** Who a request comes from, as the Authorization header names them. */
export type Caller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'service'; readonly token: ClassicToken; readonly account: Account }
  | {
      readonly kind: 'user';
      readonly token: ClassicToken | FineGrainedToken;
      readonly account: Account;
    }
  | { readonly kind: 'installation'; readonly token: InstallationToken };

export interface RouteContext {
  readonly caller: Caller;
  readonly directory: Directory;
  readonly resources: Resources;
  readonly webUrl: string;
}

/** A handler's answer; the REST layer adds the headers every answer carries. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const DOCS = 'https://docs.github.com/rest';

export function ok(body: unknown, headers?: Record<string, string>): Answer {
  return { status: 200, body, headers };
}

/** GitHub's error body: a message and where its documentation lives. */
export function fail(status: number, message: string, headers?: Record<string, string>): Answer {
  return { status, body: { message, documentation_url: DOCS }, headers };
}

export const notFound = (): Answer => fail(404, 'Not Found');

export const requiresAuthentication = (): Answer => fail(401, 'Requires authentication');

export const badCredentials = (): Answer => fail(401, 'Bad credentials');

/** What GitHub answers an installation token on an endpoint its permissions do not reach. */
export const notForIntegrations = (): Answer => fail(403, 'Resource not accessible by integration');

/** Whether a handler's intermediate result is already the answer. */
export function isAnswer(value: object): value is Answer {
  return 'status' in value;
}

/** True when the caller's classic token has none of the scopes; other callers have no scopes. */
export function lacksScope(caller: Caller, scopes: readonly string[]): boolean {
  if (caller.kind !== 'user' || caller.token.kind !== 'classic') return false;

  const held = caller.token.scopes;
  return !scopes.some((scope) => held.includes(scope));
}
