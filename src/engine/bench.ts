// Engine benchmark on the bench config of DESIGN.md §2, the same work as
// ../shared/peer/torch_reference.py: (a) one training step, (b) one pruning step
// (frozen weights, Heaviside masks at every node site, STE backward to the mask logits).
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { forward, initParams, siteSlots, type ModelConfig, type Params } from './model.ts';
import { heaviside } from './ops.ts';

export const BENCH_MODEL: ModelConfig = {
  vocabSize: 512,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  dHead: 32,
  dMlp: 512,
  seqLen: 32,
  absTopK: null,
};
export const BENCH_BATCH = 64;
export const BENCH_PROMPT_LEN = 12;

function randomIds(rng: () => number, n: number, vocab: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(rng() * vocab);
  return a;
}

function timeIt(fn: () => void, steps: number, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  return (performance.now() - t0) / steps;
}

/** A minimal AdamW step on the given variables (same arithmetic as the trainer's). */
function makeAdamW(vars: tf.Variable[], lr: number) {
  const m = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  const s = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  let t = 0;
  return (grads: tf.Tensor[]) => {
    t++;
    const bc1 = 1 - 0.9 ** t;
    const bc2 = 1 - 0.999 ** t;
    grads.forEach((g, i) => {
      const mi = tf.add(tf.mul(m[i], 0.9), tf.mul(g, 0.1));
      const si = tf.add(tf.mul(s[i], 0.999), tf.mul(tf.square(g), 0.001));
      m[i].assign(mi);
      s[i].assign(si);
      const upd = tf.add(tf.div(tf.div(mi, bc1), tf.add(tf.sqrt(tf.div(si, bc2)), 1e-8)), tf.mul(vars[i], 0.01));
      vars[i].assign(tf.sub(vars[i], tf.mul(upd, lr)));
    });
  };
}

export function benchTrainStep(params: Params, cfg: ModelConfig, steps: number): number {
  const rng = seedrandom('bench');
  const x = tf.tensor2d(randomIds(rng, BENCH_BATCH * cfg.seqLen, cfg.vocabSize), [BENCH_BATCH, cfg.seqLen], 'int32');
  const y = tf.oneHot(tf.tensor1d(randomIds(rng, BENCH_BATCH * cfg.seqLen, cfg.vocabSize), 'int32'), cfg.vocabSize);
  const vars = Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
  const step = makeAdamW(vars, 1e-3);
  const ms = timeIt(() => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const { logits } = forward(params, cfg, x);
        const flat = tf.reshape(logits, [BENCH_BATCH * cfg.seqLen, cfg.vocabSize]);
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(flat), y), -1))) as tf.Scalar;
      }, vars);
      step(vars.map((v) => grads[v.name]));
    });
    // force completion so time is real work, not queued work
    vars[0].dataSync();
  }, steps);
  x.dispose();
  y.dispose();
  return ms;
}

export function benchPruneStep(params: Params, cfg: ModelConfig, steps: number): number {
  const rng = seedrandom('bench-prune');
  const x = tf.tensor2d(randomIds(rng, BENCH_BATCH * BENCH_PROMPT_LEN, cfg.vocabSize), [BENCH_BATCH, BENCH_PROMPT_LEN], 'int32');
  const y = tf.oneHot(tf.tensor1d(randomIds(rng, BENCH_BATCH, cfg.vocabSize), 'int32'), cfg.vocabSize);
  const slots = siteSlots(cfg);
  const taus = slots.map((s) => tf.variable(tf.fill([s.width], 0.1), true, `tau_${s.name}`));
  const step = makeAdamW(taus, 1e-2);
  const ms = timeIt(() => {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const keep: Record<string, tf.Tensor> = {};
        let size: tf.Tensor = tf.scalar(0);
        slots.forEach((s, i) => {
          const m = heaviside(taus[i]);
          keep[s.name] = m;
          size = tf.add(size, tf.sum(m));
        });
        const { logits } = forward(params, cfg, x, { keep, lastPositionOnly: true });
        const flat = tf.reshape(logits, [BENCH_BATCH, cfg.vocabSize]);
        const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(flat), y), -1)));
        return tf.add(ce, tf.mul(size, 1e-4)) as tf.Scalar;
      }, taus);
      step(taus.map((t) => grads[t.name]));
      taus.forEach((t) => t.assign(tf.clipByValue(t, -1, 1)));
    });
    taus[0].dataSync();
  }, steps * 2);
  x.dispose();
  y.dispose();
  taus.forEach((t) => t.dispose());
  return ms;
}

export interface BenchResult {
  train_step_ms: number;
  prune_step_ms: number;
}

export function runEngineBench(steps = 10): BenchResult {
  const params = initParams(BENCH_MODEL, 0);
  const train = benchTrainStep(params, BENCH_MODEL, steps);
  // the prune step runs on a frozen model
  const prune = benchPruneStep(params, BENCH_MODEL, steps);
  return { train_step_ms: round(train), prune_step_ms: round(prune) };
}

const round = (x: number) => Math.round(x * 100) / 100;
