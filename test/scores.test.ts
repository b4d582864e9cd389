import { describe, expect, it } from 'vitest';
import { cmd, cpr, histogram, jsDivergence, normalizedFaithfulness, nStar, paretoFront, pearson, pearsonOrNull, spearman } from '../src/results/stats.ts';

describe('check 1: Pareto front and n*', () => {
  const pts = [
    { size: 10, loss: 0.5 },
    { size: 5, loss: 0.8 },
    { size: 8, loss: 0.8 },
    { size: 12, loss: 0.2 },
    { size: 8, loss: 0.3 },
    { size: 20, loss: 0.25 },
  ];
  it('keeps the non-dominated points, sorted by size', () => {
    expect(paretoFront(pts)).toEqual([
      { size: 5, loss: 0.8 },
      { size: 8, loss: 0.3 },
      { size: 12, loss: 0.2 },
    ]);
    expect(paretoFront([])).toEqual([]);
  });
  it('n* is the smallest size at or below the target loss', () => {
    expect(nStar(pts, 0.3)).toBe(8);
    expect(nStar(pts, 0.5)).toBe(8);
    expect(nStar(pts, 0.8)).toBe(5);
    expect(nStar(pts, 0.2)).toBe(12);
    expect(nStar(pts, 0.1)).toBeUndefined();
    expect(nStar([], 1)).toBeUndefined();
  });
});

describe('check 4: Pearson r, role score, flipped share, JS divergence', () => {
  it('pearson on hand-computed cases', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // dx = dy·(±1): Σdxdy = 4, Σdx² = Σdy² = 5
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson(Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 3, 2, 4]))).toBeCloseTo(0.8, 6);
  });
  it('pearson is 0 (pearsonOrNull null) when a side has zero variance or there are < 2 points', () => {
    expect(pearson([1, 2, 3], [5, 5, 5])).toBe(0);
    expect(pearson([0, 0, 0], [0, 0, 0])).toBe(0);
    expect(pearson([1], [2])).toBe(0);
    expect(pearsonOrNull([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(pearsonOrNull([7, 7], [1, 2])).toBeNull();
    expect(() => pearson([1, 2], [1])).toThrow(/length/);
  });
  it('Spearman ρ uses ranks (monotone = 1, reversed = −1, ties averaged)', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 35, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    expect(spearman([1, 1, 2], [1, 2, 3])).toBeCloseTo(0.8660254, 6);
    expect(spearman([1, 2], [1, 2])).toBeNull();
  });
  it('JS divergence in bits', () => {
    expect(jsDivergence([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jsDivergence([0.5, 0.5], [0.5, 0.5])).toBe(0);
    // m = (0.75, 0.25): ½·log2(4/3) + ½·(½·log2(2/3) + ½·log2 2)
    const expected = 0.5 * Math.log2(4 / 3) + 0.5 * (0.5 * Math.log2(2 / 3) + 0.5);
    expect(expected).toBeCloseTo(0.3112781, 6);
    expect(jsDivergence([1, 0], [0.5, 0.5])).toBeCloseTo(expected, 12);
    expect(jsDivergence([0.5, 0.5], [1, 0])).toBeCloseTo(expected, 12); // symmetric
    expect(jsDivergence([2, 0], [3, 3])).toBeCloseTo(expected, 12); // renormalised
    expect(() => jsDivergence([1], [0.5, 0.5])).toThrow(/length/);
    expect(() => jsDivergence([0, 0], [0.5, 0.5])).toThrow(/sums/);
    expect(() => jsDivergence([-1, 2], [0.5, 0.5])).toThrow(/probability/);
  });
});

describe('MIB comparison: normalized faithfulness, CPR, CMD', () => {
  it('f = (m(C) − m(∅)) / (m(N) − m(∅)), 0 when m(N) = m(∅)', () => {
    expect(normalizedFaithfulness(3, 1, 5)).toBe(0.5);
    expect(normalizedFaithfulness(6, 1, 5)).toBe(1.25);
    expect(normalizedFaithfulness(0, 1, 5)).toBe(-0.25);
    expect(normalizedFaithfulness(3, 5, 1)).toBe(0.5); // negative denominator is fine
    expect(normalizedFaithfulness(3, 2, 2)).toBe(0);
  });
  it('CPR and CMD by the trapezoid rule', () => {
    const curve = [
      { x: 0.5, f: 1 },
      { x: 0, f: 0 }, // unsorted on purpose
      { x: 1, f: 1 },
    ];
    expect(cpr(curve)).toBeCloseTo(0.75, 12);
    expect(cmd(curve)).toBeCloseTo(0.25, 12);
    // f crosses 1 at x = 0.5: |1 − f| is two triangles of area ¼ each
    const crossing = [
      { x: 0, f: 0 },
      { x: 1, f: 2 },
    ];
    expect(cpr(crossing)).toBeCloseTo(1, 12);
    expect(cmd(crossing)).toBeCloseTo(0.5, 12);
    // a perfect circuit at every size
    const perfect = [0, 0.25, 1].map((x) => ({ x, f: 1 }));
    expect(cpr(perfect)).toBeCloseTo(1, 12);
    expect(cmd(perfect)).toBe(0);
    expect(cpr([{ x: 0.3, f: 1 }])).toBe(0);
  });
});

describe('histogram', () => {
  it('counts equal-width bins, last bin closed, values outside the range apart', () => {
    const h = histogram([0, 0.1, 0.25, 0.5, 0.99, 1, 1.5, -0.1, NaN], 4, [0, 1]);
    expect(h.edges).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(h.counts).toEqual([2, 1, 1, 2]);
    expect(h.outside).toBe(3);
  });
  it('defaults to the values’ range; degenerate range and bad arguments', () => {
    expect(histogram([1, 2, 3], 2)).toEqual({ edges: [1, 2, 3], counts: [1, 2], outside: 0 });
    expect(histogram([5, 5], 2)).toEqual({ edges: [5, 5, 5], counts: [2, 0], outside: 0 });
    expect(histogram([], 3, [0, 1]).counts).toEqual([0, 0, 0]);
    expect(() => histogram([1], 0)).toThrow(/bins/);
    expect(() => histogram([1], 2, [1, 0])).toThrow(/range/);
  });
});
