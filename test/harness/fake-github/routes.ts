import type { Answer, RouteContext } from './context';
import { notFound } from './context';
import { getOrg, getOrgById, getOrgMembership, getTeam, getTeamMembership } from './orgs';
import {
  checkCollaborator,
  getCollaboratorPermission,
  getRepo,
  listInstallationRepos,
} from './repos';
import { getAuthenticatedUser, getUser, listUserOrgs } from './users';

type Handler = (ctx: RouteContext, params: readonly string[]) => Answer;

interface Route {
  readonly pattern: RegExp;
  readonly handler: Handler;
  /** X-Accepted-OAuth-Scopes: the classic scopes the endpoint accepts (empty: none needed). */
  readonly acceptedScopes: string;
}

const ORG_SCOPES = 'admin:org, read:org, repo, user, write:org';

const SEGMENT = '([^/]+)';

function route(path: string, handler: Handler, acceptedScopes = ''): Route {
  const pattern = new RegExp(`^${path.replace(/\{[a-z_]+\}/g, SEGMENT)}$`);
  return { pattern, handler, acceptedScopes };
}

/** Every endpoint the fake answers, with the path templates of GitHub's reference. */
const ROUTES: readonly Route[] = [
  route('/user', getAuthenticatedUser),
  route('/user/orgs', listUserOrgs, ORG_SCOPES),
  route('/users/{username}', getUser),
  route('/organizations/{id}', getOrgById),
  route('/orgs/{org}', getOrg),
  route('/orgs/{org}/memberships/{username}', getOrgMembership, ORG_SCOPES),
  route('/orgs/{org}/teams/{team_slug}', getTeam, ORG_SCOPES),
  route('/orgs/{org}/teams/{team_slug}/memberships/{username}', getTeamMembership, ORG_SCOPES),
  route('/repos/{owner}/{repo}', getRepo, 'repo'),
  route('/repos/{owner}/{repo}/collaborators/{username}', checkCollaborator, 'repo'),
  route(
    '/repos/{owner}/{repo}/collaborators/{username}/permission',
    getCollaboratorPermission,
    'repo',
  ),
  route('/installation/repositories', listInstallationRepos),
];

export interface Routed {
  readonly answer: Answer;
  readonly acceptedScopes: string;
}

/** The answer for a GET (or HEAD) of an API path; GitHub answers 404 for anything else. */
export function dispatch(ctx: RouteContext, method: string, path: string): Routed {
  if (method !== 'GET' && method !== 'HEAD') return { answer: notFound(), acceptedScopes: '' };

  for (const { pattern, handler, acceptedScopes } of ROUTES) {
    const match = pattern.exec(path);
    if (match) return { answer: handler(ctx, match.slice(1).map(decodeSegment)), acceptedScopes };
  }
  return { answer: notFound(), acceptedScopes: '' };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
