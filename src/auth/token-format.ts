import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The shape of crgate's secrets, as GitHub shapes its own: a prefix that says what the token
 * is (`ghp_` personal access token, `ghs_` workflow token), 30 random base62 characters, then
 * 6 base62 characters of the CRC32 of those 30. Secret scanners recognise the prefix, and the
 * checksum lets crgate refuse a mistyped token without asking Redis.
 */
export type TokenKind = 'pat' | 'workflow';

const PREFIXES: Readonly<Record<TokenKind, string>> = { pat: 'ghp_', workflow: 'ghs_' };
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const TOKEN_LENGTH = 4 + RANDOM_LENGTH + CHECKSUM_LENGTH;
const SHAPE = /^gh[ps]_[0-9A-Za-z]{36}$/;

function base62(value: number, width: number): string {
  let out = '';
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) out = BASE62[rest % 62] + out;
  return out.padStart(width, '0');
}

function checksum(random: string): string {
  return base62(crc32(random), CHECKSUM_LENGTH);
}

/** A new secret of the given kind. */
export function mintToken(kind: TokenKind): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i += 1) random += BASE62[randomInt(62)];
  return PREFIXES[kind] + random + checksum(random);
}

/** What kind of token a string is, or undefined when it is not one of ours intact. */
export function tokenKind(secret: string): TokenKind | undefined {
  if (secret.length !== TOKEN_LENGTH || !SHAPE.test(secret)) return undefined;
  const random = secret.slice(4, 4 + RANDOM_LENGTH);
  if (checksum(random) !== secret.slice(4 + RANDOM_LENGTH)) return undefined;
  return secret.startsWith(PREFIXES.pat) ? 'pat' : 'workflow';
}

/** Tokens are stored and looked up only by this hash; the secret itself is never kept. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
