#!/usr/bin/env node
import { ConfigError, loadConfig, SETTINGS } from './config';
import { createGateway } from './server';

const USAGE = `Usage: crgate <command>

Commands:
  serve     start the gateway from the configuration (CRGATE_* variables, CRGATE_CONFIG file)
  settings  list every setting with its environment variable and default
  help      show this text
`;

function printSettings(): void {
  for (const s of SETTINGS) {
    process.stdout.write(
      `${s.env.padEnd(28)} ${s.key.padEnd(18)} ${s.fallback.padEnd(24)} ${s.describe}\n`,
    );
  }
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const gateway = createGateway(config);
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
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  process.stderr.write(`crgate: unknown command "${command}"\n\n${USAGE}`);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`crgate: configuration error: ${error.message}\n`);
  } else {
    process.stderr.write(`crgate: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(error instanceof ConfigError ? 2 : 1);
});
