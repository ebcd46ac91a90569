import { Writable } from 'node:stream';

import { transports } from 'winston';

import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/server';
import type { Gateway } from '../../src/server';
import { createCrgateLogger } from '../../src/telemetry/logger';

/**
 * An in-process crgate on free loopback ports, in front of the run's real registry and Redis
 * (or whatever the overrides name), with its log lines captured for assertions.
 */
export interface TestGateway {
  readonly gateway: Gateway;
  readonly port: number;
  readonly metricsPort: number;
  /** `containers.localhost:PORT`: the registry origin as clients address it. */
  readonly registryHost: string;
  /** `localhost:PORT`: the web origin. */
  readonly webHost: string;
  /** Every log line written so far, parsed. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest's global set-up`);
  return value;
}

export async function startGateway(overrides: Record<string, string> = {}): Promise<TestGateway> {
  const env = {
    CRGATE_HOSTNAME: 'localhost',
    CRGATE_LISTEN: '127.0.0.1:0',
    CRGATE_METRICS_LISTEN: '127.0.0.1:0',
    CRGATE_REGISTRY_URL: requireEnv('TEST_REGISTRY_URL'),
    CRGATE_REDIS_URL: requireEnv('TEST_REDIS_URL'),
    CRGATE_PUBLIC_URL_SCHEME: 'http',
    CRGATE_LOG_LEVEL: 'debug',
    ...overrides,
  };
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createCrgateLogger('debug', new transports.Stream({ stream: sink }));
  const gateway = createGateway(loadConfig(env), { logger });
  const { port, metricsPort } = await gateway.listen();

  return {
    gateway,
    port,
    metricsPort,
    registryHost: `containers.localhost:${port}`,
    webHost: `localhost:${port}`,
    logs,
    close: async () => {
      await gateway.close();
    },
  };
}
