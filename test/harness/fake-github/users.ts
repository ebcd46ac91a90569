import type { Answer, RouteContext } from './context';
import {
  fail,
  lacksScope,
  notForIntegrations,
  notFound,
  ok,
  requiresAuthentication,
} from './context';
import { partitionBySso } from './sso';

/** GET /user: the token's own user; an installation has none. */
export function getAuthenticatedUser(ctx: RouteContext): Answer {
  const { caller } = ctx;
  if (caller.kind === 'anonymous') return requiresAuthentication();
  if (caller.kind === 'installation') return notForIntegrations();

  return ok(ctx.resources.publicUser(caller.account));
}

/** The classic scopes that let a token list its user's organizations. */
const ORG_LISTING_SCOPES = ['user', 'read:org', 'write:org', 'admin:org'];

/**
 * GET /user/orgs. As documented (https://docs.github.com/rest/orgs/orgs#list-organizations-for-the-authenticated-user):
 * a classic token needs `user` or `read:org` (or a wider org scope) else 403, and a fine-grained
 * token gets 200 with an empty list. SSO organizations the token was not authorized for are
 * left out and named in X-GitHub-SSO.
 */
export function listUserOrgs(ctx: RouteContext): Answer {
  const { caller, directory } = ctx;
  if (caller.kind === 'anonymous') return requiresAuthentication();
  if (caller.kind === 'installation') return notForIntegrations();
  if (caller.token.kind === 'fine-grained') return ok([]);

  if (lacksScope(caller, ORG_LISTING_SCOPES)) {
    return fail(403, 'You need at least read:org or user scope to list your organizations.');
  }

  // crgate's service account stands in for a member of every organization it reads.
  const orgs =
    caller.kind === 'service' ? directory.allOrgs() : directory.orgsOf(caller.account.login);
  const { visible, headers } = partitionBySso(ctx, orgs);
  const body = visible.map((org) => ctx.resources.orgSimple(org));
  return ok(body, headers);
}

/** GET /users/{login}: public, and answers for organizations too (type Organization). */
export function getUser(ctx: RouteContext, [login = '']: readonly string[]): Answer {
  const account = ctx.directory.account(login);
  return account ? ok(ctx.resources.publicUser(account)) : notFound();
}
