import type { IncomingMessage } from 'node:http';

import type { Request } from 'express';

import { CredentialsError, RateLimitedError } from '../auth/credentials';
import type { PasswordChecker } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import { ApiError } from './errors';

/**
 * Authentication on the REST API, as GitHub's API takes it: a personal access token or a
 * workflow token in `Authorization: token X` or `Authorization: Bearer X`.
 */
export interface ApiAuthParts {
  readonly passwords: PasswordChecker;
  readonly addressOf: (req: IncomingMessage) => string;
}

export function secretOf(req: Request): string | undefined {
  const match = /^(?:token|bearer) +(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** The principal behind the request's token; 401 without one, 429 while rate limited. */
export async function authenticate(parts: ApiAuthParts, req: Request): Promise<Principal> {
  const secret = secretOf(req);
  if (!secret) throw new ApiError(401, 'Requires authentication');
  try {
    return await parts.passwords.check(secret, '', parts.addressOf(req));
  } catch (error) {
    if (error instanceof CredentialsError) throw new ApiError(401, 'Bad credentials');
    if (error instanceof RateLimitedError) {
      throw new ApiError(429, error.message, { 'Retry-After': String(error.retryAfterSeconds) });
    }
    throw error;
  }
}
