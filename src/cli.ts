#!/usr/bin/env node
import { generateSigningKeyPem } from './auth/signing-keys';
import { TokenStoreError } from './auth/token-store';
import { PACKAGE_USAGE, packageCommand } from './commands/package';
import { PURGE_USAGE, purgeCommand } from './commands/purge';
import { UsageError } from './commands/state';
import { TOKEN_USAGE, tokenCommand } from './commands/token';
import { ConfigError, loadConfig, SETTINGS } from './config';
import { DirectoryError } from './identity/file-directory';
import { createGateway } from './server';

const USAGE = `Usage: crgate <command>

Commands:
  serve     start the gateway from the configuration (CRGATE_* variables, CRGATE_CONFIG file)
  settings  list every setting with its environment variable and default
  token     create, list and revoke personal access tokens and workflow tokens
  package   show a package; change its visibility, link, inheritance and access lists
  purge     delete from the registry what was deleted longer ago than the restore window
  keygen    print a new ES256 signing key (PKCS#8 PEM) for CRGATE_JWT_KEY_FILE
  help      show this text

${TOKEN_USAGE}
${PACKAGE_USAGE}
${PURGE_USAGE}`;

function printSettings(): void {
  for (const s of SETTINGS) {
    process.stdout.write(
      `${s.env.padEnd(28)} ${s.key.padEnd(18)} ${s.fallback.padEnd(24)} ${s.describe}\n`,
    );
  }
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const gateway = await createGateway(config);
  await gateway.listen();

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

async function main(argv: readonly string[]): Promise<void> {
  const command = argv[0] ?? 'help';
  if (command === 'serve') return serve();
  if (command === 'settings') return printSettings();
  if (command === 'token') {
    process.stdout.write(`${await tokenCommand(argv.slice(1))}\n`);
    return;
  }
  if (command === 'package') {
    process.stdout.write(`${await packageCommand(argv.slice(1))}\n`);
    return;
  }
  if (command === 'purge') {
    const { output, complete } = await purgeCommand();
    process.stdout.write(`${output}\n`);
    // A purge the registry refused in part is worth a cron job's alarm.
    if (!complete) process.exitCode = 1;
    return;
  }
  if (command === 'keygen') {
    process.stdout.write(await generateSigningKeyPem());
    return;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  process.stderr.write(`crgate: unknown command "${command}"\n\n${USAGE}`);
  process.exitCode = 2;
}

// Errors of the user's making get their message alone and exit 2; anything else is a bug.
const USER_ERRORS = [UsageError, TokenStoreError, DirectoryError];

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`crgate: configuration error: ${error.message}\n`);
  } else if (USER_ERRORS.some((kind) => error instanceof kind)) {
    process.stderr.write(`crgate: ${(error as Error).message}\n`);
  } else {
    process.stderr.write(`crgate: ${(error as Error).stack ?? String(error)}\n`);
  }
  const userError =
    error instanceof ConfigError || USER_ERRORS.some((kind) => error instanceof kind);
  process.exit(userError ? 2 : 1);
});
