/**
 * crgate's authorization decisions, by how its decision cache served them: the counter
 * `crgate_access_decisions_total` (src/telemetry/metrics.ts), read from crgate's metrics
 * listener before and after a run to show which path the run took. `memo` is a decision the
 * replica remembered itself (for up to a second), `hit` one read from the cache in Redis.
 */
export const CACHE_OUTCOMES = ['memo', 'hit', 'miss', 'degraded', 'unavailable'] as const;

export type CacheOutcome = (typeof CACHE_OUTCOMES)[number];

export type DecisionCounts = Record<CacheOutcome, number>;

const SERIES = /^crgate_access_decisions_total\{cache="(\w+)"\} (\S+)$/gm;

export function noDecisions(): DecisionCounts {
  return { memo: 0, hit: 0, miss: 0, degraded: 0, unavailable: 0 };
}

function isOutcome(label: string): label is CacheOutcome {
  return (CACHE_OUTCOMES as readonly string[]).includes(label);
}

/** The counts so far; an outcome crgate has not counted yet has no series, so counts 0. */
export async function readDecisions(metricsPort: number): Promise<DecisionCounts> {
  const answer = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (!answer.ok) throw new Error(`crgate: GET /metrics answered ${answer.status}`);

  const counts = noDecisions();
  for (const [, label, value] of (await answer.text()).matchAll(SERIES)) {
    if (label && isOutcome(label)) counts[label] = Number(value);
  }
  return counts;
}

/** Adds to `total` what crgate counted between `before` and `after`. */
export function addDecisions(
  total: DecisionCounts,
  before: DecisionCounts,
  after: DecisionCounts,
): void {
  for (const outcome of CACHE_OUTCOMES) total[outcome] += after[outcome] - before[outcome];
}
