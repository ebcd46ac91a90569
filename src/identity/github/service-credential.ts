import { createPrivateKey } from 'node:crypto';

import { SignJWT } from 'jose';

import { DirectoryUnavailableError } from '../directory';
import type { ServiceCredential } from './api';

/**
 * How crgate reads organizations, teams and repository permissions: a token of an account
 * that can see them (classic, with `read:org` and `repo`), or a GitHub App installed on the
 * organizations, whose installation tokens crgate mints itself and renews before they expire
 * ("Authenticating as a GitHub App installation").
 */
export class StaticToken implements ServiceCredential {
  constructor(private readonly token: string) {}

  async authorization(): Promise<string> {
    return `token ${this.token}`;
  }
}

export interface GitHubAppOptions {
  readonly apiUrl: string;
  readonly appId: string;
  /** The app's private key, PEM (PKCS#1 as GitHub hands it out, or PKCS#8). */
  readonly privateKeyPem: string;
  readonly installationId: string;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

// An installation token lives an hour; a new one is minted with this much of it left.
const RENEW_BEFORE_MS = 5 * 60 * 1000;

export class GitHubAppCredential implements ServiceCredential {
  private current: { token: string; expiresAt: number } | undefined;
  private minting: Promise<string> | undefined;
  private readonly key: ReturnType<typeof createPrivateKey>;
  private readonly now: () => number;

  constructor(private readonly options: GitHubAppOptions) {
    this.key = createPrivateKey(options.privateKeyPem);
    this.now = options.now ?? Date.now;
  }

  async authorization(): Promise<string> {
    if (this.current && this.current.expiresAt - RENEW_BEFORE_MS > this.now()) {
      return `token ${this.current.token}`;
    }
    this.minting ??= this.mint().finally(() => {
      this.minting = undefined;
    });
    return `token ${await this.minting}`;
  }

  private async mint(): Promise<string> {
    const { apiUrl, appId, installationId, timeoutMs } = this.options;
    const seconds = Math.floor(this.now() / 1000);
    // Back-dated a minute against clock drift; GitHub allows ten minutes at most.
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(appId)
      .setIssuedAt(seconds - 60)
      .setExpirationTime(seconds + 540)
      .sign(this.key);

    const response = await fetch(`${apiUrl}/app/installations/${installationId}/access_tokens`, {
      method: 'POST',
      headers: { Accept: 'application/vnd.github+json', Authorization: `Bearer ${jwt}` },
      signal: AbortSignal.timeout(timeoutMs),
    }).catch(() => undefined);
    if (response?.status !== 201) {
      throw new DirectoryUnavailableError(
        `GitHub App installation token not issued (${response ? `status ${response.status}` : 'no answer'})`,
      );
    }
    const { token, expires_at: expiresAt } = (await response.json()) as {
      token: string;
      expires_at: string;
    };
    this.current = { token, expiresAt: Date.parse(expiresAt) };
    return token;
  }
}
