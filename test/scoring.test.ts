// The scoring of DESIGN.md §6 on hand-built figures: lift, chance correction, the control,
// and THE overall, with the cases the scoring exists for — a whole-model circuit, a random
// circuit, a planted faithful one and a planted cancelling one.
import { describe, expect, it } from 'vitest';
import { lift, chanceCorrected, sameGenderScore, adversaryScore, minimalityScore, rolesScore, nonsenseResistance, nonsenseResistanceOverBudgets, checkValue, nullReference, overallOf, LIFT_MIN_HEADROOM } from '../src/results/scoring.ts';
import seedrandom from 'seedrandom';
import { scanPrefix } from '../src/methods/discretize.ts';
import { sizeMatchedNull, randomKeeps } from '../src/suite/circuit.ts';

/** The checks of one run as the suite stores them, from raw scores and (one) random draw each. */
function run(raw: Record<string, { score: number; random: number }>, control: number | null) {
  const checks: Record<string, { role: 'lifted' | 'control'; value: number | null }> = {};
  for (const [id, r] of Object.entries(raw)) checks[id] = { role: 'lifted', value: checkValue('lifted', r.score, [r.random]) };
  checks.nonsense = { role: 'control', value: checkValue('control', control, null) };
  return checks;
}

describe('size-matched lift', () => {
  it('credits only what a circuit does beyond random circuits of its size', () => {
    expect(lift(0.9, 0.5)).toBeCloseTo(0.8, 12);
    expect(lift(0.5, 0.5)).toBe(0);
    expect(lift(0.3, 0.5)).toBe(0); // clamped
    expect(lift(1, 0)).toBe(1);
  });
  it('is 0 when random circuits leave less than 0.05 of headroom (the whole model)', () => {
    expect(lift(1, 1)).toBe(0);
    expect(lift(1, 1 - LIFT_MIN_HEADROOM / 2)).toBe(0);
    expect(lift(1, 0.9)).toBe(1);
  });
});

describe('chance correction and per-check scores', () => {
  it('binary accuracy enters as (a − 0.5)/(a_model − 0.5)', () => {
    expect(chanceCorrected(0.5, 1)).toBe(0);
    expect(chanceCorrected(0.75, 1)).toBeCloseTo(0.5, 12);
    expect(chanceCorrected(0.9, 0.9)).toBe(1);
    expect(chanceCorrected(0.3, 1)).toBe(0);
    expect(chanceCorrected(0.9, 0.5)).toBe(0); // the model itself at chance: nothing to measure
    expect(sameGenderScore(0.7, 0.9)).toBeCloseTo(0.5, 12);
    expect(adversaryScore(0.5, 1)).toBe(0); // an adversary that pushes a circuit to chance breaks it
  });
  it('minimality is the share of nodes whose removal raises the loss by more than 0.01', () => {
    expect(minimalityScore([0.5, 0.02, 0.005, -0.1])).toBe(0.5);
    expect(minimalityScore([])).toBe(0);
  });
  it('roles: a constant node (r undefined) counts 0; attention JS averages in', () => {
    expect(rolesScore([1, null], [])).toBe(0.5);
    expect(rolesScore([1, -0.5], [])).toBe(0.5);
    expect(rolesScore([1, 1], [0.5])).toBeCloseTo(0.75, 12);
    expect(rolesScore([], [])).toBe(0);
  });
  it('nonsense resistance is (L_circ − target)/(L_rand − target), null when random prefixes nearly solve it', () => {
    expect(nonsenseResistance(3.15, 6.15, 0.15)).toBeCloseTo(0.5, 12);
    expect(nonsenseResistance(0.1, 6.15, 0.15)).toBe(0); // the method solved the nonsense task
    expect(nonsenseResistance(9, 6.15, 0.15)).toBe(1);
    expect(nonsenseResistance(1, 0.17, 0.15)).toBeNull();
  });
  it('over a grid of budgets the resistance is the mean of the budgets that can tell', () => {
    expect(nonsenseResistanceOverBudgets([{ L_circ: 3.15, L_rand: 6.15 }, { L_circ: 0.1, L_rand: 6.15 }], 0.15)).toBeCloseTo(0.25, 12);
    expect(nonsenseResistanceOverBudgets([{ L_circ: 9, L_rand: 6.15 }, { L_circ: 1, L_rand: 0.17 }], 0.15)).toBe(1);
    expect(nonsenseResistanceOverBudgets([{ L_circ: 1, L_rand: 0.17 }], 0.15)).toBeNull();
  });
});

describe('the overall on hand-built circuits', () => {
  it('a whole-model circuit scores 0: every random circuit of its size is itself', () => {
    const whole = run({ 'same-gender': { score: 1, random: 1 }, roles: { score: 1, random: 1 }, adversary: { score: 1, random: 1 }, minimality: { score: 0.02, random: 0.02 } }, 1);
    expect(overallOf(whole)).toBe(0);
  });
  it('a random circuit scores ≈ 0: it is one of its own size-matched draws', () => {
    const random = run({ 'same-gender': { score: 0.1, random: 0.12 }, roles: { score: 0.41, random: 0.4 }, adversary: { score: 0, random: 0 }, minimality: { score: 0.3, random: 0.31 } }, 0.97);
    expect(overallOf(random)!).toBeLessThanOrEqual(0.1);
  });
  it('a planted faithful circuit scores high: it works, keeps roles, survives the adversary, and resists nonsense', () => {
    const faithful = run({ 'same-gender': { score: 0.95, random: 0.05 }, roles: { score: 0.9, random: 0.3 }, adversary: { score: 0.9, random: 0 }, minimality: { score: 0.8, random: 0.2 } }, 0.95);
    expect(overallOf(faithful)!).toBeGreaterThan(0.7);
  });
  it('a planted cancelling circuit scores low: the adversary breaks it and the nonsense control discounts it', () => {
    // passes under full ablation only because ablated nodes cancel: any pattern that restores some breaks it;
    // and the method that found it can make a few nodes solve the nonsense task
    const cancelling = run({ 'same-gender': { score: 0.9, random: 0.05 }, roles: { score: 0.2, random: 0.3 }, adversary: { score: 0, random: 0 }, minimality: { score: 0.9, random: 0.2 } }, 0.1);
    expect(overallOf(cancelling)!).toBeLessThan(0.1);
    expect(overallOf(cancelling)!).toBeLessThan(overallOf(run({ 'same-gender': { score: 0.95, random: 0.05 }, roles: { score: 0.9, random: 0.3 }, adversary: { score: 0.9, random: 0 }, minimality: { score: 0.8, random: 0.2 } }, 0.95))!);
  });
  it('a flagged circuit has no score; a run with only reports has none either; an uninformative control does not discount', () => {
    expect(overallOf(run({ roles: { score: 1, random: 0 } }, 1), true)).toBeNull();
    expect(overallOf({ size: { role: 'report', value: null } })).toBeNull();
    expect(overallOf(run({ roles: { score: 1, random: 0 } }, null))).toBe(1);
  });
});

describe('the null reference: the best of R size-matched draws (scoring v4)', () => {
  // A circuit that is itself one more random draw must earn ≈ 0 in expectation. Against the
  // draws' MEAN the clamp alone pays it: E[clamp((X − X̄)/(1 − X̄), 0, 1)] > 0 whenever the draws
  // spread (the v3 random baseline's 0.104 on the standard grid); against their best it beats
  // the reference with chance 1/(R + 1), and only by its excess.
  const R = 8;
  const rng = seedrandom('null-reference');
  const trials = Array.from({ length: 4000 }, () => Array.from({ length: R + 1 }, () => 0.5 + 0.3 * rng()));
  const meanLift = (ref: (d: number[]) => number) => trials.reduce((a, [c, ...d]) => a + lift(c, ref(d)), 0) / trials.length;
  it('is the largest draw, and null without draws', () => {
    expect(nullReference([0.2, 0.7, 0.4])).toBe(0.7);
    expect(nullReference([])).toBeNull();
    expect(nullReference(null)).toBeNull();
    expect(checkValue('lifted', 0.9, [0.2, 0.5])).toBeCloseTo(0.8, 12);
    expect(checkValue('lifted', 0.9, [])).toBeNull();
  });
  it('gives a circuit drawn from the null ≈ 0, where the mean gives it a clear positive lift', () => {
    const viaMean = meanLift((d) => d.reduce((a, b) => a + b, 0) / d.length);
    const viaBest = meanLift((d) => Math.max(...d));
    // draws uniform on [0.5, 0.8]: E[lift] ≈ 0.107 against the mean, ≈ 0.012 against the best of 8
    expect(viaMean).toBeGreaterThan(0.08);
    expect(viaBest).toBeLessThan(0.02);
  });
  it('still credits a circuit well above every draw', () => {
    expect(checkValue('lifted', 0.95, [0.1, 0.2, 0.3, 0.05])).toBeCloseTo((0.95 - 0.3) / 0.7, 12);
  });
});

describe('the size-matched null', () => {
  // a "task" where a random circuit passes iff it keeps node 0 (1 in 10 of the nodes)
  const passes = (keep: Float32Array) => keep[0] === 1;
  it('is conditioned on passing where random circuits of the size pass', async () => {
    const n = await sizeMatchedNull(10, 5, 8, 1, 4, passes);
    expect(n.kind).toBe('passing');
    expect(n.keeps).toHaveLength(8);
    expect(n.keeps.every(passes)).toBe(true);
    expect(n.keeps.every((k) => k.reduce((a, b) => a + b, 0) === 5)).toBe(true);
    expect(n.passing).toBe(8);
  });
  it('falls back to unconditional draws (the first R) where none pass, after 2R candidates', async () => {
    const n = await sizeMatchedNull(1000, 3, 8, 1, 4, () => false);
    expect(n).toMatchObject({ kind: 'unconditional', candidates: 16, passing: 0 });
    expect(n.keeps.map((k) => Array.from(k).join(''))).toEqual(randomKeeps(1000, 3, 8, 1).map((k) => Array.from(k).join('')));
  });
  it('the whole model is its own null, and passes', async () => {
    const n = await sizeMatchedNull(10, 10, 4, 0, 4, () => true);
    expect(n.kind).toBe('passing');
    expect(n.keeps.every((k) => k.every((x) => x === 1))).toBe(true);
  });
});

describe('discretisation by scan', () => {
  it('finds a small passing prefix where bisection would not (loss not monotone along the ranking)', async () => {
    // passes at 80..120, fails at 121..1407 (adding nodes back breaks a cancellation), passes at 1408
    const loss = (n: number) => (n >= 80 && n <= 120) || n === 1408 ? 0.1 : 2.5;
    const r = await scanPrefix(loss, 1408, 0.15);
    expect(r.passed).toBe(true);
    expect(r.size).toBeLessThanOrEqual(120);
    expect(r.monotone).toBe(false);
  });
  it('returns the exact smallest passing size on a monotone curve', async () => {
    const r = await scanPrefix((n) => (n >= 74 ? 0.1 : 1), 1408, 0.15);
    expect(r).toMatchObject({ size: 74, passed: true, monotone: true });
  });
  it('never returns the empty circuit, and reports failure when nothing passes', async () => {
    expect((await scanPrefix(() => 0, 100, 0.15)).size).toBe(1);
    expect(await scanPrefix(() => 1, 100, 0.15)).toMatchObject({ size: 100, passed: false });
  });
});
