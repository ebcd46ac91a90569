import type { Answer, RouteContext } from './context';
import {
  fail,
  isAnswer,
  lacksScope,
  notForIntegrations,
  notFound,
  ok,
  requiresAuthentication,
} from './context';
import { atLeast, key } from './directory';
import type { Repo, RepoRole } from './directory';
import { ssoRequired } from './sso';

/** The caller's role on the repository, for those whose access follows a user's roles. */
function callerRole(ctx: RouteContext, repo: Repo): RepoRole | undefined {
  const { caller } = ctx;
  return caller.kind === 'user' ? ctx.directory.roleOn(repo, caller.account.login) : undefined;
}

function ownsRepo(ctx: RouteContext, repo: Repo): boolean {
  const { caller } = ctx;
  return caller.kind === 'installation' && key(caller.token.repository) === key(repo.fullName);
}

/**
 * The repository if the caller may see it, else what to answer. GitHub answers 404, never 403,
 * for a private repository out of reach, so as not to tell that it exists; a classic token sees
 * private repositories only with the `repo` scope
 * (https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps#available-scopes).
 */
function visibleRepo(ctx: RouteContext, owner: string, name: string): Repo | Answer {
  const repo = ctx.directory.repo(owner, name);
  const { caller } = ctx;
  if (!repo) return notFound();
  if (repo.visibility === 'public' || caller.kind === 'service' || ownsRepo(ctx, repo)) return repo;
  if (caller.kind !== 'user' || lacksScope(caller, ['repo'])) return notFound();

  const sso = ssoRequired(ctx, ctx.directory.org(repo.owner.login));
  if (sso) return sso;
  return callerRole(ctx, repo) ? repo : notFound();
}

/** GET /repos/{owner}/{repo}; a signed-in user also gets their `permissions` on it. */
export function getRepo(ctx: RouteContext, [owner = '', name = '']: readonly string[]): Answer {
  const repo = visibleRepo(ctx, owner, name);
  if (isAnswer(repo)) return repo;

  return ok(ctx.resources.repo(repo, callerRole(ctx, repo)));
}

/**
 * Whether the caller may ask others' permissions on the repository. GitHub requires push
 * access of the caller and answers 403 "Must have push access to view collaborator permission."
 * otherwise; the reference does not say so, it is what the API answers. A workflow's
 * GITHUB_TOKEN may ask about its own repository.
 */
function mayReadPermissions(ctx: RouteContext, repo: Repo): Answer | undefined {
  const { caller } = ctx;
  if (caller.kind === 'service' || ownsRepo(ctx, repo)) return undefined;
  if (caller.kind === 'installation') return notForIntegrations();

  const sso = ssoRequired(ctx, ctx.directory.org(repo.owner.login));
  if (sso) return sso;
  if (atLeast(callerRole(ctx, repo), 'write')) return undefined;
  return fail(403, 'Must have push access to view collaborator permission.');
}

/**
 * The repository and user a collaborator question is about, when the caller may ask it (push
 * access, or the repository's own installation); else GitHub's refusal.
 */
function collaboratorQuestion(ctx: RouteContext, params: readonly string[]) {
  const [owner = '', name = '', login = ''] = params;
  if (ctx.caller.kind === 'anonymous') return requiresAuthentication();
  const repo = visibleRepo(ctx, owner, name);
  if (isAnswer(repo)) return repo;

  const refused = mayReadPermissions(ctx, repo);
  if (refused) return refused;
  const user = ctx.directory.user(login);
  return user ? { repo, user } : notFound();
}

/** GET /repos/{owner}/{repo}/collaborators/{username}/permission. */
export function getCollaboratorPermission(ctx: RouteContext, params: readonly string[]): Answer {
  const question = collaboratorQuestion(ctx, params);
  if (isAnswer(question)) return question;
  const { repo, user } = question;
  return ok(ctx.resources.permission(user, ctx.directory.roleOn(repo, user.login)));
}

/**
 * GET /repos/{owner}/{repo}/collaborators/{username}: 204 for someone given a role on the
 * repository (owners, collaborators, teams), 404 for anyone else, everyone's read included.
 */
export function checkCollaborator(ctx: RouteContext, params: readonly string[]): Answer {
  const question = collaboratorQuestion(ctx, params);
  if (isAnswer(question)) return question;
  return ctx.directory.grantedRoleOn(question.repo, question.user.login)
    ? { status: 204 }
    : notFound();
}

/** GET /installation/repositories: only an installation token may list its repositories. */
export function listInstallationRepos(ctx: RouteContext): Answer {
  const { caller } = ctx;
  if (caller.kind === 'anonymous') return requiresAuthentication();
  if (caller.kind !== 'installation') {
    const message =
      'You must authenticate with an installation access token in order to list repositories for an installation.';
    return fail(403, message);
  }

  const repo = ctx.directory.repoByFullName(caller.token.repository);
  const repositories = repo ? [ctx.resources.repo(repo)] : [];
  const selection = { total_count: repositories.length, repository_selection: 'selected' };
  return ok({ ...selection, repositories });
}
