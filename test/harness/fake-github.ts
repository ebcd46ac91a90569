/**
 * A local GitHub for tests: the REST API endpoints crgate's GitHub directory provider reads,
 * answered as GitHub documents them, and a GitHub Actions OIDC issuer.
 */
export { startFakeGitHub } from './fake-github/server';
export type { FakeGitHub, RecordedRequest } from './fake-github/server';
export type {
  OrgOptions,
  OrgRole,
  RepoOptions,
  RepoRole,
  Visibility,
} from './fake-github/directory';
export type { OidcTokenOptions } from './fake-github/oidc';
