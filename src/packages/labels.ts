import { isJsonObject, stringEntries } from './json';
import type { JsonObject } from './json';

/**
 * Package metadata read from the pre-defined OCI annotation keys (image-spec annotations.md),
 * which images carry as configuration labels and OCI manifests and indexes as annotations.
 * Pure: the caller fetches the configuration blob and says which origin it serves.
 */
export const SOURCE_LABEL = 'org.opencontainers.image.source';
export const DESCRIPTION_LABEL = 'org.opencontainers.image.description';
export const LICENSES_LABEL = 'org.opencontainers.image.licenses';
export const MAX_DESCRIPTION_CHARS = 512;
export const MAX_LICENSE_CHARS = 256;

export interface Truncated {
  readonly value: string;
  readonly truncated: boolean;
}

export interface PackageLabels {
  readonly source?: string;
  readonly description?: Truncated;
  readonly license?: Truncated;
}

type Labels = JsonObject;

// GitHub's login and repository name grammars, the same as the directory file's
// (identity/directory-file-schema.ts), compared in lower case.
const OWNER = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$/;
const REPOSITORY = /^(?!\.\.?$)[a-z0-9._-]{1,100}$/;

/** The value of `key` in the last source that has a usable one, trimmed. */
function lastValue(sources: readonly (Labels | undefined)[], key: string): string | undefined {
  for (const source of [...sources].reverse()) {
    const value = source !== undefined && Object.hasOwn(source, key) ? source[key] : undefined;
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** Labels from several places; a later source wins over an earlier one for each key. */
export function packageLabels(...sources: (Labels | undefined)[]): PackageLabels {
  const source = lastValue(sources, SOURCE_LABEL);
  const description = lastValue(sources, DESCRIPTION_LABEL);
  const license = lastValue(sources, LICENSES_LABEL);

  const labels: { -readonly [K in keyof PackageLabels]: PackageLabels[K] } = {};
  if (source !== undefined) labels.source = source;
  if (description !== undefined) labels.description = truncate(description, MAX_DESCRIPTION_CHARS);
  if (license !== undefined) labels.license = truncate(license, MAX_LICENSE_CHARS);
  return labels;
}

/**
 * The `config.Labels` of an image configuration blob: Docker's image spec v1.2 and OCI's
 * config.md both put them there, and Docker writes `null` when there are none. Never throws:
 * a blob crgate cannot read just has no labels.
 */
export function imageConfigLabels(blob: Buffer): Readonly<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob.toString('utf8'));
  } catch {
    return {};
  }

  const labels =
    isJsonObject(parsed) && isJsonObject(parsed.config) ? parsed.config.Labels : undefined;
  return isJsonObject(labels) ? stringEntries(labels) : {};
}

/** Cuts at `max` characters counted as Unicode code points, never splitting a surrogate pair. */
export function truncate(value: string, max: number): Truncated {
  let units = 0;
  let points = 0;
  // The string iterator yields whole code points, so `units` always lands between two.
  for (const char of value) {
    if (points >= max) return { value: value.slice(0, units), truncated: true };
    units += char.length;
    points += 1;
  }
  return { value, truncated: false };
}

/**
 * The path of `https://host/OWNER/REPO[.git][/]` as owner and repository, or undefined when
 * the path has another shape.
 */
function ownerAndRepository(pathname: string): [string, string] | undefined {
  const segments = pathname.replace(/\/$/, '').split('/');
  if (segments.length !== 3 || segments[0] !== '') return undefined;

  const owner = (segments[1] as string).toLowerCase();
  const repository = (segments[2] as string).toLowerCase().replace(/\.git$/, '');
  return OWNER.test(owner) && REPOSITORY.test(repository) ? [owner, repository] : undefined;
}

/**
 * The WHATWG parser repairs what a link must not need repaired: it drops tabs and newlines,
 * turns `\` into `/`, resolves `.` and `..` segments, forgets an empty `@`, `?` or `#`, and
 * omits a default port. A source counts only if it was already written as the parser prints it.
 */
function isCanonical(source: string, url: URL): boolean {
  const printed = `${url.protocol}//${url.host}${url.pathname}`;
  return source.toLowerCase() === printed.toLowerCase();
}

/**
 * The repository (`owner/name`, lower case) a source URL names on this crgate's web origin,
 * or undefined when there is no reason to guess. The source must be
 * `https://<hostname>/OWNER/REPO`, optionally with `.git` and/or a trailing slash; `http://`
 * is accepted too when the origin itself is served over `scheme` 'http'. The host is compared
 * case-insensitively, port included (`hostname` such as 'localhost:8080').
 */
export function linkedRepositoryName(
  source: string,
  hostname: string,
  scheme: 'https' | 'http',
): string | undefined {
  const trimmed = source.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return undefined;
  }

  const protocolOk = url.protocol === 'https:' || (scheme === 'http' && url.protocol === 'http:');
  if (!protocolOk || url.host !== hostname.toLowerCase() || !isCanonical(trimmed, url)) {
    return undefined;
  }
  const names = ownerAndRepository(url.pathname);
  return names && names.join('/');
}
