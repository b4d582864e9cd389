import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { initBackend } from '../src/engine/backend.ts';
import { randomPatterns, signPgdStep, worstCasePattern, projectTopK, type AdversaryProblem } from '../src/adversary/index.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

/** The problems here evaluate synchronously (plain numbers); the search awaits either kind. */
type SyncProblem = Omit<AdversaryProblem, 'evaluate'> & { evaluate: (s: Uint8Array) => { loss: number; acc: number } };

const softplus = (x: number) => (x > 30 ? x : Math.log1p(Math.exp(x)));

/** Random numbers in ±[lo, hi], seeded. */
function planted(M: number, seed: string, lo = 0.2, hi = 1): number[] {
  const rng = seedrandom(seed);
  return Array.from({ length: M }, () => (rng() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rng()));
}

/**
 * E examples, example e has logit z_e(s) = b_e + w_e·s; loss = mean softplus(−z_e); acc = mean [z_e > 0].
 * One pattern s is applied to every example.
 */
function logisticProblem(ws: number[][], bs: number[], calls?: Uint8Array[]): SyncProblem {
  const M = ws[0].length;
  const W = tf.tensor2d(ws); // [E, M]
  const B = tf.tensor1d(bs);
  return {
    size: M,
    relaxedLoss: (a) =>
      tf.tidy(() => {
        const z = tf.add(tf.squeeze(tf.matMul(W, tf.reshape(a, [M, 1])), [1]), B);
        return tf.mean(tf.softplus(tf.neg(z))) as tf.Scalar;
      }),
    evaluate: (s) => {
      calls?.push(s.slice());
      let loss = 0;
      let acc = 0;
      ws.forEach((w, e) => {
        let z = bs[e];
        for (let i = 0; i < M; i++) z += w[i] * s[i];
        loss += softplus(-z);
        acc += z > 0 ? 1 : 0;
      });
      return { loss: loss / ws.length, acc: acc / ws.length };
    },
  };
}

function allPatterns(M: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < 1 << M; k++) out.push(Uint8Array.from({ length: M }, (_, i) => (k >> i) & 1));
  return out;
}

const isSingleFlipLocalMax = (p: SyncProblem, s: Uint8Array): boolean => {
  const base = p.evaluate(s).loss;
  for (let i = 0; i < s.length; i++) {
    const t = s.slice();
    t[i] ^= 1;
    if (p.evaluate(t).loss > base) return false;
  }
  return true;
};

describe('signPgdStep', () => {
  it('ascends by step·sign(grad), clipped to [0, 1], and returns the loss before the step', async () => {
    const a = tf.variable(tf.tensor1d([0.5, 0.95, 0.05, 0.3]));
    const w = tf.tensor1d([1, 2, -3, 0]);
    const f = (x: tf.Tensor1D) => tf.sum(tf.mul(w, x)) as tf.Scalar;
    const before = tf.memory().numTensors;
    const l0 = await signPgdStep(a, f, 0.1);
    expect(tf.memory().numTensors).toBe(before);
    expect(l0).toBeCloseTo(0.5 + 1.9 - 0.15, 5);
    const v = Array.from(a.dataSync());
    // +0.1, +0.1 clipped at 1, −0.1 clipped at 0, zero gradient: unchanged
    [0.6, 1, 0, 0.3].forEach((x, i) => expect(v[i]).toBeCloseTo(x, 6));
    a.dispose();
    w.dispose();
  });
});

describe('worstCasePattern', () => {
  it('finds the planted worst pattern of a linear-logistic problem exactly (s_i = 1 iff w_i < 0)', async () => {
    const M = 32;
    const w = planted(M, 'planted-w');
    const p = logisticProblem([w], [2]);
    const expected = Uint8Array.from(w, (x) => (x < 0 ? 1 : 0));
    const before = tf.memory().numTensors;
    for (const greedyFlips of [0, 40]) {
      const r = await worstCasePattern(p, { restarts: 3, pgdSteps: 15, stepSize: 0.1, greedyFlips, seed: 1 });
      expect(Array.from(r.pattern)).toEqual(Array.from(expected));
      expect(r.loss).toBeCloseTo(p.evaluate(expected).loss, 10);
      expect(r.trace).toHaveLength(3);
      // the unique optimum is monotone: PGD alone lands on it, no flip can help
      for (const t of r.trace) expect(t.flipsKept).toBe(0);
    }
    expect(tf.memory().numTensors).toBe(before); // no leaks
  });

  it('greedy flips improve on rounding when the relaxation misleads (pairwise interactions)', async () => {
    // Exact loss: a quadratic pseudo-Boolean function with pairwise interactions,
    //   L(s) = Σ w_i s_i + Σ_{i<j} C_ij s_i s_j.
    // Relaxed loss: its multilinear extension plus a term that vanishes on every binary pattern
    // but pulls relaxed coordinates towards the nearer bound (as a nonlinearity between a keep
    // coefficient and the loss can): −κ Σ a_i(1 − a_i). PGD therefore settles on the rounding of
    // its start, and only exact single flips can climb further.
    const M = 12;
    const rng = seedrandom('interactions');
    const w = Array.from({ length: M }, () => rng() - 0.5);
    const C = Array.from({ length: M }, () => Array.from({ length: M }, () => 2 * (rng() - 0.5)));
    const mask = tf.tensor2d(Array.from({ length: M }, (_, i) => Array.from({ length: M }, (_, j) => (j > i ? C[i][j] : 0))));
    const wt = tf.tensor1d(w);
    const kappa = 3;
    const exact = (s: ArrayLike<number>) => {
      let l = 0;
      for (let i = 0; i < M; i++) {
        l += w[i] * s[i];
        for (let j = i + 1; j < M; j++) l += C[i][j] * s[i] * s[j];
      }
      return l;
    };
    const p: SyncProblem = {
      size: M,
      relaxedLoss: (a) =>
        tf.tidy(() => {
          const lin = tf.sum(tf.mul(wt, a));
          const quad = tf.sum(tf.mul(tf.reshape(a, [M, 1]), tf.matMul(mask, tf.reshape(a, [M, 1]))));
          const barrier = tf.mul(kappa, tf.sum(tf.mul(a, tf.sub(1, a))));
          return tf.sub(tf.add(lin, quad), barrier) as tf.Scalar;
        }),
      evaluate: (s) => ({ loss: exact(s), acc: 0 }),
    };
    const globalMax = Math.max(...allPatterns(M).map(exact));

    const opts = { restarts: 6, pgdSteps: 20, stepSize: 0.1, seed: 3 };
    const rounding = await worstCasePattern(p, { ...opts, greedyFlips: 0 });
    const greedy = await worstCasePattern(p, { ...opts, greedyFlips: 200 });
    // same starts, same PGD: the rounded losses agree restart by restart
    expect(greedy.trace.map((t) => t.roundedLoss)).toEqual(rounding.trace.map((t) => t.roundedLoss));
    expect(rounding.loss).toBeLessThan(globalMax - 1e-9);
    expect(greedy.loss).toBeGreaterThan(rounding.loss);
    for (const t of greedy.trace) expect(t.loss).toBeGreaterThanOrEqual(t.roundedLoss);
    expect(greedy.trace.some((t) => t.flipsKept > 0 && t.loss > t.roundedLoss)).toBe(true);
    expect(isSingleFlipLocalMax(p, greedy.pattern)).toBe(true);
    expect(greedy.loss).toBeCloseTo(globalMax, 9);
    // random flip order also ends at a single-flip local maximum
    const rand = await worstCasePattern(p, { ...opts, greedyFlips: 200, flipOrder: 'random' });
    expect(isSingleFlipLocalMax(p, rand.pattern)).toBe(true);
    mask.dispose();
    wt.dispose();
  });

  it('uses ONE pattern for the whole evaluation set, not a per-example worst case', async () => {
    const M = 10;
    const E = 4;
    // examples disagree: each one's worst pattern (s_i = 1 iff w_e,i < 0) differs from the others'
    const ws = Array.from({ length: E }, (_, e) => planted(M, `example-${e}`));
    const bs = [1.5, 1, 2, 0.5];
    const calls: Uint8Array[] = [];
    const p = logisticProblem(ws, bs, calls);
    const r = await worstCasePattern(p, { restarts: 4, pgdSteps: 15, stepSize: 0.1, greedyFlips: 30, seed: 7 });

    // the callback only ever saw single patterns of length M
    expect(calls.length).toBe(r.evaluations);
    for (const s of calls) {
      expect(s).toBeInstanceOf(Uint8Array);
      expect(s.length).toBe(M);
    }
    // the reported loss is the mean over examples of the loss of that one pattern
    const perExample = ws.map((w, e) => softplus(-(bs[e] + w.reduce((z, wi, i) => z + wi * r.pattern[i], 0))));
    expect(r.loss).toBeCloseTo(perExample.reduce((a, b) => a + b, 0) / E, 10);
    // and it is bounded by (here strictly below) the mean of the per-example worst losses
    const perExampleWorst = ws.map((w, e) => softplus(-(bs[e] + w.reduce((z, wi) => z + Math.min(wi, 0), 0))));
    const meanWorst = perExampleWorst.reduce((a, b) => a + b, 0) / E;
    expect(r.loss).toBeLessThan(meanWorst - 1e-6);
    // it is the best shared pattern (brute force over all 2^M)
    const bruteBest = Math.max(...allPatterns(M).map((s) => p.evaluate(s).loss));
    expect(r.loss).toBeCloseTo(bruteBest, 10);
  });

  it('is deterministic for a seed, and restarts are independent streams', async () => {
    const M = 16;
    const p = logisticProblem([planted(M, 'det-a'), planted(M, 'det-b')], [0.5, 1]);
    const o = { restarts: 3, pgdSteps: 4, stepSize: 0.1, greedyFlips: 10, seed: 11 };
    const a = await worstCasePattern(p, o);
    const b = await worstCasePattern(p, o);
    expect(Array.from(a.pattern)).toEqual(Array.from(b.pattern));
    expect(a.loss).toBe(b.loss);
    expect(a.trace).toEqual(b.trace);
    const c = await worstCasePattern(p, { ...o, seed: 12 });
    expect(c.trace[0].pgd).not.toEqual(a.trace[0].pgd);
    const more = await worstCasePattern(p, { ...o, restarts: 4 });
    expect(more.trace.slice(0, 3)).toEqual(a.trace);
  });

  it('with a budget K restores at most K nodes, and finds the K most harmful on a linear problem', async () => {
    const M = 32;
    const w = planted(M, 'planted-budget');
    const p = logisticProblem([w], [2]);
    const harmful = w.map((x, i) => [x, i] as const).filter(([x]) => x < 0).sort((a, b) => a[0] - b[0]);
    for (const K of [1, 3, 5]) {
      const r = await worstCasePattern(p, { restarts: 3, pgdSteps: 15, stepSize: 0.1, greedyFlips: 40, seed: 1, maxOn: K });
      const on = Array.from(r.pattern).reduce((a, b) => a + b, 0);
      expect(on).toBeLessThanOrEqual(K);
      // the loss is monotone in each harmful node: the optimum is the K most negative weights
      const best = new Uint8Array(M);
      for (const [, i] of harmful.slice(0, K)) best[i] = 1;
      expect(r.loss).toBeCloseTo((await p.evaluate(best)).loss, 10);
    }
    // an unbounded search on the same problem does strictly more harm
    const free = await worstCasePattern(p, { restarts: 3, pgdSteps: 15, stepSize: 0.1, greedyFlips: 40, seed: 1 });
    expect(free.loss).toBeGreaterThan((await worstCasePattern(p, { restarts: 3, pgdSteps: 15, stepSize: 0.1, greedyFlips: 40, seed: 1, maxOn: 1 })).loss);
  });

  it('projectTopK keeps the K largest coordinates', () => {
    expect(Array.from(projectTopK(Float32Array.from([0.1, 0.9, 0.5, 0.7]), 2))).toEqual([0, Float32Array.from([0.9])[0], 0, Float32Array.from([0.7])[0]]);
    expect(Array.from(projectTopK(Float32Array.from([0.3, 0.3]), 5))).toEqual(Array.from(Float32Array.from([0.3, 0.3])));
  });

  it('rejects bad options', async () => {
    const p = logisticProblem([[1, -1]], [0]);
    await expect(worstCasePattern(p, { restarts: 1, pgdSteps: 1, stepSize: 0.1, greedyFlips: 0, seed: 0, maxOn: -1 })).rejects.toThrow(/maxOn/);
    await expect(worstCasePattern(p, { restarts: 0, pgdSteps: 1, stepSize: 0.1, greedyFlips: 0, seed: 0 })).rejects.toThrow(/restarts/);
    await expect(worstCasePattern(p, { restarts: 1, pgdSteps: 1, stepSize: 0, greedyFlips: 0, seed: 0 })).rejects.toThrow(/stepSize/);
  });
});

describe('randomPatterns', () => {
  it('keeps each node with probability ≈ keepProb, deterministically for a seed', async () => {
    const M = 50;
    // loss = share of nodes kept, acc = whether node 0 is kept
    const p: SyncProblem = {
      size: M,
      relaxedLoss: (a) => tf.mean(a) as tf.Scalar,
      evaluate: (s) => ({ loss: s.reduce((x, y) => x + y, 0) / M, acc: s[0] }),
    };
    for (const keepProb of [0.5, 0.2]) {
      const r = await randomPatterns(p, 200, keepProb, 5);
      expect(r.losses).toHaveLength(200);
      expect(r.meanLoss).toBeCloseTo(keepProb, 1); // 10,000 draws: sd ≈ 0.005
      expect(Math.abs(r.meanLoss - keepProb)).toBeLessThan(0.02);
      expect(Math.abs(r.meanAcc - keepProb)).toBeLessThan(0.12); // 200 draws of node 0
      expect(r.meanKept).toBeCloseTo(r.meanLoss, 12);
      expect((await randomPatterns(p, 200, keepProb, 5)).losses).toEqual(r.losses);
    }
    expect((await randomPatterns(p, 5, 1, 0)).meanLoss).toBe(1);
    // the bounded adversary's random counterpart restores exactly K nodes
    expect((await randomPatterns(p, 20, 0.5, 3, 7)).losses.every((l) => l === 7 / M)).toBe(true);
    expect((await randomPatterns(p, 5, 0, 0)).meanLoss).toBe(0);
  });
});
