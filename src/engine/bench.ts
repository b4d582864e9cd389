// Engine benchmark on the bench config of DESIGN.md §2, the same work as
// ../shared/peer/torch_reference.py:
//   train: batch 64 × seq 32, next-token cross-entropy (mean over all positions),
//          backward, AdamW (lr 1e-3, torch defaults) over every parameter;
//   prune: 12-token prompts, frozen model, Heaviside masks (sigmoid surrogate) at all 8
//          node sites per layer, cross-entropy at the last position + 1e-4·Σ masks,
//          AdamW (lr 1e-2) on the mask logits, then clamp τ to [−1, 1].
// Both time the mean wall-clock of a step after 3 warm-up steps (as the reference does),
// single thread, and force completion with a read-back each step.
//
// Extension point: BENCH_CASES is the list of named timings `runEngineBench` reports;
// add a case by pushing one more entry. (Mask-learner and suite figures, which need zoo
// checkpoints, live in src/methods/bench.ts and src/suite/throughput.ts.)
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { forward, initParams, namedParams, siteSlots, type ModelConfig, type Params } from './model.ts';
import { heaviside, softmaxCrossEntropy } from './ops.ts';
import { makeAdamW } from './optim.ts';
import { startGradientSource } from './data-parallel.ts';
import { currentBackend } from './backend.ts';

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

async function timeIt(fn: () => Promise<void>, steps: number, warmup = 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await fn();
  return (performance.now() - t0) / steps;
}

/**
 * The bench-config training step: mean next-token cross-entropy, its gradients (over `threads`
 * data-parallel threads, engine/data-parallel.ts), AdamW. The trainer's step is the same code.
 */
export async function benchTrainStep(params: Params, cfg: ModelConfig, steps: number, threads = 1): Promise<number> {
  const rng = seedrandom('bench');
  const input = randomIds(rng, BENCH_BATCH * cfg.seqLen, cfg.vocabSize);
  const target = randomIds(rng, BENCH_BATCH * cfg.seqLen, cfg.vocabSize);
  const vars = namedParams(params).map(([, v]) => v);
  const step = makeAdamW(vars, 1e-3);
  const source = await startGradientSource(params, cfg, 'lm-fused', threads, currentBackend().name);
  try {
    return await timeIt(async () => {
      const { grads } = await source.gradients(input, target, BENCH_BATCH);
      tf.tidy(() => step(grads));
      grads.forEach((g) => g.dispose());
      // force completion so time is real work, not queued work (async: webgpu has no sync read)
      await vars[0].data();
    }, steps);
  } finally {
    await source.close();
    step.dispose();
  }
}

let benchRun = 0;

export async function benchPruneStep(params: Params, cfg: ModelConfig, steps: number): Promise<number> {
  benchRun++;
  const rng = seedrandom('bench-prune');
  const x = tf.tensor2d(randomIds(rng, BENCH_BATCH * BENCH_PROMPT_LEN, cfg.vocabSize), [BENCH_BATCH, BENCH_PROMPT_LEN], 'int32');
  const y = tf.tensor1d(randomIds(rng, BENCH_BATCH, cfg.vocabSize), 'int32');
  const slots = siteSlots(cfg);
  const taus = slots.map((s) => tf.variable(tf.fill([s.width], 0.1), true, `bench_tau_${benchRun}_${s.name}`));
  // AdamW on the mask logits, then clamp τ to [−1, 1] (fused into the AdamW kernel)
  const step = makeAdamW(taus, 1e-2, [-1, 1]);
  const ms = await timeIt(async () => {
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
        const ce = tf.mean(softmaxCrossEntropy(tf.reshape(logits, [BENCH_BATCH, cfg.vocabSize]), y));
        return tf.add(ce, tf.mul(size, 1e-4)) as tf.Scalar;
      }, taus);
      step(taus.map((t) => grads[t.name]));
    });
    await taus[0].data();
  }, steps * 2);
  x.dispose();
  y.dispose();
  step.dispose();
  taus.forEach((t) => t.dispose());
  return ms;
}

export interface BenchResult {
  train_step_ms: number;
  prune_step_ms: number;
  [name: string]: number;
}

/** One named timing: `run(params, steps)` returns its figure (ms per step, or a rate). */
export interface BenchCase {
  name: string;
  description: string;
  run(params: Params, steps: number): Promise<number>;
}

/** The timings runEngineBench reports, in order; push more cases here. */
export const BENCH_CASES: BenchCase[] = [
  {
    name: 'train_step_ms',
    description: 'bench-config training step (forward, backward, AdamW), batch 64 × seq 32',
    run: (p, steps) => benchTrainStep(p, BENCH_MODEL, steps),
  },
  {
    name: 'prune_step_ms',
    description: 'pruning step on the frozen model: 16 Heaviside mask sites, 12-token prompts, batch 64',
    run: (p, steps) => benchPruneStep(p, BENCH_MODEL, steps),
  },
];

/** The train step again, data-parallel over `threads` threads (`bench --threads`). */
export function parallelTrainCase(threads: number): BenchCase {
  return {
    name: 'train_step_ms_parallel',
    description: `bench-config training step, data-parallel over ${threads} threads (as train --threads ${threads})`,
    run: (p, steps) => benchTrainStep(p, BENCH_MODEL, steps, threads),
  };
}

/**
 * Run every bench case on a freshly initialised bench-config model (seed 0). The prune
 * case runs after training steps have changed the weights, as in the reference.
 */
export async function runEngineBench(steps = 10, cases: BenchCase[] = BENCH_CASES): Promise<BenchResult> {
  const params = initParams(BENCH_MODEL, 0);
  const out: Record<string, number> = {};
  try {
    for (const c of cases) out[c.name] = round(await c.run(params, steps));
  } finally {
    for (const [, v] of namedParams(params)) v.dispose();
  }
  return out as BenchResult;
}

const round = (x: number) => Math.round(x * 100) / 100;
