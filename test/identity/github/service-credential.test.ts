import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { jwtVerify } from 'jose';

import { DirectoryUnavailableError } from '../../../src/identity/directory';
import { GitHubAppCredential, StaticToken } from '../../../src/identity/github/service-credential';

const APP_ID = '123456';
const INSTALLATION_ID = '42';
const TOKEN_LIFETIME_MS = 3600 * 1000;
const RENEW_BEFORE_MS = 5 * 60 * 1000;

// The app's key as GitHub hands it out: PKCS#1 PEM.
const { privateKey: APP_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const APP_PUBLIC_KEY = createPublicKey(APP_KEY);
const APP_KEY_PKCS8 = createPrivateKey(APP_KEY).export({ type: 'pkcs8', format: 'pem' }).toString();

interface Minting {
  readonly path: string;
  readonly method: string;
  /** Why the app JWT was refused; undefined when it verified. */
  readonly jwtError?: string;
}

/**
 * GitHub's `POST /app/installations/{id}/access_tokens`: checks the app JWT with the app's
 * public key and answers 201 with a token valid an hour from the test's clock, or `status`.
 */
class FakeAppApi {
  readonly mintings: Minting[] = [];
  status = 201;
  private readonly server: Server;

  constructor(private readonly clock: () => number) {
    this.server = createServer((req, res) => {
      void this.answer(req).then(({ status, body }) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v3`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async answer(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const jwtError = await this.jwtError(req.headers.authorization);
    this.mintings.push({ path: req.url ?? '', method: req.method ?? '', jwtError });
    if (jwtError)
      return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
    if (this.status !== 201) return { status: this.status, body: { message: 'Not Found' } };

    const token = `ghs_minted${this.mintings.length}`;
    const expiresAt = new Date(this.clock() + TOKEN_LIFETIME_MS).toISOString();
    return { status: 201, body: { token, expires_at: expiresAt } };
  }

  private async jwtError(authorization: string | undefined): Promise<string | undefined> {
    const jwt = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!jwt) return 'no Bearer JWT';
    try {
      const { payload } = await jwtVerify(jwt, APP_PUBLIC_KEY, {
        issuer: APP_ID,
        algorithms: ['RS256'],
        currentDate: new Date(this.clock()),
      });
      // GitHub refuses an app JWT that lives longer than ten minutes.
      const lifetime = (payload.exp ?? Infinity) - (payload.iat ?? 0);
      return lifetime <= 600 ? undefined : `lives ${lifetime} s`;
    } catch (error) {
      return (error as Error).message;
    }
  }
}

describe('GitHub App service credential', () => {
  let clock: number;
  let app: FakeAppApi;
  let apiUrl: string;

  beforeEach(async () => {
    clock = Date.now();
    app = new FakeAppApi(() => clock);
    apiUrl = await app.listen();
  });
  afterEach(() => app.close());

  function credential(privateKeyPem = APP_KEY): GitHubAppCredential {
    return new GitHubAppCredential({
      apiUrl,
      appId: APP_ID,
      privateKeyPem,
      installationId: INSTALLATION_ID,
      timeoutMs: 5_000,
      now: () => clock,
    });
  }

  it('mints an installation token with an RS256 JWT the app issued', async () => {
    const authorization = await credential().authorization();

    expect(authorization).toBe('token ghs_minted1');
    expect(app.mintings).toEqual([
      { method: 'POST', path: `/api/v3/app/installations/${INSTALLATION_ID}/access_tokens` },
    ]);
  });

  it('takes the app key as PKCS#8 too', async () => {
    expect(await credential(APP_KEY_PKCS8).authorization()).toBe('token ghs_minted1');
    expect(app.mintings[0]?.jwtError).toBeUndefined();
  });

  it('reuses the token until five minutes before it expires, then mints a new one', async () => {
    const service = credential();
    const first = await service.authorization();
    clock += TOKEN_LIFETIME_MS - RENEW_BEFORE_MS - 1;
    const late = await service.authorization();
    clock += 1;
    const renewed = await service.authorization();

    expect(first).toBe('token ghs_minted1');
    expect(late).toBe(first);
    expect(renewed).toBe('token ghs_minted2');
    expect(app.mintings).toHaveLength(2);
    expect(app.mintings[1]?.jwtError).toBeUndefined();
  });

  it('mints once for concurrent askers', async () => {
    const service = credential();

    const answers = await Promise.all([1, 2, 3].map(() => service.authorization()));

    expect(answers).toEqual(['token ghs_minted1', 'token ghs_minted1', 'token ghs_minted1']);
    expect(app.mintings).toHaveLength(1);
  });

  it('answers DirectoryUnavailableError, naming the status, when GitHub issues no token', async () => {
    app.status = 404;

    const attempt = credential().authorization();

    await expect(attempt).rejects.toThrow(DirectoryUnavailableError);
    await expect(attempt).rejects.toThrow(/status 404/);
  });

  it('asks again after a failed minting', async () => {
    const service = credential();
    app.status = 500;
    await expect(service.authorization()).rejects.toThrow(DirectoryUnavailableError);
    app.status = 201;

    expect(await service.authorization()).toBe('token ghs_minted2');
  });

  it('answers DirectoryUnavailableError when GitHub does not answer', async () => {
    const service = credential();
    await app.close();

    await expect(service.authorization()).rejects.toThrow(DirectoryUnavailableError);
  });
});

describe('static service token', () => {
  it('sends the token as GitHub’s token authorization', async () => {
    expect(await new StaticToken('ghp_service').authorization()).toBe('token ghp_service');
  });
});
