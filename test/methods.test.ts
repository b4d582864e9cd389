import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { scanPrefix } from '../src/methods/discretize.ts';
import { loadMethod, parseOptions } from '../src/methods/registry.ts';
import { siteSlots } from '../src/engine/model.ts';
import type { MaskLearnerMethod, SchemeContext } from '../src/methods/types.ts';
import { wasm, TINY } from './helpers.ts';

beforeAll(wasm);

describe('discretisation by scan', () => {
  it('returns the smallest count meeting the target on a monotone case', async () => {
    for (const threshold of [1, 7, 63, 99, 100]) {
      const loss = (n: number) => (n >= threshold ? 0.1 : 1 - n / 1000);
      const d = await scanPrefix(loss, 100, 0.15);
      expect(d.size).toBe(threshold);
      expect(d.loss).toBeLessThanOrEqual(0.15);
    }
  });
  it('returns the full size when even the whole model misses the target', async () => {
    const d = await scanPrefix(() => 0.5, 50, 0.15);
    expect(d).toMatchObject({ size: 50, passed: false });
  });
});

describe('learner options', () => {
  it('defaults are the reference recipe (DESIGN §5) and unknown or out-of-range keys are errors', async () => {
    const zero = await loadMethod('zero');
    const o = parseOptions(zero, {});
    expect(o).toMatchObject({ steps: 2000, batchSize: 64, lr: 3e-3, lrSchedule: 'linear', weightDecay: 1e-3, beta1: 0.9, beta2: 0.95, clipNorm: 1, temperature: 1, initTau: 0.1, initStd: 0.01, targetLoss: 0.15 });
    expect(() => parseOptions(zero, { stpes: 10 })).toThrow(/stpes|unrecognized/i);
    expect(() => parseOptions(zero, { lr: -1 })).toThrow(/lr/);
    const stochastic = await loadMethod('stochastic');
    expect(() => parseOptions(stochastic, { p: 0.5, bogus: 1 })).toThrow(/bogus|unrecognized/i);
    expect(() => parseOptions(stochastic, { p: 2 })).toThrow(/p/);
  });
});

function fakeContext(batchSize: number, seed = 1): SchemeContext {
  return {
    model: undefined as never,
    slots: siteSlots(TINY),
    batchSize,
    step: 0,
    rng: seedrandom(String(seed)),
    lossWithKeep: (keep) => tf.tidy(() => tf.addN(Object.values(keep).map((k) => tf.mean(k))) as tf.Scalar),
  };
}

function masks(value: (i: number) => number): Record<string, tf.Tensor> {
  return Object.fromEntries(siteSlots(TINY).map((s) => [s.name, tf.tensor1d(Array.from({ length: s.width }, (_, i) => value(i)))]));
}

describe('ablation schemes: keep coefficients', () => {
  it('zero, mean and frozen-ln train on k = m with their ablation values', async () => {
    for (const [id, ablation, frozen] of [['zero', 'zero', false], ['mean', 'mean', false], ['frozen-ln', 'zero', true]] as const) {
      const m = (await loadMethod(id)) as MaskLearnerMethod;
      const scheme = m.scheme(parseOptions(m, {}));
      expect(scheme.ablation).toBe(ablation);
      expect(scheme.frozenNorms).toBe(frozen);
      const mk = masks((i) => i % 2);
      const views = scheme.trainingViews(mk, fakeContext(4));
      expect(views).toHaveLength(1);
      expect(views[0]).toBe(mk);
    }
  });

  it('stochastic: kept nodes stay 1, others are Bernoulli(p) per example; plus the nominal view', async () => {
    const m = (await loadMethod('stochastic')) as MaskLearnerMethod;
    const scheme = m.scheme(parseOptions(m, { p: 0.3 }));
    const mk = masks((i) => (i < 4 ? 1 : 0));
    const ctx = fakeContext(64);
    const views = scheme.trainingViews(mk, ctx);
    expect(views).toHaveLength(2);
    expect(views[1]).toBe(mk); // nominal term: r = 0
    const k = views[0]['L1.mlp_neuron']; // [B, 1, 32]
    expect(k.shape).toEqual([64, 1, 32]);
    const arr = k.arraySync() as number[][][];
    let ones = 0;
    let total = 0;
    const rowsDiffer = new Set(arr.map((row) => row[0].join(','))).size > 1;
    for (const row of arr) {
      row[0].forEach((v, i) => {
        expect(v === 0 || v === 1).toBe(true);
        if (i < 4) expect(v).toBe(1);
        else {
          ones += v;
          total++;
        }
      });
    }
    expect(ones / total).toBeGreaterThan(0.2);
    expect(ones / total).toBeLessThan(0.4);
    expect(rowsDiffer).toBe(true); // fresh per example
  });

  it('stochastic: patterns are fresh each step', async () => {
    const m = (await loadMethod('stochastic')) as MaskLearnerMethod;
    const scheme = m.scheme(parseOptions(m, {}));
    const ctx = fakeContext(8);
    const a = scheme.trainingViews(masks(() => 0), ctx)[0]['L0.q'].arraySync();
    const b = scheme.trainingViews(masks(() => 0), ctx)[0]['L0.q'].arraySync();
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });

  it('adversarial: ONE pattern for the whole batch and all positions, kept nodes stay 1, values in [0,1]', async () => {
    const m = (await loadMethod('adversarial')) as MaskLearnerMethod;
    const scheme = m.scheme(parseOptions(m, {}));
    const mk = masks((i) => (i < 3 ? 1 : 0));
    const ctx = fakeContext(16);
    scheme.beforeStep!(mk, ctx);
    const views = scheme.trainingViews(mk, ctx);
    expect(views).toHaveLength(2);
    expect(views[1]).toBe(mk);
    for (const s of siteSlots(TINY)) {
      const k = views[0][s.name];
      // a [width] vector broadcasts identically over every example and position
      expect(k.shape).toEqual([s.width]);
      const v = k.dataSync();
      for (let i = 0; i < s.width; i++) {
        if (i < 3) expect(v[i]).toBe(1);
        expect(v[i]).toBeGreaterThanOrEqual(0);
        expect(v[i]).toBeLessThanOrEqual(1);
      }
    }
    scheme.dispose?.();
  });

  it('adversarial: the sign-PGD step raises the loss it is given', async () => {
    const m = (await loadMethod('adversarial')) as MaskLearnerMethod;
    const scheme = m.scheme(parseOptions(m, { stepSize: 0.1 }));
    const mk = masks(() => 0);
    const ctx = fakeContext(4);
    // loss = Σ mean(k): the adversary should push every a toward 1
    scheme.beforeStep!(mk, ctx);
    const before = tf.tidy(() => ctx.lossWithKeep(scheme.trainingViews(mk, ctx)[0]).dataSync()[0]);
    for (let i = 0; i < 5; i++) scheme.beforeStep!(mk, ctx);
    const after = tf.tidy(() => ctx.lossWithKeep(scheme.trainingViews(mk, ctx)[0]).dataSync()[0]);
    expect(after).toBeGreaterThan(before);
    scheme.dispose?.();
  });
});

describe('method plugins', () => {
  it('loads the worked example plugin from a TypeScript file', async () => {
    const m = await loadMethod('examples/methods/attribution.ts');
    expect(m.id).toBe('attribution');
    expect(m.kind).toBe('discover');
  });
  it('rejects unknown ids, missing files, files without a method, invalid definitions, syntax errors', async () => {
    await expect(loadMethod('no-such-method')).rejects.toThrow(/unknown method "no-such-method"/);
    await expect(loadMethod('./nope/missing.ts')).rejects.toThrow(/not found/);
    await expect(loadMethod('test/fixtures/plugins/not-a-method.ts')).rejects.toThrow(/does not export a method/);
    await expect(loadMethod('test/fixtures/plugins/bad-options.ts')).rejects.toThrow(/options must be a zod schema/);
    await expect(loadMethod('test/fixtures/plugins/syntax-error.ts')).rejects.toThrow(/failed to load/);
  });
  it('options that fail the schema name the option', async () => {
    const m = await loadMethod('stochastic');
    expect(() => parseOptions(m, { p: 2 })).toThrow(/options for method "stochastic" are invalid: p:/);
    expect(() => parseOptions(m, { steps: 'many' })).toThrow(/steps/);
    expect(parseOptions(m, {})).toMatchObject({ p: 0.5, steps: expect.any(Number) });
  });
});
