import type { Answer, RouteContext } from './context';
import {
  fail,
  isAnswer,
  notForIntegrations,
  notFound,
  ok,
  requiresAuthentication,
} from './context';
import { key } from './directory';
import type { Org } from './directory';
import { ssoRequired } from './sso';

/** GET /orgs/{org}: public, but an unauthorized token of a member is sent to SSO. */
export function getOrg(ctx: RouteContext, [name = '']: readonly string[]): Answer {
  return answerOrg(ctx, ctx.directory.org(name));
}

/** GET /organizations/{id}: the same organization, by its id. */
export function getOrgById(ctx: RouteContext, [id = '']: readonly string[]): Answer {
  return answerOrg(ctx, ctx.directory.orgById(Number(id)));
}

function answerOrg(ctx: RouteContext, org: Org | undefined): Answer {
  if (!org) return notFound();
  return ssoRequired(ctx, org) ?? ok(ctx.resources.org(org));
}

/**
 * Who may read an organization's members and teams: "the authenticated user must be an
 * organization member" (https://docs.github.com/rest/orgs/members#get-organization-membership-for-a-user).
 * The answer is the organization, or what to say instead.
 */
function memberView(ctx: RouteContext, name: string): Org | Answer {
  const { caller } = ctx;
  const org = ctx.directory.org(name);
  if (caller.kind === 'anonymous') return requiresAuthentication();
  if (!org) return notFound();
  // A workflow's GITHUB_TOKEN has no organization permissions.
  if (caller.kind === 'installation') return notForIntegrations();

  return ssoRequired(ctx, org) ?? org;
}

function isMember(ctx: RouteContext, org: Org): boolean {
  const { caller } = ctx;
  if (caller.kind === 'service') return true;
  return caller.kind === 'user' && org.members.has(key(caller.account.login));
}

/** GET /orgs/{org}/memberships/{username}: 404 for a non-member; a non-member asking gets 403. */
export function getOrgMembership(ctx: RouteContext, [name = '', login = '']: readonly string[]) {
  const org = memberView(ctx, name);
  if (isAnswer(org)) return org;
  if (!isMember(ctx, org)) {
    const message = `You must be a member of ${org.account.login} to see membership information for ${login}.`;
    return fail(403, message);
  }

  const user = ctx.directory.user(login);
  const role = user && org.members.get(key(user.login));
  return user && role ? ok(ctx.resources.membership(org, user, role)) : notFound();
}

/** GET /orgs/{org}/teams/{team_slug}: teams are visible to the organization's members. */
export function getTeam(ctx: RouteContext, [name = '', slug = '']: readonly string[]): Answer {
  const org = memberView(ctx, name);
  if (isAnswer(org)) return org;

  const team = isMember(ctx, org) ? org.teams.get(key(slug)) : undefined;
  return team ? ok(ctx.resources.team(org, team)) : notFound();
}

/** GET /orgs/{org}/teams/{team_slug}/memberships/{username}: 404 unless on the team. */
export function getTeamMembership(ctx: RouteContext, params: readonly string[]): Answer {
  const [name = '', slug = '', login = ''] = params;
  const org = memberView(ctx, name);
  if (isAnswer(org)) return org;

  const team = isMember(ctx, org) ? org.teams.get(key(slug)) : undefined;
  const user = ctx.directory.user(login);
  if (!team || !user || !team.members.has(key(user.login))) return notFound();
  return ok(ctx.resources.teamMembership(org, team, user));
}
