import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';

/**
 * The keys that sign and verify registry bearer tokens: ES256 (ECDSA on P-256, RFC 7518
 * section 3.4). One active key signs; previous keys only verify, so tokens minted before a
 * rotation stay valid until they expire.
 */
export const SIGNING_ALGORITHM = 'ES256';

// Node names P-256 by its SEC 2 name.
const P256 = 'prime256v1';

export interface VerificationKey {
  /** The RFC 7638 JWK thumbprint (SHA-256) of the public key. */
  readonly kid: string;
  readonly publicKey: KeyObject;
  /** The public JWK with kid, alg and use, as the JWKS publishes it. */
  readonly jwk: Readonly<JWK>;
}

export interface ActiveSigningKey extends VerificationKey {
  readonly privateKey: KeyObject;
}

export interface SigningKeys {
  readonly active: ActiveSigningKey;
  readonly previous: readonly VerificationKey[];
  /** True when no key file was given: tokens die with this process and other replicas. */
  readonly ephemeral: boolean;
}

export interface SigningKeyOptions {
  /** PKCS#8 PEM holding the active private key. */
  readonly keyFile?: string;
  /** PEM files (private or SPKI public) of rotated-out keys that still verify. */
  readonly previousKeyFiles?: readonly string[];
}

export class SigningKeyError extends Error {
  readonly code = 'SIGNING_KEY_INVALID';

  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'SigningKeyError';
  }
}

/** Loads the active and previous keys, or makes an in-memory key when no file is given. */
export async function loadSigningKeys(options: SigningKeyOptions = {}): Promise<SigningKeys> {
  const active = options.keyFile
    ? await activeKey(await readPrivateKey(options.keyFile))
    : await activeKey(await generatePrivateKey());

  const previous: VerificationKey[] = [];
  for (const file of options.previousKeyFiles ?? []) {
    const key = await verificationKey(await readPublicKey(file));
    // The same file listed twice, or the active key listed again, adds nothing.
    if (key.kid !== active.kid && !previous.some((p) => p.kid === key.kid)) previous.push(key);
  }

  return Object.freeze({ active, previous: Object.freeze(previous), ephemeral: !options.keyFile });
}

/** A new P-256 private key as PKCS#8 PEM, for `crgate` to write to a key file. */
export async function generateSigningKeyPem(): Promise<string> {
  return exportPKCS8(await generatePrivateKey());
}

async function generatePrivateKey(): Promise<KeyObject> {
  const pair = await generateKeyPair<KeyObject>(SIGNING_ALGORITHM, { extractable: true });

  return pair.privateKey;
}

async function activeKey(privateKey: KeyObject): Promise<ActiveSigningKey> {
  const key = await verificationKey(createPublicKey(privateKey));

  return Object.freeze({ ...key, privateKey });
}

async function verificationKey(publicKey: KeyObject): Promise<VerificationKey> {
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
  const jwk = Object.freeze({ kty, crv, x, y, kid, alg: SIGNING_ALGORITHM, use: 'sig' });

  return Object.freeze({ kid, publicKey, jwk });
}

async function readPrivateKey(file: string): Promise<KeyObject> {
  const pem = await readPem(file);
  if (!pem.includes('PRIVATE KEY-----')) {
    throw new SigningKeyError(
      file,
      'the active key must be a PEM private key (PKCS#8, or SEC1 for EC keys)',
    );
  }

  return requireP256(
    file,
    parseKey(file, () => createPrivateKey(pem)),
  );
}

// A previous key only verifies, so its public half is all that is kept.
async function readPublicKey(file: string): Promise<KeyObject> {
  const pem = await readPem(file);

  return requireP256(
    file,
    parseKey(file, () => createPublicKey(pem)),
  );
}

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new SigningKeyError(file, `cannot read: ${(error as NodeJS.ErrnoException).code}`);
  }
}

function parseKey(file: string, parse: () => KeyObject): KeyObject {
  try {
    return parse();
  } catch {
    throw new SigningKeyError(file, 'not a PEM key');
  }
}

function requireP256(file: string, key: KeyObject): KeyObject {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== P256) {
    throw new SigningKeyError(file, `${SIGNING_ALGORITHM} needs a P-256 EC key`);
  }
  return key;
}
