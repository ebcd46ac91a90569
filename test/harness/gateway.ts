import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import request from 'supertest';
import { transports } from 'winston';

import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/server';
import type { Gateway, GatewayOptions } from '../../src/server';
import { createCrgateLogger } from '../../src/telemetry/logger';
import type { PackageScope } from '../../src/auth/token-store';
import { RegistryClient } from './registry-client';

/**
 * The directory every test gateway starts with: octocat owns its own namespace and the
 * organizations ns, acme and probe; hubot and mona are acme members; secure requires SSO.
 */
export const TEST_DIRECTORY = `
users: [octocat, hubot, mona, outsider]
site_admins: [octocat]
orgs:
  ns: {owners: [octocat], members: [hubot]}
  probe: {owners: [octocat]}
  acme:
    owners: [octocat]
    members: [hubot, mona]
    teams: {builders: [hubot]}
  secure: {owners: [octocat], sso: true}
repos:
  acme/web: {visibility: private, collaborators: {mona: read}, teams: {builders: write}}
  octocat/hello: {visibility: public}
`;

export const ALL_SCOPES: readonly PackageScope[] = [
  'read:packages',
  'write:packages',
  'delete:packages',
];

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
  /** A personal access token of octocat with every package scope. */
  readonly ownerToken: string;
  /** A registry client signed in as octocat with Basic credentials. */
  readonly client: RegistryClient;
  /** supertest on the public listener; the caller sets the Host. */
  readonly http: ReturnType<typeof request>;
  /** A new personal access token. */
  createToken(user: string, scopes: readonly PackageScope[], ssoOrgs?: string[]): Promise<string>;
  /** The id crgate gave the version of `digest`; throws when there is none. */
  versionId(repository: string, digest: string): Promise<number>;
  close(): Promise<void>;
}

export function writeDirectory(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'crgate-directory-')), 'directory.yaml');
  writeFileSync(file, text);
  return file;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest's global set-up`);
  return value;
}

/**
 * Starts crgate with the test directory. Unless `withOwnerToken` is false (for a gateway
 * whose Redis is down on purpose), it also creates octocat's token for `client`.
 * `gatewayOptions` are createGateway's options other than the logger, such as small bounds.
 */
export async function startGateway(
  overrides: Record<string, string> = {},
  {
    withOwnerToken = true,
    gatewayOptions = {},
  }: { withOwnerToken?: boolean; gatewayOptions?: Omit<GatewayOptions, 'logger'> } = {},
): Promise<TestGateway> {
  const env = {
    CRGATE_HOSTNAME: 'localhost',
    CRGATE_LISTEN: '127.0.0.1:0',
    CRGATE_METRICS_LISTEN: '127.0.0.1:0',
    CRGATE_REGISTRY_URL: requireEnv('TEST_REGISTRY_URL'),
    CRGATE_REDIS_URL: requireEnv('TEST_REDIS_URL'),
    CRGATE_PUBLIC_URL_SCHEME: 'http',
    CRGATE_LOG_LEVEL: 'debug',
    CRGATE_DIRECTORY: writeDirectory(TEST_DIRECTORY),
    // Every test connects from 127.0.0.1 to one Redis; the per-user limit is what tests use.
    CRGATE_AUTH_FAILURES_PER_ADDRESS: '100000',
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
  const gateway = await createGateway(loadConfig(env), { ...gatewayOptions, logger });
  const { port, metricsPort } = await gateway.listen();
  const createToken = async (user: string, scopes: readonly PackageScope[], ssoOrgs?: string[]) =>
    (await gateway.tokens.createPat({ user, scopes, ssoOrgs })).secret;
  const ownerToken = withOwnerToken ? await createToken('octocat', ALL_SCOPES) : '';
  const registryHost = `containers.localhost:${port}`;

  return {
    gateway,
    port,
    metricsPort,
    registryHost,
    webHost: `localhost:${port}`,
    logs,
    ownerToken,
    client: new RegistryClient(port, registryHost, { username: 'octocat', password: ownerToken }),
    http: request(`http://127.0.0.1:${port}`),
    createToken,
    async versionId(repository, digest) {
      const versions = await gateway.packages.versions(repository);
      const version = versions.find((v) => v.digest === digest);
      if (!version) throw new Error(`no version ${digest} in ${repository}`);
      return version.id;
    },
    close: async () => {
      await gateway.close();
    },
  };
}
