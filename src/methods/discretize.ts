// Discretisation (DESIGN.md §5): from a ranking of nodes to the smallest prefix whose task
// loss, with every other node ablated, is at or below the target.
//
// Loss is NOT monotone in the prefix size along a learned ranking: adding nodes back can
// break a zero-ablation circuit that relied on a cancellation. Bisection assumes
// monotonicity and can return a size far above a passing prefix, so this is a scan:
// a grid over all sizes, then repeated refinement below the smallest passing point,
// until the interval below it has been looked at size by size.

export interface ScanProbe {
  size: number;
  loss: number;
}

export interface ScanResult {
  /** smallest passing prefix found (total when none passes) */
  size: number;
  /** its loss */
  loss: number;
  /** false when not even the whole ranking meets the target */
  passed: boolean;
  /** every (size, loss) evaluated, sorted by size */
  probes: ScanProbe[];
  /** true when some larger probe fails after a smaller one passed (the curve is not monotone) */
  monotone: boolean;
}

export interface ScanOptions {
  /** grid points over [1, total] (geometric, plus a linear grid); default 48 */
  gridPoints?: number;
  /** points per refinement level; default 16 */
  refinePoints?: number;
}

/** Geometric ∪ linear grid over [1, total], each point an integer, sorted, unique. */
export function scanGrid(total: number, points: number): number[] {
  const s = new Set<number>([1, total]);
  const half = Math.max(2, Math.floor(points / 2));
  for (let i = 0; i <= half; i++) s.add(Math.max(1, Math.round(Math.exp((Math.log(total) * i) / half))));
  for (let i = 1; i <= half; i++) s.add(Math.max(1, Math.round((total * i) / half)));
  return [...s].filter((x) => x >= 1 && x <= total).sort((a, b) => a - b);
}

/**
 * Smallest n ≥ 1 with lossAt(n) ≤ target, found by scan. The empty circuit (n = 0) is
 * never a circuit. Every size in the final refinement window is evaluated, so the
 * result is the smallest passing size at or below the window; sizes far below the first
 * passing grid point are covered by the grid only (reported as probes).
 */
export async function scanPrefix(lossAt: (n: number) => number | Promise<number>, total: number, target: number, opts: ScanOptions = {}): Promise<ScanResult> {
  const gridPoints = opts.gridPoints ?? 48;
  const refinePoints = Math.max(2, opts.refinePoints ?? 16);
  const seen = new Map<number, number>();
  const probe = async (n: number): Promise<number> => {
    let l = seen.get(n);
    if (l === undefined) {
      l = await lossAt(n);
      if (!Number.isFinite(l)) l = Number.MAX_VALUE;
      seen.set(n, l);
    }
    return l;
  };
  const finish = async (size: number, passed: boolean): Promise<ScanResult> => {
    const probes = [...seen.entries()].map(([s, l]) => ({ size: s, loss: l })).sort((a, b) => a.size - b.size);
    let monotone = true;
    let passedOnce = false;
    for (const p of probes) {
      if (p.loss <= target) passedOnce = true;
      else if (passedOnce) monotone = false;
    }
    return { size, loss: seen.get(size) ?? (await probe(size)), passed, probes, monotone };
  };
  if (total < 1) return { size: 0, loss: await lossAt(0), passed: false, probes: [], monotone: true };
  const grid = scanGrid(total, gridPoints);
  // the whole grid is evaluated (not just up to the first pass): it is the curve whose monotonicity is reported
  for (const n of grid) await probe(n);
  const first = grid.find((n) => seen.get(n)! <= target);
  if (first === undefined) return finish(total, false);
  let hi: number = first;
  // refine (lo, hi): lo is the largest evaluated size below hi (it fails, or it would be hi)
  for (;;) {
    const lo = Math.max(0, ...[...seen.keys()].filter((n) => n < hi));
    const width = hi - lo - 1;
    if (width <= 0) break;
    const pts: number[] =
      width <= refinePoints
        ? Array.from({ length: width }, (_, i) => lo + 1 + i)
        : Array.from({ length: refinePoints }, (_, i) => lo + Math.max(1, Math.round(((i + 1) * (hi - lo)) / (refinePoints + 1))));
    const candidates = [...new Set(pts)].filter((n) => n > lo && n < hi).sort((a, b) => a - b);
    let pass: number | undefined;
    for (const n of candidates) {
      if ((await probe(n)) <= target) {
        pass = n;
        break;
      }
    }
    if (pass !== undefined) hi = pass;
    else if (width <= refinePoints) break; // every size in (lo, hi) fails: hi is the smallest
    // otherwise the next round narrows to (largest failing refinement point, hi)
  }
  return finish(hi, true);
}
