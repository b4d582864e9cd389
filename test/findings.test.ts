// The size test of the scoring (faithbench findings): ρ between run overall and circuit share,
// over the grid, over methods, and within a (method, model, task) across seeds.
import { describe, expect, it } from 'vitest';
import { RHO_INTERVAL_MIN_RUNS, sizeCorrelation, spearmanInterval } from '../src/results/findings.ts';
import { spearman } from '../src/results/stats.ts';
import type { RunResult } from '../src/results/schema.ts';

/** Only the fields the size test reads; the rest of a run does not enter it. */
function run(method: string, seed: number, size: number, overall: number, baseline = false): RunResult {
  return {
    method: { id: method, baseline },
    model: { id: 'm' },
    task: 't',
    seed,
    flagged: false,
    circuit: { size, total_nodes: 1000 },
    checks: { c: { role: 'lifted', value: overall } },
  } as unknown as RunResult;
}

describe('the size test', () => {
  // method A learns small circuits, B large ones; within each, the bigger seeds score MORE: size buys score
  const buying = [
    ...[10, 20, 30, 40, 50].map((n, i) => run('A', i, n, 0.5 + 0.02 * i)),
    ...[300, 310, 320, 330, 340].map((n, i) => run('B', i, n, 0.2 + 0.02 * i)),
  ];
  it('sees size buying score within a method even when the methods differ the other way', () => {
    const sc = sizeCorrelation(buying);
    expect(sc.rho_within).toBeCloseTo(1, 12);
    expect(sc.cells_within).toBe(2);
    expect(sc.rho_methods!).toBeLessThan(0); // between methods the small one wins
  });
  it('reads no size effect within a method where there is none, and counts baselines only in rho', () => {
    const flat = [...[10, 20, 30, 40, 50].map((n, i) => run('A', i, n, [0.5, 0.3, 0.6, 0.4, 0.45][i])), ...[1000, 1000].map((n, i) => run('keep-all', i, n, 0, true))];
    const sc = sizeCorrelation(flat);
    expect(Math.abs(sc.rho_within!)).toBeLessThan(0.3);
    expect(sc.runs).toBe(7);
    expect(sc.runs_methods).toBe(5);
  });
  it('leaves out cells with fewer than 4 scored seeds', () => {
    const sc = sizeCorrelation(buying.filter((r) => r.method.id === 'B' || r.seed < 3));
    expect(sc.cells_within).toBe(1);
  });
});

describe('the size test’s bootstrap interval', () => {
  const xs = Array.from({ length: 40 }, (_, i) => i);
  it('contains ρ, is seeded (same input, same interval) and is [1, 1] for a perfectly monotone sample', () => {
    const noisy = xs.map((x) => x + 25 * Math.sin(7 * x));
    const rho = spearman(xs, noisy)!;
    const iv = spearmanInterval(xs, noisy, 'k')!;
    expect(iv[0]).toBeLessThan(rho);
    expect(iv[1]).toBeGreaterThan(rho);
    expect(iv[1] - iv[0]).toBeGreaterThan(0.05);
    expect(spearmanInterval(xs, noisy, 'k')).toEqual(iv);
    expect(spearmanInterval(xs, xs.map((x) => 2 * x + 1), 'k')).toEqual([1, 1]);
  });
  it('narrows as runs are added and gives none below the minimum number of runs', () => {
    const big = Array.from({ length: 400 }, (_, i) => i);
    const f = (x: number) => x + 25 * Math.sin(7 * x);
    const wide = spearmanInterval(xs, xs.map(f), 'k')!;
    const narrow = spearmanInterval(big, big.map((x) => x / 10 + 25 * Math.sin(0.7 * x)), 'k')!;
    expect(narrow[1] - narrow[0]).toBeLessThan(wide[1] - wide[0]);
    expect(spearmanInterval(xs.slice(0, RHO_INTERVAL_MIN_RUNS - 1), xs.slice(0, RHO_INTERVAL_MIN_RUNS - 1), 'k')).toBeNull();
  });
  it('is reported by sizeCorrelation beside ρ', () => {
    const runs = xs.map((x, i) => run(i % 2 ? 'A' : 'B', i, 10 + x, 0.5 + 0.3 * Math.sin(3 * x)));
    const sc = sizeCorrelation(runs);
    expect(sc.rho_interval![0]).toBeLessThanOrEqual(sc.rho!);
    expect(sc.rho_interval![1]).toBeGreaterThanOrEqual(sc.rho!);
    expect(sc.rho_methods).toBe(sc.rho); // no baselines here; the interval is drawn apart
    expect(sc.rho_methods_interval![0]).toBeLessThanOrEqual(sc.rho!);
    expect(sc.rho_methods_interval![1]).toBeGreaterThanOrEqual(sc.rho!);
  });
});
