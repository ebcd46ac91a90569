import { parseArgs } from 'node:util';

import { parseScopes, TokenStore } from '../auth/token-store';
import type { TokenRecord } from '../auth/token-store';
import type { Directory } from '../identity/directory';
import { runSubcommand, UsageError, withState } from './state';

export { UsageError } from './state';

/**
 * `crgate token ...`: create, list and revoke tokens from the command line, against the same
 * Redis and directory as the gateway. A created token is printed alone on stdout, once.
 */
export const TOKEN_USAGE = `Usage:
  crgate token create --user LOGIN --scopes read:packages,write:packages
                      [--expires-in 30d] [--note TEXT] [--sso-org ORG]...
  crgate token workflow --repo OWNER/NAME [--permission read|write] [--expires-in 1h]
  crgate token list --user LOGIN
  crgate token revoke ID
`;

const UNITS_MS: Readonly<Record<string, number>> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };

export function parseDuration(raw: string): number {
  const match = /^(\d+)([smhd])$/.exec(raw.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new UsageError(`"${raw}" is not a duration such as 90m, 12h or 30d`);
  }
  return Number(match[1]) * (UNITS_MS[match[2] as string] as number);
}

function describe(record: TokenRecord): string {
  const who = record.kind === 'pat' ? record.user : `workflow ${record.repository}`;
  const what = record.kind === 'pat' ? record.scopes.join(',') : `packages:${record.permission}`;
  return [record.id, who, what, record.createdAt, record.expiresAt ?? 'never'].join('\t');
}

function withStore<T>(run: (store: TokenStore, directory: Directory) => Promise<T>) {
  return withState((redis, directory, identity) => {
    if (identity.provider === 'github') {
      throw new UsageError('with the github directory provider, tokens are made on GitHub');
    }
    return run(new TokenStore(redis), directory);
  });
}

async function create(args: string[]): Promise<string> {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
      note: { type: 'string' },
      'sso-org': { type: 'string', multiple: true },
    },
  });
  if (!values.user || !values.scopes) throw new UsageError('--user and --scopes are required');
  const scopes = parseScopes(values.scopes);
  const expiresInMs = values['expires-in'] ? parseDuration(values['expires-in']) : undefined;

  return withStore(async (store, directory) => {
    if (!(await directory.userExists(values.user as string))) {
      throw new UsageError(`no user ${values.user} in the directory`);
    }
    const request = { user: values.user as string, scopes, note: values.note, expiresInMs };
    const { secret } = await store.createPat({ ...request, ssoOrgs: values['sso-org'] });
    return secret;
  });
}

async function workflow(args: string[]): Promise<string> {
  const { values } = parseArgs({
    args,
    options: {
      repo: { type: 'string' },
      permission: { type: 'string', default: 'write' },
      'expires-in': { type: 'string', default: '1h' },
    },
  });
  if (!values.repo) throw new UsageError('--repo OWNER/NAME is required');
  const permission: 'read' | 'write' = values.permission === 'read' ? 'read' : 'write';
  if (values.permission !== permission) throw new UsageError('--permission is read or write');
  const expiresInMs = parseDuration(values['expires-in'] as string);

  return withStore(async (store, directory) => {
    if (!(await directory.repository(values.repo as string))) {
      throw new UsageError(`no repository ${values.repo} in the directory`);
    }
    const request = { repository: values.repo as string, permission, expiresInMs } as const;
    return (await store.createWorkflowToken(request)).secret;
  });
}

async function list(args: string[]): Promise<string> {
  const { values } = parseArgs({ args, options: { user: { type: 'string' } } });
  if (!values.user) throw new UsageError('--user is required');
  const records = await withStore((store) => store.list(values.user as string));
  return records.map(describe).join('\n');
}

async function revoke(args: string[]): Promise<string> {
  const { positionals } = parseArgs({ args, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError('give the id of one token');
  const revoked = await withStore((store) => store.revoke(positionals[0] as string));
  if (!revoked) throw new UsageError(`no token ${positionals[0]}`);
  return `revoked ${positionals[0]}`;
}

const SUBCOMMANDS: Readonly<Record<string, (args: string[]) => Promise<string>>> = {
  create,
  workflow,
  list,
  revoke,
};

/** Runs `crgate token SUBCOMMAND ...`; resolves with what to print on stdout. */
export function tokenCommand(args: readonly string[]): Promise<string> {
  return runSubcommand(SUBCOMMANDS, args, TOKEN_USAGE);
}
