// Data-parallel gradients (engine/data-parallel.ts): the shard means averaged across worker
// threads are the whole batch's gradient, deterministically, and the trainer built on them is
// reproducible per thread count.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { wasm } from './helpers.ts';
import { initParams, namedParams, type ModelConfig, type Params } from '../src/engine/model.ts';
import { startGradientSource, type GradientSource } from '../src/engine/data-parallel.ts';
import { train, type TrainConfig } from '../src/engine/train.ts';
import { VOCAB_SIZE } from '../src/corpus/index.ts';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

beforeAll(wasm);

const cfg: ModelConfig = { vocabSize: 64, dModel: 16, nLayers: 2, nHeads: 2, dHead: 8, dMlp: 32, seqLen: 8, absTopK: null };
const B = 6;
const ids = (mul: number) => Int32Array.from({ length: B * cfg.seqLen }, (_, i) => (i * mul + 3) % cfg.vocabSize);

/** max |a − b| / max |a| over every parameter's gradient */
function relDiff(a: tf.Tensor[], b: tf.Tensor[]): number {
  let worst = 0;
  a.forEach((g, i) => {
    const x = g.dataSync();
    const y = b[i].dataSync();
    let num = 0;
    let den = 0;
    for (let k = 0; k < x.length; k++) {
      num = Math.max(num, Math.abs(x[k] - y[k]));
      den = Math.max(den, Math.abs(x[k]));
    }
    worst = Math.max(worst, den > 0 ? num / den : num);
  });
  return worst;
}

/** Gradient sources over `params` for each thread count, closed afterwards whatever happens. */
async function withSources(params: Params, counts: number[], fn: (sources: GradientSource[]) => Promise<void>): Promise<void> {
  const sources: GradientSource[] = [];
  try {
    for (const n of counts) sources.push(await startGradientSource(params, cfg, 'lm', n, 'wasm'));
    await fn(sources);
  } finally {
    await Promise.all(sources.map((src) => src.close()));
  }
}

/** A tiny training run on the built-in corpus. */
const tinyTrain = (over: Partial<TrainConfig>): TrainConfig => ({
  model: { ...cfg, vocabSize: VOCAB_SIZE },
  steps: 12, batchSize: 4, lr: 0.005, warmupSteps: 2, weightDecay: 0.01, beta1: 0.9, beta2: 0.95, clipNorm: 1,
  l0Target: 0.5, minPerColumn: 2, seed: 2, corpusSeed: 1, corpusStories: 100, evalEvery: 6, evalBatches: 1,
  ...over,
});

const weightsOf = (r: { params: Params }) => namedParams(r.params).map(([, v]) => Array.from(v.dataSync()));

describe('data-parallel gradients', () => {
  it('3 threads give the whole batch’s loss and gradients (float rounding apart), the same on every call', async () => {
    const params = initParams(cfg, 5);
    const input = ids(7);
    const target = ids(13);
    await withSources(params, [1, 3], async ([one, three]) => {
      const a = await one.gradients(input, target, B);
      const b = await three.gradients(input, target, B);
      const c = await three.gradients(input, target, B);
      expect(b.loss).toBeCloseTo(a.loss, 5);
      expect(a.grads).toHaveLength(namedParams(params).length);
      expect(relDiff(a.grads, b.grads)).toBeLessThan(1e-5);
      // deterministic: summed in shard order whatever thread finishes first
      expect(relDiff(b.grads, c.grads)).toBe(0);
      expect(c.loss).toBe(b.loss);
      // the last shard really ran in a worker: a batch whose last row alone differs changes the result
      const other = Int32Array.from(target);
      other[other.length - 1] = (other[other.length - 1] + 1) % cfg.vocabSize;
      const d = await three.gradients(input, other, B);
      expect(d.loss).not.toBe(b.loss);
      for (const r of [a, b, c, d]) r.grads.forEach((g) => g.dispose());
    });
  });

  it('reads the parameters afresh each step (the workers see what AdamW changed)', async () => {
    const params = initParams(cfg, 6);
    await withSources(params, [2, 1], async ([two, one]) => {
      const w = namedParams(params).find(([n]) => n === 'w_unembed')![1];
      w.assign(tf.mul(w, 3));
      const a = await one.gradients(ids(5), ids(11), B);
      const b = await two.gradients(ids(5), ids(11), B);
      expect(b.loss).toBeCloseTo(a.loss, 5);
      expect(relDiff(a.grads, b.grads)).toBeLessThan(1e-5);
      for (const r of [a, b]) r.grads.forEach((g) => g.dispose());
    });
  });

  it('a batch that does not split into equal shards is refused', async () => {
    const params = initParams(cfg, 7);
    await withSources(params, [4], async ([four]) => {
      await expect(four.gradients(ids(3), ids(3), B)).rejects.toThrow(/batch 6 does not split into 4 equal/);
    });
    await expect(startGradientSource(params, cfg, 'lm', 0, 'wasm')).rejects.toThrow(/positive integer/);
  });

  it('training on 2 threads is reproducible and follows the one-thread run', async () => {
    const tc = tinyTrain({});
    const runs = [await train(tc, { threads: 2 }), await train(tc, { threads: 2 }), await train(tc, { threads: 1 })];
    const weights = runs.map(weightsOf);
    expect(weights[1]).toEqual(weights[0]);
    const last = runs.map((r) => r.curve[r.curve.length - 1]);
    expect(last[0].val_loss).toBeDefined();
    expect(Math.abs(last[0].val_loss! - last[2].val_loss!)).toBeLessThan(1e-3);
    await expect(train({ ...tc, batchSize: 5 }, { threads: 2 })).rejects.toThrow(/batch size 5 does not split into 2 equal/);
    for (const r of runs) namedParams(r.params).forEach(([, v]) => v.dispose());
  });

  it('a resume state is resumed only with its own thread count, and then reproduces the uninterrupted run', async () => {
    const tc = tinyTrain({ steps: 8, l0Target: 1, seed: 4, evalEvery: 4 });
    const statePath = join(mkdtempSync(join(tmpdir(), 'fb-dp-')), 'state.safetensors');
    let calls = 0;
    const stopped = await train(tc, { threads: 2, statePath, shouldStop: () => ++calls > 3 });
    expect(stopped.completed).toBe(false);
    expect(existsSync(statePath)).toBe(true);
    await expect(train(tc, { threads: 1, statePath })).rejects.toThrow(/was written with --threads 2; resume with that or start over with --fresh/);
    const resumed = await train(tc, { threads: 2, statePath });
    expect(resumed.resumedFrom).toBe(3);
    const whole = await train(tc, { threads: 2 });
    expect(weightsOf(resumed)).toEqual(weightsOf(whole));
    for (const r of [stopped, resumed, whole]) namedParams(r.params).forEach(([, v]) => v.dispose());
  });
});
