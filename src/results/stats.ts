// Pure score formulas of the suite (DESIGN §6). No tfjs: every function here takes plain numbers,
// so the suite, the site and the offline verifier compute a score from stored figures identically.
//
// The scores themselves live in scoring.ts; this module holds the statistics around them
// (Pearson and Spearman r, Jensen–Shannon divergence, histograms, n*, MIB areas). Degenerate inputs never produce NaN or ±∞: each function
// documents what it returns instead.
import { clamp01, mibAreas, paretoFront as schemaParetoFront } from './schema.ts';

export { clamp01 };

export interface SizeLoss {
  size: number;
  loss: number;
}

// ---------------------------------------------------------------------------------------------
// Check 1: loss vs size

/**
 * The non-dominated (size, loss) points, sorted by size: a point is kept when no point of
 * smaller-or-equal size has a lower-or-equal loss (so each kept point strictly lowers the loss).
 */
export function paretoFront(points: ReadonlyArray<SizeLoss>): SizeLoss[] {
  return schemaParetoFront(points);
}

/** n*: the smallest size whose loss is ≤ target; undefined when no point reaches the target. */
export function nStar(points: ReadonlyArray<SizeLoss>, target: number): number | undefined {
  let best: number | undefined;
  for (const p of points) if (p.loss <= target && (best === undefined || p.size < best)) best = p.size;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Check 4: node-role consistency

/**
 * Pearson correlation of two equally long samples. Returns 0 when either side has zero variance
 * (or fewer than two points), where r is undefined: a constant activation carries no role to keep.
 * Use `pearsonOrNull` where the undefined case must be told apart (results store it as null).
 */
export function pearson(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  return pearsonOrNull(xs, ys) ?? 0;
}

/** Pearson r, or null when either side has zero variance or there are fewer than two points. */
export function pearsonOrNull(xs: ArrayLike<number>, ys: ArrayLike<number>): number | null {
  const n = xs.length;
  if (ys.length !== n) throw new Error(`pearson: samples differ in length (${n} vs ${ys.length})`);
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // relative tolerance: a float32 "constant" activation can show rounding-level variance
  const scale = Math.max(mx * mx, my * my, 1e-300) * n;
  if (sxx <= 1e-12 * scale || syy <= 1e-12 * scale || sxx === 0 || syy === 0) return null;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/**
 * Jensen–Shannon divergence in bits (log base 2), so in [0, 1], between two discrete
 * distributions (e.g. attention patterns at the last position). Inputs are renormalised to sum
 * to 1; 0·log 0 = 0. Throws on a length mismatch, a negative entry or an all-zero side.
 */
export function jsDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error(`jsDivergence: lengths differ (${p.length} vs ${q.length})`);
  const norm = (v: ArrayLike<number>, name: string): number => {
    let s = 0;
    for (let i = 0; i < v.length; i++) {
      if (!(v[i] >= 0)) throw new Error(`jsDivergence: ${name}[${i}] = ${v[i]} is not a probability`);
      s += v[i];
    }
    if (!(s > 0)) throw new Error(`jsDivergence: ${name} sums to ${s}`);
    return s;
  };
  const sp = norm(p, 'p');
  const sq = norm(q, 'q');
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) js += 0.5 * a * Math.log2(a / m);
    if (b > 0) js += 0.5 * b * Math.log2(b / m);
  }
  return clamp01(js);
}

// ---------------------------------------------------------------------------------------------
// Comparison with the MIB circuit track.
// Mueller, Geiger, Wiegreffe et al., "MIB: A Mechanistic Interpretability Benchmark", ICML 2025
// (arXiv:2504.13151), circuit localization track: normalized faithfulness
// f(C) = (m(C) − m(∅)) / (m(N) − m(∅)) evaluated at several circuit sizes; CPR (circuit
// performance ratio) is the area under f over the fraction of the model kept, higher = better;
// CMD (circuit–model distance) is the area between f and 1, i.e. under |1 − f|, 0 = optimal.

/**
 * Normalized faithfulness (m = logit difference target − foil). May leave [0, 1].
 * Degenerate case: when m(N) = m(∅) the model's behaviour does not depend on its nodes at all and
 * f is undefined; it is reported as 0 (finite, so it can be stored).
 */
export function normalizedFaithfulness(m_C: number, m_empty: number, m_full: number): number {
  const den = m_full - m_empty;
  return den === 0 ? 0 : (m_C - m_empty) / den;
}

/** A point of the faithfulness curve: x = fraction of nodes in the circuit (in [0, 1]), f = normalized faithfulness. */
export interface CurvePoint {
  x: number;
  f: number;
}

function asKCurve(curve: ReadonlyArray<CurvePoint>): Array<{ k: number; f: number }> {
  return curve.map((p) => ({ k: p.x, f: p.f }));
}

/** CPR: trapezoid area under f over x ∈ [0, 1] (points sorted by x; only the span the points cover is integrated). */
export function cpr(curve: ReadonlyArray<CurvePoint>): number {
  return mibAreas(asKCurve(curve), 1).cpr;
}

/** CMD: area under |1 − f| over x, piecewise-linear f, splitting a segment exactly where f crosses 1. */
export function cmd(curve: ReadonlyArray<CurvePoint>): number {
  return mibAreas(asKCurve(curve), 1).cmd;
}

// ---------------------------------------------------------------------------------------------
// Uncertainty and distributions

export interface Histogram {
  /** bins + 1 increasing edges, edges[0] = lo, edges[bins] = hi */
  edges: number[];
  /** counts[i] = values in [edges[i], edges[i+1]); the last bin also holds values equal to hi */
  counts: number[];
  /** values outside [lo, hi] (and NaN), not counted in any bin */
  outside: number;
}

/**
 * Equal-width histogram over [lo, hi] (default: the values' min and max). Bins are half-open
 * except the last, which is closed (as numpy's). When lo = hi every value equal to lo goes to the
 * first bin.
 */
export function histogram(values: ReadonlyArray<number>, bins: number, range?: readonly [number, number]): Histogram {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`histogram: bins must be a positive integer, got ${bins}`);
  let lo: number;
  let hi: number;
  if (range) [lo, hi] = range;
  else {
    const finite = values.filter((v) => Number.isFinite(v));
    lo = finite.length ? Math.min(...finite) : 0;
    hi = finite.length ? Math.max(...finite) : 1;
  }
  if (!(hi >= lo)) throw new Error(`histogram: empty range [${lo}, ${hi}]`);
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  let outside = 0;
  for (const v of values) {
    if (!(v >= lo && v <= hi)) {
      outside++;
      continue;
    }
    const i = width > 0 ? Math.min(bins - 1, Math.floor((v - lo) / width)) : 0;
    counts[i]++;
  }
  return { edges, counts, outside };
}

/** Spearman rank correlation (average ranks for ties); null with fewer than 3 points or no variance. */
export function spearman(xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): number | null {
  if (xs.length !== ys.length) throw new Error('spearman: samples differ in length');
  if (xs.length < 3) return null;
  const ranks = (v: ReadonlyArray<number>) => {
    const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  return pearsonOrNull(ranks(xs), ranks(ys));
}

/**
 * Wilson score interval for a binomial share k/n at confidence 1 − α (default 95%): unlike the
 * normal (Wald) interval it stays inside [0, 1] and is not degenerate at k = 0 or k = n, which is
 * where a bad-circuit share on 20 seeds often sits. null for n = 0.
 */
export function wilsonInterval(k: number, n: number, z = 1.959963984540054): [number, number] | null {
  if (!(Number.isInteger(k) && Number.isInteger(n) && k >= 0 && k <= n)) throw new Error(`wilsonInterval: need integers 0 ≤ k ≤ n, got k=${k}, n=${n}`);
  if (n === 0) return null;
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
