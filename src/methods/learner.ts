// The shared mask learner (DESIGN.md §5). Per node a logit τ; mask m = H(τ) with the
// sigmoid surrogate gradient; loss = Σ over the scheme's views of the task loss + λ·Σm;
// AdamW on τ only (the model is frozen); τ clamped to [−1, 1]. Then discretisation:
// rank nodes by τ and bisect the count for the smallest circuit meeting the target loss.
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { z } from 'zod';
import { forward, siteSlots, allNodeIds, type Hooks, type SiteSlot } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { heaviside } from '../engine/ops.ts';
import { stackPrompts, type Prompt } from '../tasks/define.ts';
import { toTensors, disposeBatch, taskLoss, type BatchTensors } from '../tasks/metrics.ts';
import { getTask } from '../tasks/prompts.ts';
import { evaluatePrompts } from '../benchmarks/competence.ts';
import { meanActivations } from './means.ts';
import type { AblationScheme, AblationValue, SchemeContext } from './types.ts';

/** Options every mask-learner method shares; methods extend this schema. */
export const LearnerOptions = z.object({
  steps: z.number().int().positive().default(300),
  batchSize: z.number().int().positive().default(32),
  lr: z.number().positive().default(0.05),
  /** λ, the penalty per kept node */
  lambda: z.number().nonnegative().default(1e-4),
  /** surrogate-gradient temperature T */
  temperature: z.number().positive().default(0.5),
  initTau: z.number().min(-1).max(1).default(0.1),
  /** discretisation target task loss */
  targetLoss: z.number().positive().default(0.15),
});
export type LearnerOptions = z.infer<typeof LearnerOptions>;

export interface AblationSetup {
  ablation: AblationValue;
  frozenNorms: boolean;
}

/** Build hooks for a circuit: keep per hook name from a flat 0/1 (or [0,1]) vector. */
export function keepFromFlat(slots: SiteSlot[], flat: Float32Array): Record<string, tf.Tensor> {
  const keep: Record<string, tf.Tensor> = {};
  for (const s of slots) keep[s.name] = tf.tensor1d(flat.subarray(s.offset, s.offset + s.width));
  return keep;
}

/** Everything needed to run the model under an ablation setup: μ and frozen norm scales. */
export class AblationRunner {
  readonly slots: SiteSlot[];
  readonly means?: Record<string, tf.Tensor1D>;
  constructor(
    readonly model: LoadedModel,
    readonly setup: AblationSetup,
  ) {
    this.slots = siteSlots(model.cfg);
    if (setup.ablation === 'mean') this.means = meanActivations(model);
  }

  /** hooks for `keep` on input `ids` (last position only); frozen norms come from the unpruned model on the same input */
  hooks(ids: tf.Tensor2D, keep: Record<string, tf.Tensor>, lastPositionOnly = true): Hooks {
    const hooks: Hooks = { keep, ablation: this.means, lastPositionOnly };
    if (this.setup.frozenNorms) {
      hooks.normScales = tf.tidy(() => {
        const { cache } = forward(this.model.params, this.model.cfg, ids, { cache: true, lastPositionOnly });
        return cache!.normScales;
      });
    }
    return hooks;
  }

  logits(b: BatchTensors, keep: Record<string, tf.Tensor>): tf.Tensor2D {
    return tf.squeeze(forward(this.model.params, this.model.cfg, b.ids, this.hooks(b.ids, keep)).logits, [1]) as tf.Tensor2D;
  }

  /** mean task loss and accuracy on prompts with a flat keep vector */
  evaluate(taskId: string, prompts: readonly Prompt[], flatKeep: Float32Array) {
    return evaluatePrompts(this.model, taskId, prompts, (ids) => this.hooks(ids, keepFromFlat(this.slots, flatKeep)));
  }
}

export interface LearnResult {
  /** final τ per node, flat in siteSlots order */
  tau: Float32Array;
  /** node ids ranked by τ, highest first */
  ranking: string[];
  curve: Array<{ step: number; loss: number; size: number }>;
}

function sampleBatch(prompts: readonly Prompt[], n: number, rng: () => number): Prompt[] {
  return Array.from({ length: n }, () => prompts[Math.floor(rng() * prompts.length)]);
}

/** Learn per-node mask logits for one (model, task) under an ablation scheme. */
export function learnMask(
  model: LoadedModel,
  taskId: string,
  trainPrompts: readonly Prompt[],
  scheme: AblationScheme,
  opts: LearnerOptions,
  seed: number,
  onStep?: (step: number, loss: number, size: number) => void,
): LearnResult {
  const runner = new AblationRunner(model, scheme);
  const slots = runner.slots;
  const kind = getTask(taskId).loss;
  const rng = seedrandom(`mask-${model.hash}-${taskId}-${seed}`);
  // τ starts near +initTau (all nodes on), with a little seeded jitter to break ties
  const taus = slots.map((s) => {
    const init = Float32Array.from({ length: s.width }, () => opts.initTau + 0.01 * (rng() - 0.5));
    return tf.variable(tf.tensor1d(init), true, `tau_${s.name}_${seed}_${Math.floor(rng() * 1e9)}`) as tf.Variable;
  });
  const m1 = taus.map((t) => tf.variable(tf.zerosLike(t), false)) as tf.Variable[];
  const m2 = taus.map((t) => tf.variable(tf.zerosLike(t), false)) as tf.Variable[];
  // running sum of τ: breaks ties among nodes clamped at −1 (a node that stayed on longer ranks higher)
  const tauSum = taus.map((t) => tf.variable(tf.zerosLike(t), false)) as tf.Variable[];
  const curve: LearnResult['curve'] = [];
  const b1 = 0.9;
  const b2 = 0.999;
  for (let step = 0; step < opts.steps; step++) {
    const batch = toTensors(stackPrompts(sampleBatch(trainPrompts, opts.batchSize, rng)));
    const ctx: SchemeContext = {
      model,
      slots,
      batchSize: batch.batch,
      step,
      rng,
      lossWithKeep: (keep) => taskLoss(runner.logits(batch, keep), batch, kind),
    };
    if (scheme.beforeStep) {
      tf.tidy(() => {
        const hard: Record<string, tf.Tensor> = {};
        slots.forEach((s, i) => (hard[s.name] = tf.cast(tf.greaterEqual(taus[i], 0), 'float32')));
        scheme.beforeStep!(hard, ctx);
      });
    }
    const [loss, size] = tf.tidy(() => {
      // circuit size at this step (nodes with τ ≥ 0), before the update
      const size = taus.reduce((acc, t) => acc + tf.sum(tf.cast(tf.greaterEqual(t, 0), 'float32')).dataSync()[0], 0);
      const { value, grads } = tf.variableGrads(() => {
        const masks: Record<string, tf.Tensor> = {};
        let total: tf.Tensor = tf.scalar(0);
        slots.forEach((s, i) => {
          masks[s.name] = heaviside(taus[i], opts.temperature);
          total = tf.add(total, tf.sum(masks[s.name]));
        });
        let lossT: tf.Tensor = tf.scalar(0);
        for (const keep of scheme.trainingViews(masks, ctx)) lossT = tf.add(lossT, ctx.lossWithKeep(keep));
        return tf.add(lossT, tf.mul(opts.lambda, total)) as tf.Scalar;
      }, taus);
      const t = step + 1;
      taus.forEach((tau, i) => {
        const g = grads[tau.name];
        const a = tf.add(tf.mul(m1[i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(m2[i], b2), tf.mul(tf.square(g), 1 - b2));
        m1[i].assign(a);
        m2[i].assign(v);
        const upd = tf.div(tf.div(a, 1 - b1 ** t), tf.add(tf.sqrt(tf.div(v, 1 - b2 ** t)), 1e-8));
        tau.assign(tf.clipByValue(tf.sub(tau, tf.mul(upd, opts.lr)), -1, 1));
        tauSum[i].assign(tf.add(tauSum[i], tau));
      });
      return [value.dataSync()[0], size];
    });
    disposeBatch(batch);
    if (step % 10 === 0 || step === opts.steps - 1) curve.push({ step, loss, size });
    onStep?.(step, loss, size);
  }
  const tau = new Float32Array(taus.reduce((a, t) => a + t.size, 0));
  const history = new Float32Array(tau.length);
  slots.forEach((s, i) => {
    tau.set(taus[i].dataSync(), s.offset);
    history.set(tauSum[i].dataSync(), s.offset);
  });
  [...taus, ...m1, ...m2, ...tauSum].forEach((v) => v.dispose());
  scheme.dispose?.();
  const ids = allNodeIds(model.cfg);
  const order = Array.from(tau.keys()).sort((a, b) => tau[b] - tau[a] || history[b] - history[a] || a - b);
  return { tau, ranking: order.map((i) => ids[i]), curve };
}

/** Flat 0/1 keep vector with the first `n` ranked nodes kept. */
export function topNKeep(rankIdx: readonly number[], total: number, n: number): Float32Array {
  const keep = new Float32Array(total);
  for (let i = 0; i < n; i++) keep[rankIdx[i]] = 1;
  return keep;
}

export interface Discretized {
  size: number;
  loss: number;
  /** every (count, loss) the bisection evaluated */
  probes: Array<{ size: number; loss: number }>;
}

/**
 * Smallest n such that keeping the top-n ranked nodes (all others ablated, k = 0)
 * gives task loss ≤ target, by bisection (loss assumed non-increasing in n).
 * Returns n = total if even the full model misses the target.
 */
export function bisectCount(lossAt: (n: number) => number, total: number, target: number): Discretized {
  const probes: Discretized['probes'] = [];
  const probe = (n: number) => {
    const loss = lossAt(n);
    probes.push({ size: n, loss });
    return loss;
  };
  let lo = 0; // known (or assumed) to fail
  let hi = total;
  let hiLoss = probe(hi);
  if (hiLoss > target) return { size: total, loss: hiLoss, probes };
  const zeroLoss = probe(0);
  if (zeroLoss <= target) return { size: 0, loss: zeroLoss, probes };
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const l = probe(mid);
    if (l <= target) {
      hi = mid;
      hiLoss = l;
    } else lo = mid;
  }
  return { size: hi, loss: hiLoss, probes };
}
