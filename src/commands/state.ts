import { loadConfig } from '../config';
import type { Directory } from '../identity/directory';
import { closeIdentity, openIdentity } from '../identity/provider';
import type { Identity } from '../identity/provider';
import { connectRedis } from '../state/redis';
import type { RedisClient } from '../state/redis';
import { createCrgateLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';

/**
 * What the operator commands share with the gateway: its Redis and its directory, read from
 * the same configuration, and the error that means "you typed it wrong" (exit 2).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export async function withState<T>(
  run: (redis: RedisClient, directory: Directory, identity: Identity) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  if (config.directoryProvider === 'file' && !config.directory) {
    throw new UsageError('set CRGATE_DIRECTORY to the directory file');
  }
  const logger = createCrgateLogger('error');
  const redis = connectRedis(config.redisUrl, logger);
  let identity: Identity | undefined;
  try {
    identity = openIdentity(config, { redis, metrics: createMetrics(), logger });
    return await run(redis, identity.directory, identity);
  } finally {
    if (identity) closeIdentity(identity);
    redis.disconnect();
  }
}

/** Runs one of a command's subcommands; parse errors of `node:util` become usage errors. */
export async function runSubcommand(
  subcommands: Readonly<Record<string, (args: string[]) => Promise<string>>>,
  args: readonly string[],
  usage: string,
): Promise<string> {
  const [name = '', ...rest] = args;
  const subcommand = subcommands[name];
  if (!subcommand) throw new UsageError(`unknown command "${name}"\n\n${usage}`);
  try {
    return await subcommand(rest);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message);
    throw error;
  }
}
