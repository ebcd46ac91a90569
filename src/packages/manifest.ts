import { isDigest } from '../registry/classify';
import { RegistryError } from '../registry/errors';
import { isJsonObject, stringEntries } from './json';
import type { JsonObject } from './json';

/**
 * Parsing of a manifest pushed with `PUT /v2/<name>/manifests/<reference>`, before it is
 * forwarded: what kind it is, what it references, and its annotations. Parsing is pure and
 * refuses, with MANIFEST_INVALID, what crgate cannot account for: Docker schema 1, unknown
 * media types and malformed descriptors.
 */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  /** Where a foreign layer can be fetched from, e.g. Windows base layers. */
  readonly urls?: readonly string[];
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** An entry of an index or manifest list. */
export type IndexEntry = Descriptor & { readonly platform?: Platform };

export interface ParsedManifest {
  /** The manifest's media type: the body's `mediaType`, else the request's Content-Type. */
  readonly mediaType: string;
  readonly kind: 'image' | 'index';
  /** Image manifests only. */
  readonly config?: Descriptor;
  /** Empty for an index. */
  readonly layers: readonly Descriptor[];
  /** Index / manifest list only; each with its platform when the index gives one. */
  readonly manifests: readonly IndexEntry[];
  readonly artifactType?: string;
  readonly subject?: Descriptor;
  /** Empty when absent; only string values are kept. */
  readonly annotations: Readonly<Record<string, string>>;
}

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

// A Map, not an object literal: a media type such as `constructor` must not find a prototype key.
const KINDS: ReadonlyMap<string, ParsedManifest['kind']> = new Map([
  [DOCKER_MANIFEST, 'image'],
  [DOCKER_MANIFEST_LIST, 'index'],
  [OCI_MANIFEST, 'image'],
  [OCI_INDEX, 'index'],
]);

// Docker Image Manifest Version 2, Schema 1: signed (prettyjws) or not; deprecated upstream.
const SCHEMA1_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

type Json = JsonObject;
type Extras = Pick<Descriptor, 'urls' | 'artifactType' | 'annotations'>;

function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function isStringArray(value: unknown): value is readonly string[] {
  return isArray(value) && value.every((item) => typeof item === 'string');
}

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', message, detail);
}

function schema1Refusal(): RegistryError {
  return invalid('only Docker schema 2 and OCI manifests are supported, not Docker schema 1');
}

/** RFC 9110 §8.3.1: parameters follow `;`, and type and subtype are case-insensitive. */
function essence(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type || undefined;
}

function parseBody(body: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('the manifest is not valid JSON');
  }
  if (!isJsonObject(value)) throw invalid('the manifest is not a JSON object');
  return value;
}

function checkSchemaVersion(manifest: Json): void {
  if (manifest.schemaVersion === 1) throw schema1Refusal();
  if (manifest.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
}

/**
 * OCI image-spec makes `mediaType` a SHOULD, not a MUST (image-manifest.md, image-index.md),
 * so a body without one, pushed without a manifest Content-Type, is recognised by its shape.
 */
function inferredMediaType(manifest: Json): string {
  if (isArray(manifest.manifests)) return OCI_INDEX;
  if (manifest.config !== undefined) return OCI_MANIFEST;
  throw invalid('the manifest has no mediaType, and neither config nor manifests');
}

/** Only a Content-Type that names a manifest type can contradict the body. */
function checkAgreement(mediaType: string, contentType: string | undefined): void {
  if (contentType === undefined || contentType === mediaType) return;
  if (KINDS.has(contentType) || SCHEMA1_TYPES.has(contentType)) {
    throw invalid('the mediaType disagrees with the Content-Type', { mediaType, contentType });
  }
}

function mediaTypeOf(manifest: Json, contentType: string | undefined): string {
  const declared = manifest.mediaType;
  if (declared === undefined) {
    if (contentType !== undefined && KINDS.has(contentType)) return contentType;
    return inferredMediaType(manifest);
  }

  if (typeof declared !== 'string') throw invalid('mediaType must be a string');
  checkAgreement(declared, contentType);
  return declared;
}

function kindOf(mediaType: string): ParsedManifest['kind'] {
  if (SCHEMA1_TYPES.has(mediaType)) throw schema1Refusal();
  const kind = KINDS.get(mediaType);
  if (kind === undefined) throw invalid('unsupported manifest media type', { mediaType });
  return kind;
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function descriptorExtras(value: Json): Extras {
  const extras: { -readonly [K in keyof Extras]: Extras[K] } = {};
  if (isStringArray(value.urls)) extras.urls = value.urls;
  if (typeof value.artifactType === 'string') extras.artifactType = value.artifactType;
  if (isJsonObject(value.annotations)) extras.annotations = stringEntries(value.annotations);
  return extras;
}

/** OCI image-spec, descriptor.md: mediaType, digest and size are required. */
function descriptor(value: unknown, field: string): Descriptor {
  if (!isJsonObject(value)) throw invalid(`${field} is not a descriptor`, { field });
  const { mediaType, digest, size } = value;

  if (typeof mediaType !== 'string') {
    throw invalid(`${field}.mediaType must be a string`, { field: `${field}.mediaType` });
  }
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw invalid(`${field}.digest is not a digest`, { field: `${field}.digest` });
  }
  if (!isSize(size)) {
    throw invalid(`${field}.size must be a non-negative integer`, { field: `${field}.size` });
  }
  return { mediaType, digest, size, ...descriptorExtras(value) };
}

function listOf<T>(value: unknown, field: string, parse: (item: unknown, at: string) => T): T[] {
  if (!isArray(value)) throw invalid(`${field} must be an array of descriptors`, { field });
  return value.map((item, index) => parse(item, `${field}[${index}]`));
}

function platformOf(value: unknown): Platform | undefined {
  if (!isJsonObject(value)) return undefined;
  const { os, architecture, variant } = value;

  if (typeof os !== 'string' || typeof architecture !== 'string') return undefined;
  return typeof variant === 'string' ? { os, architecture, variant } : { os, architecture };
}

function indexEntry(value: unknown, field: string): IndexEntry {
  const entry = descriptor(value, field);
  const platform = isJsonObject(value) ? platformOf(value.platform) : undefined;
  return platform === undefined ? entry : { ...entry, platform };
}

function imageParts(manifest: Json): Pick<ParsedManifest, 'kind' | 'config' | 'layers'> {
  // Layers may be empty: OCI artifacts often carry everything in config or annotations.
  return {
    kind: 'image',
    config: descriptor(manifest.config, 'config'),
    layers: listOf(manifest.layers, 'layers', descriptor),
  };
}

function indexParts(manifest: Json): Pick<ParsedManifest, 'kind' | 'manifests'> {
  return { kind: 'index', manifests: listOf(manifest.manifests, 'manifests', indexEntry) };
}

function commonParts(manifest: Json): Pick<ParsedManifest, 'artifactType' | 'subject'> {
  const parts: { artifactType?: string; subject?: Descriptor } = {};
  if (typeof manifest.artifactType === 'string') parts.artifactType = manifest.artifactType;
  // registry:2 (Go encoding/json) decodes `"subject": null` as no subject; so does crgate.
  if (manifest.subject !== undefined && manifest.subject !== null) {
    parts.subject = descriptor(manifest.subject, 'subject');
  }
  return parts;
}

/** Parses a pushed manifest; throws a MANIFEST_INVALID RegistryError for what is refused. */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  const type = essence(contentType);
  if (type !== undefined && SCHEMA1_TYPES.has(type)) throw schema1Refusal();

  const manifest = parseBody(body);
  checkSchemaVersion(manifest);
  const mediaType = mediaTypeOf(manifest, type);
  const kind = kindOf(mediaType);

  const annotations = isJsonObject(manifest.annotations) ? stringEntries(manifest.annotations) : {};
  const common = { mediaType, annotations, ...commonParts(manifest) };
  if (kind === 'image') return { ...common, ...imageParts(manifest), manifests: [] };
  return { ...common, ...indexParts(manifest), layers: [] };
}

/** The platform as the docker and podman CLIs write it: `os/architecture[/variant]`. */
export function platformName(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant ? `${base}/${platform.variant}` : base;
}
