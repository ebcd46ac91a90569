/** Guards for JSON that arrives from clients: manifests, image configurations. */
export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The entries whose values are strings. Object.fromEntries defines own properties, so a
 * `__proto__` key stays an ordinary key.
 */
export function stringEntries(record: JsonObject): Record<string, string> {
  const entries = Object.entries(record).filter(([, value]) => typeof value === 'string');
  return Object.fromEntries(entries) as Record<string, string>;
}
