// The size test of the scoring (faithbench findings): ρ between run overall and circuit share,
// over the grid, over methods, and within a (method, model, task) across seeds.
import { describe, expect, it } from 'vitest';
import { sizeCorrelation } from '../src/results/findings.ts';
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
