import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Directory } from './directory';
import type { OrgOptions, OrgRole, RepoOptions } from './directory';
import { OidcIssuer } from './oidc';
import type { OidcTokenOptions } from './oidc';
import { RateLimit } from './rate-limit';
import { Resources } from './resources';
import { JSON_TYPE, RestApi, requestId } from './rest';
import type { Reply } from './rest';
import { TokenStore } from './tokens';

export interface RecordedRequest {
  readonly method: string;
  /** Without the `/api/v3` prefix and without the query. */
  readonly path: string;
  readonly status: number;
  /** Whether it sent If-None-Match. */
  readonly conditional: boolean;
}

export interface FakeGitHub {
  /** API base, GHES-shaped: `http://127.0.0.1:PORT/api/v3` (no trailing slash). */
  readonly apiUrl: string;
  /** Web base `http://127.0.0.1:PORT` (for SSO authorization URLs). */
  readonly webUrl: string;
  /** OIDC issuer `http://127.0.0.1:PORT/oidc`; discovery under `/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** The service credential (a classic token with read:org and repo) crgate reads the directory with. */
  readonly serviceToken: string;
  /** The login of the service token's user (not a member of any organization, yet it reads them all). */
  readonly serviceLogin: string;
  addUser(login: string, options?: { siteAdmin?: boolean }): void;
  addOrg(name: string, options?: OrgOptions): void;
  /** `undefined` removes the member, from the organization's teams too. */
  setMembership(org: string, login: string, role: OrgRole | undefined): void;
  /** Creates the team when it is new; people not in the organization join it as members. */
  setTeamMembers(org: string, team: string, members: string[]): void;
  addRepo(fullName: string, options?: RepoOptions): void;
  /** A classic PAT (`ghp_` + 36 alphanumerics); scopes as GitHub names them. */
  classicToken(login: string, scopes: string[], options?: { ssoAuthorized?: string[] }): string;
  setScopes(token: string, scopes: string[]): void;
  revoke(token: string): void;
  /** A fine-grained PAT (`github_pat_` + 22 alnum + `_` + 59 alnum). */
  fineGrainedToken(login: string): string;
  /** A workflow's GITHUB_TOKEN: an installation token (`ghs_` + 36 alnum) for one repository. */
  installationToken(repository: string): string;
  /** An Actions OIDC token signed by the issuer's key (RS256, with kid), claims merged over defaults. */
  oidcToken(
    claims: { repository: string } & Record<string, unknown>,
    options?: OidcTokenOptions,
  ): Promise<string>;
  /** Sets the core rate limit for every token: remaining and limit (reset = now + 3600 s). */
  setRateLimit(remaining: number, limit?: number): void;
  /** While down, every API and OIDC request is answered 503. */
  setDown(down: boolean): void;
  /** Every request received, in order. */
  readonly requests: ReadonlyArray<RecordedRequest>;
  resetRequests(): void;
  close(): Promise<void>;
}

const API_PREFIX = '/api/v3';
const SERVICE_LOGIN = 'crgate-service';

function jsonReply(status: number, body: unknown): Reply {
  const headers = { 'Content-Type': JSON_TYPE, 'X-GitHub-Request-Id': requestId() };
  return { status, headers, body: JSON.stringify(body) };
}

/** The path below `/api/v3`, or undefined for the web and OIDC paths. */
function apiPath(pathname: string): string | undefined {
  if (pathname === API_PREFIX) return '/';
  return pathname.startsWith(`${API_PREFIX}/`) ? pathname.slice(API_PREFIX.length) : undefined;
}

class FakeGitHubServer implements FakeGitHub {
  readonly apiUrl: string;
  readonly issuer: string;
  readonly serviceLogin = SERVICE_LOGIN;
  readonly serviceToken: string;
  readonly requests: RecordedRequest[] = [];
  private readonly tokens = new TokenStore();
  private readonly rateLimit = new RateLimit();
  private readonly rest: RestApi;
  private down = false;

  constructor(
    private readonly server: Server,
    readonly webUrl: string,
    private readonly directory: Directory,
    private readonly oidc: OidcIssuer,
  ) {
    this.apiUrl = `${webUrl}${API_PREFIX}`;
    this.issuer = oidc.issuer;
    const resources = new Resources(this.apiUrl, webUrl, this.directory);
    this.rest = new RestApi(this.directory, this.tokens, resources, this.rateLimit, webUrl);
    this.directory.addUser(SERVICE_LOGIN);
    this.serviceToken = this.tokens.classic(SERVICE_LOGIN, ['read:org', 'repo'], [], true);
    server.on('request', (req, res) => this.handle(req, res));
  }

  addUser(login: string, options: { siteAdmin?: boolean } = {}): void {
    this.directory.addUser(login, !!options.siteAdmin);
  }

  addOrg(name: string, options?: OrgOptions): void {
    this.directory.addOrg(name, options);
  }

  setMembership(org: string, login: string, role: OrgRole | undefined): void {
    this.directory.setMembership(org, login, role);
  }

  setTeamMembers(org: string, team: string, members: string[]): void {
    this.directory.setTeamMembers(org, team, members);
  }

  addRepo(fullName: string, options?: RepoOptions): void {
    this.directory.addRepo(fullName, options);
  }

  classicToken(login: string, scopes: string[], options: { ssoAuthorized?: string[] } = {}) {
    return this.tokens.classic(this.userLogin(login), [...scopes], options.ssoAuthorized ?? []);
  }

  setScopes(token: string, scopes: string[]): void {
    this.tokens.setScopes(token, scopes);
  }

  revoke(token: string): void {
    this.tokens.revoke(token);
  }

  fineGrainedToken(login: string): string {
    return this.tokens.fineGrained(this.userLogin(login));
  }

  installationToken(repository: string): string {
    return this.tokens.installation(repository);
  }

  oidcToken(claims: { repository: string } & Record<string, unknown>, options?: OidcTokenOptions) {
    return this.oidc.token(claims, options);
  }

  setRateLimit(remaining: number, limit?: number): void {
    this.rateLimit.set(remaining, limit);
  }

  setDown(down: boolean): void {
    this.down = down;
  }

  resetRequests(): void {
    this.requests.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }

  private userLogin(login: string): string {
    const user = this.directory.user(login);
    if (!user) throw new Error(`fake GitHub: no user ${login} (addUser first)`);
    return user.login;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const { pathname } = new URL(req.url ?? '/', this.webUrl);
    const api = apiPath(pathname);
    const reply = this.reply(req, pathname, api);

    const conditional = req.headers['if-none-match'] !== undefined;
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: api ?? pathname, status: reply.status, conditional });

    const length =
      reply.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(reply.body) };
    res.writeHead(reply.status, { ...reply.headers, ...length });
    res.end(method === 'HEAD' ? undefined : reply.body);
  }

  private reply(req: IncomingMessage, pathname: string, api: string | undefined): Reply {
    if (this.down) return jsonReply(503, { message: 'Service unavailable' });
    if (api !== undefined) return this.rest.answer(req, api);
    return this.oidcReply(req.method ?? 'GET', `${this.webUrl}${pathname}`);
  }

  /** The issuer's two documents; the fake has no other web pages. */
  private oidcReply(method: string, url: string): Reply {
    const get = method === 'GET' || method === 'HEAD';
    if (get && url === `${this.issuer}/.well-known/openid-configuration`) {
      return jsonReply(200, this.oidc.discovery());
    }
    if (get && url === this.oidc.jwksUri) return jsonReply(200, this.oidc.jwks());
    return jsonReply(404, { message: 'Not Found' });
  }
}

/** Starts the fake on a free loopback port. */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  const webUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const directory = new Directory();
  const oidc = await OidcIssuer.create(`${webUrl}/oidc`, {
    repo: (fullName) => directory.repoByFullName(fullName),
    accountId: (login) => directory.account(login)?.id,
  });
  return new FakeGitHubServer(server, webUrl, directory, oidc);
}
