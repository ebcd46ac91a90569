import { parseArgs } from 'node:util';

import type { Grantee, PackageRole } from '../packages/package';
import { PackageStore } from '../packages/package-store';
import type { PackageSettings } from '../packages/package-store';
import {
  checkGrantee,
  checkLinkTarget,
  checkVisibility,
  isPackageRole,
  SettingsError,
} from '../packages/settings';
import { runSubcommand, UsageError, withState } from './state';

/**
 * `crgate package ...`: an operator's view and settings of one package, the settings GitHub
 * keeps in its web interface: visibility, the linked repository and inheritance, and the
 * access lists. Each change takes effect on every replica with the next decision.
 */
export const PACKAGE_USAGE = `Usage:
  crgate package show NAMESPACE/PACKAGE
  crgate package visibility NAMESPACE/PACKAGE private|internal|public
  crgate package link NAMESPACE/PACKAGE OWNER/REPO
  crgate package unlink NAMESPACE/PACKAGE
  crgate package inherit NAMESPACE/PACKAGE on|off
  crgate package grant NAMESPACE/PACKAGE (--user LOGIN | --team TEAM | --repo OWNER/REPO)
                       --role read|write|admin
  crgate package revoke NAMESPACE/PACKAGE (--user LOGIN | --team TEAM | --repo OWNER/REPO)
`;

function positionals(args: string[], count: number, what: string): string[] {
  const parsed = parseArgs({ args, allowPositionals: true }).positionals;
  if (parsed.length !== count) throw new UsageError(`give ${what}`);
  return parsed;
}

/** Runs a check of packages/settings.ts; what it refuses is a usage error. */
async function checked<T>(check: Promise<T>): Promise<T> {
  try {
    return await check;
  } catch (error) {
    throw error instanceof SettingsError ? new UsageError(error.message) : error;
  }
}

/** Applies settings to an existing package; the message names what changed. */
async function change(repository: string, settings: PackageSettings, done: string) {
  const updated = await withState((redis) => new PackageStore(redis).update(repository, settings));
  if (!updated) throw new UsageError(`no package ${repository}`);
  return `${repository}: ${done}`;
}

async function show(args: string[]): Promise<string> {
  const [repository] = positionals(args, 1, 'NAMESPACE/PACKAGE') as [string];
  return withState(async (redis) => {
    const store = new PackageStore(redis);
    const pkg = await store.get(repository);
    if (!pkg) throw new UsageError(`no package ${repository}`);
    const [tags, versions] = await Promise.all([
      store.tags(repository),
      store.versions(repository),
    ]);
    return JSON.stringify({ ...pkg, tags, versions }, null, 2);
  });
}

async function visibility(args: string[]): Promise<string> {
  const [repository, value] = positionals(args, 2, 'NAMESPACE/PACKAGE and a visibility') as [
    string,
    string,
  ];
  const visibility = await withState((_redis, directory) =>
    checked(checkVisibility(directory, repository, value)),
  );
  return change(repository, { visibility }, `visibility ${visibility}`);
}

async function link(args: string[]): Promise<string> {
  const [repository, target] = positionals(args, 2, 'NAMESPACE/PACKAGE and OWNER/REPO') as [
    string,
    string,
  ];
  const linked = await withState((_redis, directory) =>
    checked(checkLinkTarget(directory, repository, target)),
  );
  return change(repository, { linkedRepository: linked, linkNote: null }, `linked to ${linked}`);
}

async function unlink(args: string[]): Promise<string> {
  const [repository] = positionals(args, 1, 'NAMESPACE/PACKAGE') as [string];
  return change(repository, { linkedRepository: null }, 'unlinked');
}

async function inherit(args: string[]): Promise<string> {
  const [repository, value] = positionals(args, 2, 'NAMESPACE/PACKAGE and on or off') as [
    string,
    string,
  ];
  if (value !== 'on' && value !== 'off') throw new UsageError('inherit is on or off');
  return change(repository, { inheritAccess: value === 'on' }, `inheritance ${value}`);
}

function granteeOf(values: { user?: string; team?: string; repo?: string }): Grantee {
  const given = (['user', 'team', 'repo'] as const).filter((key) => values[key] !== undefined);
  if (given.length !== 1) throw new UsageError('give one of --user, --team or --repo');
  const key = given[0] as 'user' | 'team' | 'repo';
  const name = (values[key] as string).toLowerCase();
  return key === 'repo' ? { kind: 'repository', name } : { kind: key, name };
}

async function setRole(args: string[], withRole: boolean): Promise<string> {
  const options = {
    user: { type: 'string' },
    team: { type: 'string' },
    repo: { type: 'string' },
    role: { type: 'string' },
  } as const;
  const { values, positionals: rest } = parseArgs({ args, options, allowPositionals: true });
  const [repository] = rest;
  if (rest.length !== 1 || !repository) throw new UsageError('give NAMESPACE/PACKAGE');
  const role: PackageRole | undefined =
    withRole && isPackageRole(values.role) ? values.role : undefined;
  if (withRole && !role) throw new UsageError('--role is read, write or admin');
  const grantee = granteeOf(values);

  const changed = await withState(async (redis, directory) => {
    await checked(checkGrantee(directory, repository, grantee));
    return new PackageStore(redis).setRole(repository, grantee, role);
  });
  if (!changed) throw new UsageError(`no package ${repository}`);
  return `${repository}: ${grantee.kind} ${grantee.name} ${role ? `has ${role}` : 'removed'}`;
}

const SUBCOMMANDS: Readonly<Record<string, (args: string[]) => Promise<string>>> = {
  show,
  visibility,
  link,
  unlink,
  inherit,
  grant: (args) => setRole(args, true),
  revoke: (args) => setRole(args, false),
};

/** Runs `crgate package SUBCOMMAND ...`; resolves with what to print on stdout. */
export function packageCommand(args: readonly string[]): Promise<string> {
  return runSubcommand(SUBCOMMANDS, args, PACKAGE_USAGE);
}
