import type { RedisClient } from '../state/redis';
import { splitRepository } from './package';
import { PACKAGE_KEYS } from './package-keys';

/**
 * The index of a namespace's deleted package names (PACKAGE_KEYS.deletedNames), so that the
 * deleted packages page reads its own namespace rather than every deletion in the purge queue.
 *
 * A name is in the index while its trash holds a deletion. The trash is in the package's hash
 * slot and the index in the namespace's, so no script can change both (Redis Cluster): the
 * index is written after the deletion scripts, and the trash stays the truth. A name is added
 * after a deletion lands in the trash, and taken out only by removing it first and then
 * adding it back if the trash still holds one, so a deletion that lands meanwhile is never
 * lost from the index. A crash between a script and the index leaves at worst a name whose
 * trash is empty, which readers leave out.
 */
function indexKey(repository: string): string {
  return PACKAGE_KEYS.deletedNames(splitRepository(repository).namespace);
}

/** After a package deletion landed in the trash. */
export async function indexDeletedName(redis: RedisClient, repository: string): Promise<void> {
  await redis.zadd(indexKey(repository), 0, repository);
}

/** After a deletion left the trash (restored or purged): out, unless another one is left. */
export async function unindexDeletedName(redis: RedisClient, repository: string): Promise<void> {
  await redis.zrem(indexKey(repository), repository);
  if ((await redis.hlen(PACKAGE_KEYS.trash(repository))) > 0) {
    await indexDeletedName(redis, repository);
  }
}

/** The names within `namespace` of the packages with deletions in their trash, in name order. */
export async function deletedNamesIn(redis: RedisClient, namespace: string): Promise<string[]> {
  // Scores are all 0, so the set is in byte order of the names.
  const repositories = await redis.zrange(PACKAGE_KEYS.deletedNames(namespace), 0, -1);
  const kept = await Promise.all(
    repositories.map(async (repository) => (await redis.hlen(PACKAGE_KEYS.trash(repository))) > 0),
  );
  return repositories
    .filter((_, i) => kept[i])
    .map((repository) => splitRepository(repository).name);
}
