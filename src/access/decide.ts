import type { Logger } from 'winston';

import type { Principal } from '../auth/principal';
import type { PackageScope } from '../auth/token-store';
import type { Directory } from '../identity/directory';
import { splitRepository } from '../packages/package';
import type { Package, PackageRole } from '../packages/package';
import type { PackageStore } from '../packages/package-store';
import { unavailable } from '../registry/errors';
import type { Metrics } from '../telemetry/metrics';
import { ShortMemo } from '../state/short-memo';
import type { DecisionCache, FullDecision } from './decision-cache';
import { packageRole } from './roles';
import { ssoRefusal } from './sso';

/**
 * What a principal may do on a package (DESIGN.md, "Who may do what"): a role, capped by the
 * token's scopes, intersected with what was asked. Asking for more is not an error; the
 * client gets less, with a refusal that says why.
 */
export type RegistryAction = 'pull' | 'push' | 'delete';

export const REGISTRY_ACTIONS: readonly RegistryAction[] = ['pull', 'push', 'delete'];

export interface Decision {
  readonly granted: readonly RegistryAction[];
  /** Why something asked for was not granted, in words the user can act on. */
  readonly refusal?: string;
}

const ROLE_ACTIONS: Readonly<Record<PackageRole, readonly RegistryAction[]>> = {
  read: ['pull'],
  write: ['pull', 'push'],
  admin: ['pull', 'push', 'delete'],
};

const SCOPE_FOR: Readonly<Record<RegistryAction, PackageScope>> = {
  pull: 'read:packages',
  push: 'write:packages',
  delete: 'delete:packages',
};

function scopeAllows(scopes: readonly PackageScope[], action: RegistryAction): boolean {
  // write:packages implies read:packages, as on GitHub.
  if (action === 'pull')
    return scopes.includes('read:packages') || scopes.includes('write:packages');
  return scopes.includes(SCOPE_FOR[action]);
}

/** The part of a principal its decisions rest on: a token's scopes never change, so its id. */
function cacheIdentity(principal: Principal): string {
  return principal.kind === 'anonymous' ? 'anonymous' : `${principal.kind}:${principal.tokenId}`;
}

// A decision this replica made is reused for up to a second without asking Redis: within the
// one second in which a change must reach every replica, and it spares a round trip per
// request when the same token pulls layer after layer.
const MEMO_MS = 1_000;
const MEMO_ENTRIES = 10_000;

export class AccessControl {
  private readonly memo: ShortMemo<FullDecision>;

  constructor(
    private readonly directory: Directory,
    private readonly packages: PackageStore,
    private readonly cache: DecisionCache,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    /** 0 turns the in-process memo off: every decision then consults Redis. */
    memoMs = MEMO_MS,
  ) {
    this.memo = new ShortMemo(memoMs, MEMO_ENTRIES);
  }

  async decide(
    principal: Principal,
    repository: string,
    asked: readonly RegistryAction[],
  ): Promise<Decision> {
    const full = await this.decideAll(principal, repository);
    const granted = asked.filter((action) => full.granted.includes(action));
    // The refusal of the most demanding action asked: a client that asks for pull and push is
    // pushing, and what stops the push is what it needs to hear.
    const refusal = [...REGISTRY_ACTIONS]
      .reverse()
      .filter((action) => asked.includes(action))
      .map((action) => full.refusals[action])
      .find(Boolean);
    return refusal ? { granted, refusal } : { granted };
  }

  /** The decision for every action: from the memo, else the cache when it is still true. */
  private async decideAll(principal: Principal, repository: string): Promise<FullDecision> {
    const identity = cacheIdentity(principal);
    const directoryVersion = this.directory.version();
    const memoKey = `${directoryVersion} ${identity} ${repository}`;
    const memoized = this.memo.get(memoKey);
    if (memoized) {
      this.metrics.decisions.inc({ cache: 'memo' });
      return memoized;
    }
    const decision = await this.fromCache(principal, repository, identity, directoryVersion);
    this.memo.set(memoKey, decision);
    return decision;
  }

  private async fromCache(
    principal: Principal,
    repository: string,
    identity: string,
    directoryVersion: string,
  ): Promise<FullDecision> {
    const cached = await this.cache.lookup(identity, repository, directoryVersion).catch(() => {
      this.metrics.decisions.inc({ cache: 'degraded' });
      return undefined;
    });
    if (cached?.hit) {
      this.metrics.decisions.inc({ cache: 'hit' });
      return cached.hit;
    }

    const pkg = await this.readPackage(repository);
    const decision = await this.compute(principal, repository, pkg);
    if (cached) {
      this.metrics.decisions.inc({ cache: 'miss' });
      const versions = { revision: pkg?.record.revision ?? null, directoryVersion };
      await this.cache.store(identity, repository, versions, decision).catch(() => undefined);
    }
    return decision;
  }

  private async readPackage(repository: string): Promise<Package | undefined> {
    try {
      return await this.packages.get(repository);
    } catch (error) {
      // Without the package record there is nothing to decide from: refuse, never allow.
      this.metrics.decisions.inc({ cache: 'unavailable' });
      this.logger.warn('package record unreadable; refusing', { error: String(error) });
      throw unavailable('access control');
    }
  }

  private async compute(
    principal: Principal,
    repository: string,
    pkg: Package | undefined,
  ): Promise<FullDecision> {
    const { namespace } = splitRepository(repository);
    const sso = await ssoRefusal(this.directory, principal, namespace);
    if (sso) return { granted: [], refusals: { pull: sso, push: sso, delete: sso } };

    const role = await packageRole(this.directory, principal, namespace, pkg);
    const byRole = role ? ROLE_ACTIONS[role] : [];
    const granted =
      principal.kind === 'user'
        ? byRole.filter((action) => scopeAllows(principal.scopes, action))
        : byRole;
    return { granted, refusals: refusalsFor(principal, repository, byRole, granted) };
  }
}

function refusalsFor(
  principal: Principal,
  repository: string,
  byRole: readonly RegistryAction[],
  granted: readonly RegistryAction[],
): Partial<Record<RegistryAction, string>> {
  const refusals: Partial<Record<RegistryAction, string>> = {};
  for (const action of REGISTRY_ACTIONS) {
    if (granted.includes(action)) continue;
    refusals[action] = byRole.includes(action)
      ? `this token lacks the ${SCOPE_FOR[action]} scope, needed to ${action}`
      : roleRefusal(principal, repository, byRole.includes('pull'), action);
  }
  return refusals;
}

function roleRefusal(
  principal: Principal,
  repository: string,
  canPull: boolean,
  action: RegistryAction,
): string {
  if (principal.kind !== 'workflow') return `permission denied on ${repository}`;
  const writes = principal.permission === 'write';
  const owner = principal.repository.slice(0, principal.repository.indexOf('/'));
  const ownNamespace = splitRepository(repository).namespace === owner;
  const needed = action === 'pull' ? 'read' : 'write';
  if ((canPull || ownNamespace) && action !== 'delete' && (writes || action === 'pull')) {
    // The stumbling block of ghcr.io users: the package exists, but not for this workflow.
    // Said only where it reveals nothing: to a workflow that can see the package, or in its
    // own namespace, where a workflow is refused only because the package exists.
    return (
      `the package ${repository} is not linked to ${principal.repository} and does not give ` +
      `it ${needed} access; a package admin can give ${principal.repository} the ${needed} ` +
      'role under the package settings, "Manage Actions access"'
    );
  }
  if (action !== 'pull' && !ownNamespace) {
    return `a workflow of ${principal.repository} publishes packages only into its own namespace`;
  }
  if (!writes && action !== 'pull') {
    return 'this workflow token has packages: read; give the workflow packages: write';
  }
  return `permission denied on ${repository}`;
}
