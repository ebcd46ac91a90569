import { hashToken, mintToken, tokenKind } from '../../src/auth/token-format';

describe('token format', () => {
  it('mints personal access tokens a secret scanner recognises', () => {
    const token = mintToken('pat');

    expect(token).toMatch(/^ghp_[0-9A-Za-z]{36}$/);
    expect(tokenKind(token)).toBe('pat');
  });

  it('mints workflow tokens with their own prefix', () => {
    expect(tokenKind(mintToken('workflow'))).toBe('workflow');
  });

  it('mints a different secret every time', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => mintToken('pat')));

    expect(tokens.size).toBe(200);
  });

  it('refuses a token with one character changed, by its checksum', () => {
    const token = mintToken('pat');
    const flipped = token.slice(0, 10) + (token[10] === 'a' ? 'b' : 'a') + token.slice(11);

    expect(tokenKind(flipped)).toBeUndefined();
  });

  it.each(['', 'ghp_', 'password', `gho_${'a'.repeat(36)}`, `ghp_${'a'.repeat(35)}`])(
    'refuses "%s"',
    (secret) => {
      expect(tokenKind(secret)).toBeUndefined();
    },
  );

  it('hashes without keeping the secret', () => {
    const token = mintToken('pat');

    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token.slice(4));
  });
});
