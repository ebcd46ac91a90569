import type { ListenAddress } from './config';
import { RedisUrlError, redisTarget } from './state/redis-url';

/**
 * The parsers of crgate's settings: each reads the raw text of one setting and returns its
 * value, or throws ConfigError naming the setting and saying what it should look like.
 */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

// Hostnames per RFC 1123, lower case, at least one label.
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function parseHostname(raw: string, name: string): string {
  const value = raw.trim().toLowerCase();
  if (!HOSTNAME.test(value)) {
    throw new ConfigError(name, `"${raw}" is not a hostname (example: registry.example.com)`);
  }
  return value;
}

export function parseListen(raw: string, name: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(raw.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(name, `"${raw}" is not host:port (example: 127.0.0.1:8080)`);
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

export function parseUrl(protocols: readonly string[]) {
  return (raw: string, name: string): URL => {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new ConfigError(name, `"${raw}" is not a URL`);
    }
    if (!protocols.includes(url.protocol)) {
      throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return url;
  };
}

export function parseRedisUrl(raw: string, name: string): string {
  const url = raw.trim();
  try {
    redisTarget(url);
  } catch (error) {
    const reason = error instanceof RedisUrlError ? error.message : 'is not a URL';
    throw new ConfigError(name, `"${redactPassword(url)}" ${reason}`);
  }
  return url;
}

/** A Redis URL may carry a password; an error message must not. */
function redactPassword(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

export function parseChoice<T extends string>(choices: readonly T[]) {
  return (raw: string, name: string): T => {
    const value = raw.trim().toLowerCase();
    if (!(choices as readonly string[]).includes(value)) {
      throw new ConfigError(name, `"${raw}" is not one of ${choices.join(', ')}`);
    }
    return value as T;
  };
}

export function parseBoolean(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no', ''].includes(value)) return false;
  throw new ConfigError(name, `"${raw}" is not true or false`);
}

export function parseMs(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, `"${raw}" is not a positive whole number of milliseconds`);
  }
  return value;
}

export function parsePath(raw: string): string {
  return raw.trim();
}

export function parsePathList(raw: string): readonly string[] {
  return Object.freeze(
    raw
      .split(',')
      .map((path) => path.trim())
      .filter(Boolean),
  );
}

export function parseCount(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, `"${raw}" is not a positive whole number`);
  }
  return value;
}

export function parseWholeNumber(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(name, `"${raw}" is not a whole number`);
  }
  return value;
}

// distribution's token spec asks clients to expect at least 60 seconds.
const MIN_TOKEN_TTL_SECONDS = 60;

export function parseTokenTtl(raw: string, name: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < MIN_TOKEN_TTL_SECONDS) {
    throw new ConfigError(name, `"${raw}" is not a whole number of seconds, at least 60`);
  }
  return value;
}

/** Empty, or a GitHub numeric id (an App's, an installation's). */
export function parseOptionalId(raw: string, name: string): string {
  const value = raw.trim();
  if (value !== '' && !/^\d+$/.test(value)) throw new ConfigError(name, `"${raw}" is not a number`);
  return value;
}

/** Empty, or an http(s) URL, without a trailing slash. */
export function parseOptionalUrl(raw: string, name: string): string {
  if (raw.trim() === '') return '';
  return parseUrl(['http:', 'https:'])(raw, name).href.replace(/\/$/, '');
}
