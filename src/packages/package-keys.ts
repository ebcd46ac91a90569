/**
 * Where package records live in Redis, among the records that must not be lost (DESIGN.md,
 * "State"). Every key of one package carries the braces of its repository, so they share one
 * Redis Cluster slot and a change that spans them is one script.
 */
export const PACKAGE_KEYS = {
  /** Hash: settings (visibility, link, description, ...), id and revision. */
  record: (repository: string) => `crgate:rec:package:{${repository}}`,
  /** Hash: `user:LOGIN`, `team:NAME`, `repository:OWNER/REPO` to a role. */
  access: (repository: string) => `crgate:rec:package-access:{${repository}}`,
  /** Hash: digest to the JSON of an active version. */
  versions: (repository: string) => `crgate:rec:package-versions:{${repository}}`,
  /** Hash: tag to digest, for active versions. */
  tags: (repository: string) => `crgate:rec:package-tags:{${repository}}`,
  /** Hash: digest to how many times its manifest was pulled. */
  downloads: (repository: string) => `crgate:rec:package-downloads:{${repository}}`,
  /**
   * Hash: what pulls must not see although the registry still holds it: `tag:T` to the
   * digest it named, `digest:D` to the deleted version's id or the deleted package's token,
   * and `package` while the package is deleted and not published again.
   */
  hidden: (repository: string) => `crgate:rec:package-hidden:{${repository}}`,
  /** Hash: a deleted version's id to its JSON, until it is restored or purged. */
  deletedVersions: (repository: string) => `crgate:rec:package-deleted-versions:{${repository}}`,
  /** Hash: a deleted package's token to a snapshot of all its records. */
  trash: (repository: string) => `crgate:rec:package-trash:{${repository}}`,
  /**
   * Hash: `subject:D` to the JSON of the manifests pushed with subject D (referrers.ts), and
   * `referrer:R` to the subject of manifest R. A record states what a digest's content says,
   * so deletions leave it alone: who is listed is decided when read, from versions and hidden.
   */
  referrers: (repository: string) => `crgate:rec:package-referrers:{${repository}}`,
  /** Sorted set of every live package, for the catalog and namespace listings. */
  all: 'crgate:rec:packages',
  /**
   * Sorted set of a namespace's repositories with deletions in their trash, in name order, for
   * the deleted packages page. It lives in the namespace's slot, so the deletion scripts cannot
   * write it: deleted-names.ts updates it after them, and readers check the trash.
   */
  deletedNames: (namespace: string) => `crgate:rec:deleted-packages:{${namespace}}`,
  /** Counter for package and version ids. */
  nextId: 'crgate:rec:next-id',
  /** Sorted set of deletions by time, for the purge. */
  purgeQueue: 'crgate:rec:purge-queue',
};

/** The keys of one package, in the order the deletion scripts take them. */
export function packageKeys(repository: string): string[] {
  return [
    PACKAGE_KEYS.record(repository),
    PACKAGE_KEYS.access(repository),
    PACKAGE_KEYS.versions(repository),
    PACKAGE_KEYS.tags(repository),
    PACKAGE_KEYS.hidden(repository),
    PACKAGE_KEYS.deletedVersions(repository),
    PACKAGE_KEYS.downloads(repository),
    PACKAGE_KEYS.trash(repository),
  ];
}
