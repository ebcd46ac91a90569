/**
 * The order in which a round visits its contestants (targets, or the senders of a load), so
 * that drift in the machine favours none: each round starts one place further along the list,
 * and after n rounds of n contestants the list is walked backwards for n more. Over n rounds
 * each contestant holds every place once; over 2n, each also comes before and after the
 * others (for 2 or 3 contestants, equally often: a Williams design).
 */
export function orderOfRound<T>(contestants: readonly T[], round: number): T[] {
  const n = contestants.length;
  const index = round - 1;
  const backwards = Math.floor(index / n) % 2 === 1;
  const list = backwards ? [...contestants].reverse() : [...contestants];
  const shift = index % n;
  return [...list.slice(shift), ...list.slice(0, shift)];
}
