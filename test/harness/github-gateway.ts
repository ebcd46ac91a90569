import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startFakeGitHub } from './fake-github';
import type { FakeGitHub } from './fake-github';
import { startGateway } from './gateway';
import type { TestGateway } from './gateway';

/**
 * crgate with the GitHub directory provider, in front of the run's registry and Redis and of
 * a local GitHub (fake-github.ts): its API for the directory and tokens, its OIDC issuer for
 * workflows. The service credential is the fake's service token, in a file as in production.
 */
export function githubEnv(github: FakeGitHub, overrides: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'crgate-github-'));
  const tokenFile = path.join(dir, 'service-token');
  writeFileSync(tokenFile, `${github.serviceToken}\n`);
  return {
    CRGATE_DIRECTORY_PROVIDER: 'github',
    CRGATE_DIRECTORY: '',
    CRGATE_GITHUB_API_URL: github.apiUrl,
    CRGATE_GITHUB_TOKEN_FILE: tokenFile,
    CRGATE_GITHUB_OIDC_ISSUER: github.issuer,
    ...overrides,
  };
}

export function startGitHubGateway(
  github: FakeGitHub,
  overrides: Record<string, string> = {},
): Promise<TestGateway> {
  return startGateway(githubEnv(github, overrides), { withOwnerToken: false });
}

/** A local GitHub and a crgate in front of it, for one test file. */
export function useGitHubGateway(overrides: Record<string, string> = {}) {
  let github: FakeGitHub | undefined;
  let gateway: TestGateway | undefined;

  beforeAll(async () => {
    github = await startFakeGitHub();
    gateway = await startGitHubGateway(github, overrides);
  });

  afterAll(async () => {
    await gateway?.close();
    await github?.close();
  });

  return () => {
    if (!github || !gateway) throw new Error('beforeAll did not finish');
    return { github, gateway };
  };
}
