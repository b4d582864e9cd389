// The bad-circuit share (faithbench findings, the `bad-circuits` preset): Wilson intervals and
// the per-cell share and P_circ histogram, on hand-built runs.
import { describe, expect, it } from 'vitest';
import { badCircuitMarkdown, badCircuitShares } from '../src/results/findings.ts';
import { wilsonInterval } from '../src/results/stats.ts';
import { runOverall } from '../src/results/scoring.ts';
import type { RunResult } from '../src/results/schema.ts';

describe('wilsonInterval', () => {
  it('matches published values', () => {
    // Wilson 95% for 5/10: [0.2366, 0.7634]; 0/20: [0, 0.1611]; 20/20: [0.8389, 1] (e.g. Newcombe 1998, statsmodels proportion_confint method="wilson")
    const a = wilsonInterval(5, 10)!;
    expect(a[0]).toBeCloseTo(0.2366, 4);
    expect(a[1]).toBeCloseTo(0.7634, 4);
    const b = wilsonInterval(0, 20)!;
    expect(b[0]).toBe(0);
    expect(b[1]).toBeCloseTo(0.1611, 4);
    const c = wilsonInterval(20, 20)!;
    expect(c[0]).toBeCloseTo(0.8389, 4);
    expect(c[1]).toBe(1);
  });
  it('narrows with n and refuses impossible counts', () => {
    const w10 = wilsonInterval(3, 10)!;
    const w100 = wilsonInterval(30, 100)!;
    expect(w100[1] - w100[0]).toBeLessThan(w10[1] - w10[0]);
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(() => wilsonInterval(3, 2)).toThrow(/0 ≤ k ≤ n/);
  });
});

/** Only the fields the share reads. */
function run(method: string, seed: number, pCirc: number | null, flagged = false, task = 'ioi'): RunResult {
  return {
    method: { id: method },
    model: { id: 'm' },
    task,
    seed,
    flagged,
    settings: { checks: ['same-gender'] },
    circuit: { size: 10, total_nodes: 100 },
    checks: pCirc === null ? {} : { 'same-gender': { role: 'lifted', value: 0.5, score: 0.5, figures: { P_circ: pCirc, P_model: 0.95, bad_circuit: pCirc < 0.5 } } },
  } as unknown as RunResult;
}

describe('badCircuitShares', () => {
  const runs = [
    ...[0.05, 0.15, 0.35, 0.97, 0.99].map((p, i) => run('A', i, p)),
    run('A', 5, null, true), // flagged: counted apart, neither good nor bad
    ...[0.9, 0.95, 1].map((p, i) => run('B', i, p)),
    run('A', 0, null, false, 'pronoun'), // a task without the check is not in the figure
  ];
  const rows = badCircuitShares(runs);
  it('counts bad circuits among verified ones, with interval and histogram', () => {
    expect(rows.map((r) => `${r.method}/${r.task}`)).toEqual(['A/ioi', 'B/ioi']);
    const a = rows[0];
    expect([a.runs, a.flagged, a.bad]).toEqual([5, 1, 3]);
    expect(a.share).toBeCloseTo(0.6, 12);
    expect(a.interval).toEqual(wilsonInterval(3, 5));
    expect(a.histogram.counts).toEqual([1, 1, 0, 1, 0, 0, 0, 0, 0, 2]);
    expect(rows[1].bad).toBe(0);
    expect(rows[1].p_model).toBeCloseTo(0.95, 12);
  });
  it('prints one row per cell', () => {
    const md = badCircuitMarkdown(rows);
    expect(md).toMatch(/\| A \| m \| ioi \| 5 \(1\) \| 3\/5 \| 0\.60 \[0\.23, 0\.88\]/);
    expect(md.trim().split('\n')).toHaveLength(4);
  });
  it('gives runs of a preset that ran only some checks no overall', () => {
    expect(runOverall(runs[0])).toBeNull();
    expect(runOverall({ ...runs[0], settings: {} } as RunResult)).toBe(0.5);
  });
});

describe('a preset restricted to some checks', () => {
  it('names an unknown check id in one line', async () => {
    const { planSuite } = await import('../src/suite/suite.ts');
    const { PRESETS } = await import('../src/suite/presets.ts');
    const settings = { ...PRESETS.tiny.settings, checks: ['same-gender', 'no-such-check'] };
    await expect(planSuite({ methods: ['zero'], models: ['dense-d64'], tasks: ['ioi'], seeds: [0] }, settings, '/tmp/faithbench-unused')).rejects.toThrow(
      /^unknown check "no-such-check" in settings\.checks: expected one of .*same-gender/,
    );
  });
});
