import type { Answer, RouteContext } from './context';
import { fail } from './context';
import { key } from './directory';
import type { Org } from './directory';
import { randomAlnum } from './tokens';

/**
 * Whether SAML SSO keeps this caller's token out of the organization: a classic token of one
 * of its members that was not authorized for it. Outside collaborators and non-members are not
 * asked for a SAML identity, fine-grained tokens are authorized when they are made, and
 * crgate's service token is authorized everywhere.
 */
function blockedBySso(ctx: RouteContext, org: Org): boolean {
  const { caller } = ctx;
  if (!org.samlSso || caller.kind !== 'user' || caller.token.kind !== 'classic') return false;

  const member = org.members.has(key(caller.account.login));
  return member && !caller.token.ssoAuthorized.has(key(org.account.login));
}

/**
 * The 403 a request for an SSO organization's resources gets when the token was not authorized
 * for it, with the URL that would authorize it (GitHub documents a 404 as possible too; this
 * fake always gives the 403):
 * https://docs.github.com/rest/authentication/authenticating-to-the-rest-api#personal-access-tokens-and-saml-sso
 */
export function ssoRequired(ctx: RouteContext, org: Org | undefined): Answer | undefined {
  if (!org || !blockedBySso(ctx, org)) return undefined;

  const login = org.account.login;
  const url = `${ctx.webUrl}/orgs/${login}/sso?authorization_request=${randomAlnum(32)}`;
  const message =
    'Resource protected by organization SAML enforcement. ' +
    'You must grant your Personal Access token access to this organization.';
  return fail(403, message, { 'X-GitHub-SSO': `required; url=${url}` });
}

/**
 * Splits organizations into those the token may see and those SSO hides. GitHub leaves the
 * hidden ones out of a list and names their ids in `X-GitHub-SSO: partial-results`.
 */
export function partitionBySso(ctx: RouteContext, orgs: Org[]) {
  const hidden = orgs.filter((org) => blockedBySso(ctx, org));
  const visible = orgs.filter((org) => !hidden.includes(org));
  if (!hidden.length) return { visible, headers: undefined };

  const ids = hidden.map((org) => org.account.id).join(',');
  return { visible, headers: { 'X-GitHub-SSO': `partial-results; organizations=${ids}` } };
}
