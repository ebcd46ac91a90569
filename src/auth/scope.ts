/**
 * The Docker token scope grammar, from distribution's "Token Scope Documentation"
 * (docs/content/spec/auth/scope.md, "Resource Scope Grammar"):
 *
 *   scope         := resourcescope [ ' ' resourcescope ]*
 *   resourcescope := resourcetype ':' resourcename ':' action [ ',' action ]*
 *   resourcetype  := resourcetypevalue [ '(' resourcetypevalue ')' ]
 *
 * A scope names what a client asks for; the grant is decided elsewhere. This module only
 * reads and writes the text, in the shape of the JWT `access` claim (registry/auth/token's
 * ResourceActions: type, optional class, name, actions).
 */

/** The actions the registry protocol asks for; `*` is all of them (and `registry:catalog:*`). */
export type ScopeAction = 'pull' | 'push' | 'delete' | '*';

export const SCOPE_ACTIONS: readonly ScopeAction[] = ['pull', 'push', 'delete', '*'];

/** One element of the JWT `access` claim: a resource and the actions on it. */
export interface AccessEntry {
  type: string;
  /** The resource class, as in `repository(plugin)`; absent for plain resources. */
  class?: string;
  name: string;
  actions: string[];
}

export class ScopeError extends Error {
  readonly code = 'SCOPE_INVALID';

  constructor(
    /** The scope text that was refused; never a secret, so it may be logged. */
    readonly scope: string,
    message: string,
  ) {
    super(message);
    this.name = 'ScopeError';
  }
}

const RESOURCE_TYPE = /^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$/;

// resourcename := [ hostname '/' ] component [ '/' component ]*, per the same document. The
// grammar's separator allows an empty run of dashes; only a non-empty one means anything.
const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*(?::[0-9]+)?`;
const COMPONENT = '[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*';
const RESOURCE_NAME = new RegExp(`^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*$`);

// distribution's reference package caps a repository name at 255 characters
// (NameTotalLengthMax); nothing longer can name a repository the registry would accept.
const NAME_MAX_LENGTH = 255;

// action := /[a-z*]*/ in the grammar; only the known actions are kept from what it allows.
const ACTION = /^[a-z*]*$/;

export function isScopeAction(action: string): action is ScopeAction {
  return (SCOPE_ACTIONS as readonly string[]).includes(action);
}

/**
 * Reads one `scope` parameter value, which may hold several scopes separated by spaces.
 * Unknown actions are dropped rather than refused: asking for more than is possible is not
 * an error, the client just gets less (DESIGN.md, "Who may do what"). Scopes for the same
 * resource are merged. A blank value is no scope at all, as on `docker login`.
 */
export function parseScope(raw: string): AccessEntry[] {
  const scopes = raw.split(' ').filter((scope) => scope !== '');

  return mergeAccess(scopes.map(parseResourceScope));
}

function parseResourceScope(scope: string): AccessEntry {
  // The name may hold a colon of its own (`localhost:5000/foo`), so the type ends at the
  // first colon and the actions start after the last one.
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || first === last) {
    throw new ScopeError(scope, 'a scope is type:name:actions');
  }

  const { type, class: resourceClass } = parseResourceType(scope, scope.slice(0, first));
  const name = parseResourceName(scope, scope.slice(first + 1, last));
  const actions = parseActions(scope, scope.slice(last + 1));

  return accessEntry(type, resourceClass, name, actions);
}

// Built property by property, in the order the `access` claim lists them: V8 copies a spread
// of a freshly made object into a new one by a slow path, which showed in the token endpoint.
function accessEntry(
  type: string,
  resourceClass: string | undefined,
  name: string,
  actions: string[],
): AccessEntry {
  return resourceClass === undefined
    ? { type, name, actions }
    : { type, class: resourceClass, name, actions };
}

function parseResourceType(scope: string, text: string): Pick<AccessEntry, 'type' | 'class'> {
  const match = RESOURCE_TYPE.exec(text);
  if (!match?.[1]) throw new ScopeError(scope, 'the resource type is not [a-z0-9]+');

  return match[2] === undefined ? { type: match[1] } : { type: match[1], class: match[2] };
}

function parseResourceName(scope: string, name: string): string {
  if (name.length > NAME_MAX_LENGTH || !RESOURCE_NAME.test(name)) {
    throw new ScopeError(scope, 'the resource name is not a repository name');
  }
  return name;
}

function parseActions(scope: string, text: string): string[] {
  const actions = text.split(',');
  if (!actions.every((action) => ACTION.test(action))) {
    throw new ScopeError(scope, 'an action is not [a-z*]*');
  }
  return unique(actions.filter(isScopeAction));
}

/** The scope text for one entry, as `WWW-Authenticate: Bearer ... scope="..."` carries it. */
export function formatScope(entry: AccessEntry): string {
  const type = entry.class === undefined ? entry.type : `${entry.type}(${entry.class})`;

  return `${type}:${entry.name}:${entry.actions.join(',')}`;
}

/**
 * Merges entries for the same resource (type, class and name), taking the union of their
 * actions. Resources keep the order they first appear in, and so do actions.
 */
export function mergeAccess(entries: readonly AccessEntry[]): AccessEntry[] {
  const merged = new Map<string, AccessEntry>();

  for (const entry of entries) {
    const key = JSON.stringify([entry.type, entry.class ?? null, entry.name]);
    const seen = merged.get(key);
    if (seen) seen.actions = unique([...seen.actions, ...entry.actions]);
    else merged.set(key, { ...entry, actions: unique(entry.actions) });
  }

  return [...merged.values()];
}

function unique(actions: readonly string[]): string[] {
  return [...new Set(actions)];
}
