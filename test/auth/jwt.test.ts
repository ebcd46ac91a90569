import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { UnsecuredJWT, type JWTPayload } from 'jose';

import { TokenError, TokenSigner, type TokenSignerOptions } from '../../src/auth/jwt';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys';

const ISSUER = 'crgate';
const AUDIENCE = 'containers.example.com';
const ACCESS = [{ type: 'repository', name: 'octocat/app', actions: ['pull', 'push'] }];

// A clock the tests move by hand, so expiry is tested without sleeping.
let nowMs = Date.parse('2030-01-01T00:00:00Z');
const now = (): Date => new Date(nowMs);
const advance = (seconds: number): void => {
  nowMs += seconds * 1000;
};

let keysA: SigningKeys;
let keysB: SigningKeys;

beforeAll(async () => {
  [keysA, keysB] = await Promise.all([loadSigningKeys(), loadSigningKeys()]);
});

beforeEach(() => {
  nowMs = Date.parse('2030-01-01T00:00:00Z');
});

function signer(keys: SigningKeys, options: Partial<TokenSignerOptions> = {}): TokenSigner {
  return new TokenSigner({ keys, issuer: ISSUER, audience: AUDIENCE, now, ...options });
}

/** A claims set crgate would accept, for tokens the tests forge by other means. */
function validClaims(): JWTPayload {
  const iat = Math.floor(nowMs / 1000);

  return { iss: ISSUER, aud: AUDIENCE, sub: 'octocat', iat, nbf: iat, exp: iat + 300, jti: 'j1' };
}

async function refusal(verifying: Promise<unknown>): Promise<TokenError> {
  try {
    await verifying;
  } catch (error) {
    if (error instanceof TokenError) return error;
    throw error;
  }
  throw new Error('the token was accepted');
}

describe('TokenSigner.sign and verify', () => {
  it('round-trips the subject and the access claim', async () => {
    const tokens = signer(keysA);
    const signed = await tokens.sign({ subject: 'octocat', access: ACCESS, ttlSeconds: 300 });

    const verified = await tokens.verify(signed.token);

    expect(verified.subject).toBe('octocat');
    expect(verified.access).toEqual(ACCESS);
    expect(verified.jti).toBe(signed.jti);
    expect(verified.kid).toBe(keysA.active.kid);
    expect(verified.issuedAt).toEqual(now());
    expect(verified.expiresAt.getTime() - verified.issuedAt.getTime()).toBe(300_000);
  });

  it('writes the header and registered claims the token spec expects', async () => {
    const signed = await signer(keysA).sign({ subject: 'octocat', access: [], ttlSeconds: 60 });
    const iat = nowMs / 1000;

    expect(decodeProtectedHeader(signed.token)).toEqual({
      alg: 'ES256',
      kid: keysA.active.kid,
      typ: 'JWT',
    });
    expect(decodeJwt(signed.token)).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'octocat',
      iat,
      nbf: iat,
      exp: iat + 60,
      jti: signed.jti,
      access: [],
    });
    expect(signed.issuedAt).toEqual(now());
    expect(signed.expiresIn).toBe(60);
  });

  it('gives every token its own jti', async () => {
    const tokens = signer(keysA);
    const claims = { subject: 'octocat', access: ACCESS, ttlSeconds: 60 };

    const [first, second] = await Promise.all([tokens.sign(claims), tokens.sign(claims)]);

    expect(first.jti).not.toBe(second.jti);
  });

  it('carries extra claims without letting them replace registered ones', async () => {
    const tokens = signer(keysA);
    const extra = { principal: 'user:1', sub: 'admin', aud: 'elsewhere', access: ['all'] };

    const signed = await tokens.sign({ subject: 'octocat', access: ACCESS, ttlSeconds: 60, extra });
    const verified = await tokens.verify(signed.token);

    expect(verified.claims.principal).toBe('user:1');
    expect(verified.subject).toBe('octocat');
    expect(verified.access).toEqual(ACCESS);
  });

  it('writes the same header and claims, byte for byte, as jose’s SignJWT', async () => {
    const extra = { kind: 'user', tid: 'feedfacefeedface', sub: 'admin' };
    const signed = await signer(keysA).sign({
      subject: 'octocat',
      access: ACCESS,
      ttlSeconds: 300,
      extra,
    });
    const iat = nowMs / 1000;

    const byJose = await new SignJWT({ ...extra, access: ACCESS })
      .setProtectedHeader({ alg: 'ES256', kid: keysA.active.kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject('octocat')
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + 300)
      .setJti(signed.jti)
      .sign(keysA.active.privateKey);

    const signingInput = (token: string) => token.split('.').slice(0, 2).join('.');
    expect(signingInput(signed.token)).toBe(signingInput(byJose));
    const verifying = jwtVerify(signed.token, keysA.active.publicKey, { currentDate: now() });
    await expect(verifying).resolves.toBeDefined();
  });

  it('refuses a lifetime that is not a positive whole number of seconds', async () => {
    const tokens = signer(keysA);

    await expect(tokens.sign({ subject: 's', access: [], ttlSeconds: 0 })).rejects.toThrow(
      RangeError,
    );
    await expect(tokens.sign({ subject: 's', access: [], ttlSeconds: 1.5 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('TokenSigner.verify refusals', () => {
  it('refuses an unsigned token (alg none)', async () => {
    const token = new UnsecuredJWT({ ...validClaims(), access: ACCESS }).encode();

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const secret = keysA.active.publicKey.export({ type: 'spki', format: 'pem' });
    const token = await new SignJWT({ ...validClaims(), access: ACCESS })
      .setProtectedHeader({ alg: 'HS256', kid: keysA.active.kid })
      .sign(new TextEncoder().encode(String(secret)));

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses a token signed by a key it does not know', async () => {
    const token = (await signer(keysB).sign({ subject: 's', access: ACCESS, ttlSeconds: 60 }))
      .token;

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses a token whose kid names a known key it was not signed with', async () => {
    const token = await new SignJWT({ ...validClaims(), access: ACCESS })
      .setProtectedHeader({ alg: 'ES256', kid: keysA.active.kid })
      .sign(keysB.active.privateKey);

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses a token without a kid', async () => {
    const token = await new SignJWT({ ...validClaims(), access: ACCESS })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(keysA.active.privateKey);

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses a token for another audience', async () => {
    const other = signer(keysA, { audience: 'containers.other.example' });
    const { token } = await other.sign({ subject: 's', access: ACCESS, ttlSeconds: 60 });

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses a token from another issuer', async () => {
    const other = signer(keysA, { issuer: 'someone-else' });
    const { token } = await other.sign({ subject: 's', access: ACCESS, ttlSeconds: 60 });

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses an expired token, past the clock tolerance', async () => {
    const tokens = signer(keysA);
    const { token } = await tokens.sign({ subject: 's', access: ACCESS, ttlSeconds: 60 });

    advance(64);
    await expect(tokens.verify(token)).resolves.toMatchObject({ subject: 's' });

    advance(1);
    expect((await refusal(tokens.verify(token))).code).toBe('TOKEN_EXPIRED');
  });

  it('refuses a token that is not valid yet, past the clock tolerance', async () => {
    const tokens = signer(keysA);
    advance(6);
    const { token } = await tokens.sign({ subject: 's', access: ACCESS, ttlSeconds: 60 });

    advance(-6);
    expect((await refusal(tokens.verify(token))).code).toBe('TOKEN_INVALID');

    advance(1);
    await expect(tokens.verify(token)).resolves.toMatchObject({ subject: 's' });
  });

  it('refuses a token whose claims were changed after signing', async () => {
    const tokens = signer(keysA);
    const { token } = await tokens.sign({ subject: 's', access: [], ttlSeconds: 60 });
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ ...validClaims(), access: ACCESS }));

    const forged = `${header}.${payload.toString('base64url')}.${signature}`;

    expect((await refusal(tokens.verify(forged))).code).toBe('TOKEN_INVALID');
  });

  it.each(['', 'garbage', 'a.b.c', 'a.b', '..', 'eyJhbGciOiJFUzI1NiJ9.e30.'])(
    'refuses a malformed token: %j',
    async (token) => {
      expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
    },
  );

  it.each([
    ['no expiry', (claims: JWTPayload) => ({ ...claims, exp: undefined })],
    ['no jti', (claims: JWTPayload) => ({ ...claims, jti: undefined })],
    ['no access claim', (claims: JWTPayload) => claims],
    ['an access claim of the wrong shape', (claims: JWTPayload) => ({ ...claims, access: ['*'] })],
  ])('refuses a correctly signed token with %s', async (_case, shape) => {
    const token = await new SignJWT(shape(validClaims()))
      .setProtectedHeader({ alg: 'ES256', kid: keysA.active.kid, typ: 'JWT' })
      .sign(keysA.active.privateKey);

    expect((await refusal(signer(keysA).verify(token))).code).toBe('TOKEN_INVALID');
  });
});

describe('key rotation', () => {
  const rotated = (): SigningKeys => ({
    active: keysB.active,
    previous: [keysA.active],
    ephemeral: true,
  });

  it('verifies a token signed by a previous key until it expires', async () => {
    const { token } = await signer(keysA).sign({ subject: 's', access: ACCESS, ttlSeconds: 60 });
    const afterRotation = signer(rotated());

    await expect(afterRotation.verify(token)).resolves.toMatchObject({ kid: keysA.active.kid });

    advance(70);
    expect((await refusal(afterRotation.verify(token))).code).toBe('TOKEN_EXPIRED');
  });

  it('signs new tokens with the active key only', async () => {
    const { token } = await signer(rotated()).sign({ subject: 's', access: [], ttlSeconds: 60 });

    expect(decodeProtectedHeader(token).kid).toBe(keysB.active.kid);
  });

  it('refuses a token signed by a key that was dropped from the previous keys', async () => {
    const { token } = await signer(keysA).sign({ subject: 's', access: ACCESS, ttlSeconds: 60 });

    expect((await refusal(signer(keysB).verify(token))).code).toBe('TOKEN_INVALID');
  });
});

describe('TokenSigner.jwks', () => {
  it('publishes the active and previous public keys, with no private material', () => {
    const { keys } = signer({
      active: keysB.active,
      previous: [keysA.active],
      ephemeral: true,
    }).jwks();

    expect(keys.map((key) => key.kid)).toEqual([keysB.active.kid, keysA.active.kid]);
    for (const key of keys) {
      expect(key).toEqual({
        kty: 'EC',
        crv: 'P-256',
        x: expect.any(String),
        y: expect.any(String),
        kid: expect.any(String),
        alg: 'ES256',
        use: 'sig',
      });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('lets another party verify our tokens from the published set', async () => {
    const tokens = signer(keysA);
    const { token } = await tokens.sign({ subject: 's', access: ACCESS, ttlSeconds: 60 });

    const { payload } = await jwtVerify(token, createLocalJWKSet(tokens.jwks()), {
      currentDate: now(),
    });

    expect(payload.access).toEqual(ACCESS);
  });

  it('hands out copies that cannot change what the signer publishes', () => {
    const tokens = signer(keysA);
    const [first] = tokens.jwks().keys;
    if (first) first.kid = 'changed';

    expect(tokens.jwks().keys[0]?.kid).toBe(keysA.active.kid);
  });
});
