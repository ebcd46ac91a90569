import type { RedisClient } from '../state/redis';
import { PACKAGE_KEYS } from './package-keys';

/**
 * What a manifest reference names in crgate's records, read in one round trip: the whole
 * package hidden by a deletion, the reference hidden, or a digest (the tag's, or the digest
 * asked for) with whether crgate recorded that version. A reference crgate never recorded (a
 * tag pushed before crgate was installed) is `unrecorded`: only the registry knows it.
 */
export type ReferenceRecord =
  | { readonly kind: 'package-hidden' }
  | { readonly kind: 'hidden' }
  | { readonly kind: 'digest'; readonly digest: string; readonly recorded: boolean }
  | { readonly kind: 'unrecorded' };

// KEYS hidden, tags, versions; ARGV the reference and whether it is a digest ('1' or '0').
const RESOLVE = `
if redis.call('HEXISTS', KEYS[1], 'package') == 1 then return {'package-hidden'} end
local reference = ARGV[1]
local field = (ARGV[2] == '1') and ('digest:' .. reference) or ('tag:' .. reference)
if redis.call('HEXISTS', KEYS[1], field) == 1 then return {'hidden'} end
local digest = reference
if ARGV[2] ~= '1' then
  digest = redis.call('HGET', KEYS[2], reference)
  if not digest then return {'unrecorded'} end
end
return {'digest', digest, redis.call('HEXISTS', KEYS[3], digest)}
`;

export async function readReference(
  redis: RedisClient,
  repository: string,
  reference: string,
  isDigest: boolean,
): Promise<ReferenceRecord> {
  const keys = [
    PACKAGE_KEYS.hidden(repository),
    PACKAGE_KEYS.tags(repository),
    PACKAGE_KEYS.versions(repository),
  ];
  const reply = (await redis.eval(RESOLVE, 3, ...keys, reference, isDigest ? '1' : '0')) as [
    string,
    string?,
    number?,
  ];
  const [kind, digest, recorded] = reply;
  if (kind === 'digest' && digest) return { kind, digest, recorded: recorded === 1 };
  if (kind === 'package-hidden' || kind === 'hidden') return { kind };
  return { kind: 'unrecorded' };
}
