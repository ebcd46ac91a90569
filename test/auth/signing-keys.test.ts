import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { calculateJwkThumbprint, exportJWK } from 'jose';

import { TokenSigner } from '../../src/auth/jwt';
import {
  generateSigningKeyPem,
  loadSigningKeys,
  SigningKeyError,
  type SigningKeyOptions,
} from '../../src/auth/signing-keys';

const directory = mkdtempSync(path.join(tmpdir(), 'crgate-keys-'));

function keyFile(name: string, pem: string): string {
  const file = path.join(directory, name);
  writeFileSync(file, pem, { mode: 0o600 });
  return file;
}

function spkiPem(privatePem: string): string {
  return createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
}

async function loadError(options: SigningKeyOptions): Promise<SigningKeyError> {
  try {
    await loadSigningKeys(options);
  } catch (error) {
    if (error instanceof SigningKeyError) return error;
    throw error;
  }
  throw new Error('the keys were accepted');
}

describe('generateSigningKeyPem', () => {
  it('writes a PKCS#8 PEM private key', async () => {
    const pem = await generateSigningKeyPem();

    expect(pem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    expect(pem.trimEnd().endsWith('-----END PRIVATE KEY-----')).toBe(true);
  });
});

describe('loadSigningKeys', () => {
  it('loads the active key from a file, with its RFC 7638 thumbprint as kid', async () => {
    const pem = await generateSigningKeyPem();
    const keys = await loadSigningKeys({ keyFile: keyFile('active.pem', pem) });

    const thumbprint = await calculateJwkThumbprint(await exportJWK(createPublicKey(pem)));

    expect(keys.active.kid).toBe(thumbprint);
    expect(keys.active.privateKey.type).toBe('private');
    expect(keys.previous).toEqual([]);
    expect(keys.ephemeral).toBe(false);
  });

  it('keeps tokens valid across a restart that loads the same file', async () => {
    const file = keyFile('restart.pem', await generateSigningKeyPem());
    const options = { issuer: 'crgate', audience: 'containers.example.com' };
    const before = new TokenSigner({ keys: await loadSigningKeys({ keyFile: file }), ...options });
    const { token } = await before.sign({ subject: 's', access: [], ttlSeconds: 60 });

    const after = new TokenSigner({ keys: await loadSigningKeys({ keyFile: file }), ...options });

    await expect(after.verify(token)).resolves.toMatchObject({ subject: 's' });
  });

  it('makes a fresh in-memory key when no file is given', async () => {
    const [first, second] = await Promise.all([loadSigningKeys(), loadSigningKeys()]);

    expect(first.ephemeral).toBe(true);
    expect(first.active.privateKey.type).toBe('private');
    expect(first.active.kid).not.toBe(second.active.kid);
  });

  it('reads previous keys from private or public PEM, keeping only the public half', async () => {
    const privatePem = await generateSigningKeyPem();
    const publicPem = spkiPem(await generateSigningKeyPem());
    const keys = await loadSigningKeys({
      keyFile: keyFile('current.pem', await generateSigningKeyPem()),
      previousKeyFiles: [keyFile('old-private.pem', privatePem), keyFile('old.pub', publicPem)],
    });

    expect(keys.previous).toHaveLength(2);
    for (const key of keys.previous) {
      expect(key.publicKey.type).toBe('public');
      expect(key).not.toHaveProperty('privateKey');
    }
  });

  it('ignores a previous key that repeats the active key or another previous key', async () => {
    const active = keyFile('same.pem', await generateSigningKeyPem());
    const old = keyFile('older.pem', await generateSigningKeyPem());

    const keys = await loadSigningKeys({ keyFile: active, previousKeyFiles: [active, old, old] });

    expect(keys.previous).toHaveLength(1);
  });

  it.each([
    ['a missing file', () => path.join(directory, 'missing.pem')],
    ['a file that is not PEM', () => keyFile('junk.pem', 'not a key\n')],
    ['a public key as the active key', async () => keyFile('pub.pem', spkiPem(await p256()))],
    ['an RSA key', () => keyFile('rsa.pem', privatePem('rsa'))],
    ['a P-384 key', () => keyFile('p384.pem', privatePem('P-384'))],
  ])('refuses %s as the active key', async (_case, file) => {
    expect((await loadError({ keyFile: await file() })).code).toBe('SIGNING_KEY_INVALID');
  });

  it('refuses a previous key that is not a P-256 key', async () => {
    const error = await loadError({
      keyFile: keyFile('fine.pem', await generateSigningKeyPem()),
      previousKeyFiles: [keyFile('old-p384.pem', privatePem('P-384'))],
    });

    expect(error.code).toBe('SIGNING_KEY_INVALID');
    expect(error.file).toBe(path.join(directory, 'old-p384.pem'));
  });
});

function p256(): Promise<string> {
  return generateSigningKeyPem();
}

function privatePem(kind: 'rsa' | 'P-384'): string {
  const { privateKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: kind });

  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
