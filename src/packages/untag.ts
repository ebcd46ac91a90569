/**
 * Untagging (`DELETE /v2/<name>/manifests/<tag>`, see registry/tag-deletion.ts) hides the tag
 * the way a version deletion hides its tags, and leaves the version alone: pulls, tags lists,
 * the package page and the REST API stop showing the tag, its digest stays pullable, and a
 * later push of the tag shows it again (RECORD_VERSION clears the hidden field).
 *
 * The hidden field names the digest the registry's tag points at, as a deletion's does: a
 * restore of a version finds its tag reused when the field names another digest, and the
 * purge forgets the field with the digest it deletes, since the registry's tag goes with it.
 * The tag leaves the active tags, so a later deletion of the version neither records nor
 * restores it.
 *
 * KEYS packageKeys (deletion.ts); ARGV tag, the digest it names, updated_at.
 */
export const UNTAG = `
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[5], 'tag:' .. ARGV[1], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'updated_at', ARGV[3]) end
return 1`;
