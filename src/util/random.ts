// One Fisher–Yates shuffle for every seeded permutation (prompt draws, random rankings,
// size-matched circuits, node samples, adversary flip orders).

/** A shuffled copy of xs, driven by a uniform RNG in [0, 1). */
export function shuffled<T>(xs: readonly T[], rng: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
