import type { Package, PackageVersion } from '../packages/package';
import { isReferrersTag } from '../packages/referrers';
import type { ApiParts } from './parts';

/**
 * A package's records as the API shows them: every package and version with an id. Records
 * from before crgate kept ids get theirs on first sight.
 */
export interface CurrentPackage {
  readonly pkg: Package;
  readonly versions: readonly PackageVersion[];
}

export async function current(
  parts: ApiParts,
  repository: string,
  pkg: Package,
): Promise<CurrentPackage> {
  const versions = await parts.packages.versions(repository);
  const missing = pkg.record.id === 0 || versions.some((v) => typeof v.id !== 'number');
  if (!missing) return { pkg, versions };

  await parts.packages.assignIds(repository);
  const again = await parts.packages.get(repository);
  return { pkg: again ?? pkg, versions: await parts.packages.versions(repository) };
}

/**
 * Digest to the tags that point at it, in name order; the referrers API's stand-in tags
 * (`sha256-<hex>`) are left out, since crgate lists referrers with their subject.
 */
export async function tagsByDigest(
  parts: ApiParts,
  repository: string,
): Promise<Map<string, string[]>> {
  const byDigest = new Map<string, string[]>();
  const tags = Object.entries(await parts.packages.tags(repository)).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  for (const [tag, digest] of tags) {
    if (!isReferrersTag(tag)) byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
  }
  return byDigest;
}
