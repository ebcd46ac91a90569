import type { NamespaceKind } from '../identity/directory';
import type { Package, PackageVersion } from '../packages/package';
import { referrerKind } from '../packages/referrers';
import type { ReferrerDescriptor } from '../packages/referrers';
import type { Caller } from './access';
import type { ApiParts } from './parts';

/**
 * The JSON of GitHub's Packages API: packages, versions, their owners and repositories, with
 * URLs on the web origin as the client reached it. Settings are crgate's own shape.
 */
export interface PackageUrls {
  readonly url: string;
  readonly htmlUrl: string;
  readonly versionUrl: (id: number) => string;
  readonly versionHtmlUrl: (id: number) => string;
}

function ownerPath(kind: NamespaceKind, namespace: string): string {
  return `${kind === 'org' ? 'orgs' : 'users'}/${namespace}`;
}

export function packageUrls(caller: Caller, name: string): PackageUrls {
  const owner = `${caller.base}/${ownerPath(caller.kind, caller.namespace)}`;
  const api = `${caller.base}/api/v3/${ownerPath(caller.kind, caller.namespace)}`;
  const encoded = encodeURIComponent(name);
  const url = `${api}/packages/container/${encoded}`;
  return {
    url,
    htmlUrl: `${owner}/packages/container/package/${encoded}`,
    versionUrl: (id) => `${url}/versions/${id}`,
    versionHtmlUrl: (id) => `${owner}/packages/container/${encoded}/${id}`,
  };
}

export async function ownerJson(
  parts: ApiParts,
  base: string,
  login: string,
  kind: NamespaceKind | undefined,
) {
  return {
    login,
    id: await parts.ownerIds.idOf(login),
    type: kind === 'org' ? 'Organization' : 'User',
    url: `${base}/api/v3/users/${login}`,
    html_url: `${base}/${login}`,
  };
}

export type OwnerJson = Awaited<ReturnType<typeof ownerJson>>;

async function repositoryJson(parts: ApiParts, base: string, fullName: string | undefined) {
  const repository = fullName ? await parts.directory.repository(fullName) : undefined;
  if (!repository) return null;
  const kind = await parts.directory.namespaceKind(repository.owner);
  return {
    id: await parts.repositoryIds.idOf(repository.fullName),
    name: repository.name,
    full_name: repository.fullName,
    private: repository.visibility !== 'public',
    html_url: `${base}/${repository.fullName}`,
    url: `${base}/api/v3/repos/${repository.fullName}`,
    owner: await ownerJson(parts, base, repository.owner, kind),
  };
}

/** A package; `owner` is the caller's namespace, computed once per request. */
export async function packageJson(
  parts: ApiParts,
  caller: Caller,
  owner: OwnerJson,
  pkg: Package,
  versionCount: number,
) {
  const { record } = pkg;
  const urls = packageUrls(caller, record.name);
  return {
    id: record.id,
    name: record.name,
    package_type: 'container',
    owner,
    version_count: versionCount,
    visibility: record.visibility,
    url: urls.url,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    repository: await repositoryJson(parts, caller.base, record.linkedRepository),
    html_url: urls.htmlUrl,
  };
}

/** What a version's JSON says beyond its record: its tags, and what refers to it. */
export interface VersionFacts {
  readonly tags: readonly string[];
  /** Only for a version with referrers: a field of crgate's own, beside GitHub's. */
  readonly referrers?: readonly ReferrerDescriptor[];
  /** Only for a deleted version. */
  readonly deletedAt?: string;
}

function referrersJson(referrers: readonly ReferrerDescriptor[]) {
  return referrers.map((r) => ({
    digest: r.digest,
    media_type: r.mediaType,
    artifact_type: r.artifactType ?? null,
    kind: referrerKind(r.artifactType),
  }));
}

/** A version as GitHub gives it, with its referrers when it has some. */
export function versionJson(urls: PackageUrls, version: PackageVersion, facts: VersionFacts) {
  const { tags, referrers = [], deletedAt } = facts;
  const container = {
    tags: [...tags],
    ...(referrers.length > 0 ? { referrers: referrersJson(referrers) } : {}),
  };
  return {
    id: version.id,
    name: version.digest,
    url: urls.versionUrl(version.id),
    package_html_url: urls.htmlUrl,
    created_at: version.createdAt,
    updated_at: version.createdAt,
    ...(deletedAt ? { deleted_at: deletedAt } : {}),
    html_url: urls.versionHtmlUrl(version.id),
    metadata: { package_type: 'container', container },
  };
}

/** The settings GitHub keeps in its web interface, as crgate's settings endpoints give them. */
export function settingsJson(pkg: Package) {
  const { record, access } = pkg;
  return {
    visibility: record.visibility,
    repository: record.linkedRepository ?? null,
    inherit_access: record.inheritAccess,
    access: { users: access.users, teams: access.teams },
    actions: access.actions,
    link_note: record.linkNote ?? null,
  };
}
