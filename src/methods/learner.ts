// The shared mask learner (DESIGN.md §5). Per node a logit τ; mask m = H(τ) with the
// sigmoid surrogate gradient σ'(τ/T)/T; loss = Σ over the scheme's views of the task loss
// + λ·Σm; AdamW on τ only (the model is frozen), gradient-norm clipping, lr decaying
// linearly to 0, τ clamped to [−1, 1]. Defaults are the recipe of Gao et al. (Table 2) as
// the replication's code uses it. λ is either fixed or driven by a controller towards the
// discretisation target (raise λ while the mask's nominal loss is below it, lower it while
// above), so every method gets the same tuning budget without a per-method sweep.
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { z } from 'zod';
import { allNodeIds } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { heaviside } from '../engine/ops.ts';
import { adamwStep } from '../engine/optim.ts';
import { AblationRunner } from '../model/ablation.ts';
import { stackPrompts, type Prompt } from '../tasks/define.ts';
import { toTensors, disposeBatch, taskLoss } from '../tasks/metrics.ts';
import { getTask } from '../tasks/prompts.ts';
import type { AblationScheme, SchemeContext } from './types.ts';

/** Options every mask-learner method shares; methods extend this schema. Unknown keys are errors. */
export const LearnerOptions = z.strictObject({
  steps: z.number().int().min(1).max(1_000_000).default(2000),
  batchSize: z.number().int().min(1).max(4096).default(64),
  /** peak learning rate; decays linearly to 0 over the steps (lrSchedule 'linear') */
  lr: z.number().positive().max(10).default(3e-3),
  lrSchedule: z.enum(['linear', 'constant']).default('linear'),
  weightDecay: z.number().min(0).max(1).default(1e-3),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  /** global gradient-norm clip on τ; 0 = off */
  clipNorm: z.number().min(0).default(1.0),
  /** surrogate-gradient temperature T */
  temperature: z.number().positive().max(100).default(1.0),
  /** τ ~ N(initTau, initStd²): every node starts on */
  initTau: z.number().min(-1).max(1).default(0.1),
  initStd: z.number().min(0).max(1).default(0.01),
  /** λ, the penalty per kept node (the starting value under the controller) */
  lambda: z.number().min(0).max(100).default(1e-3),
  /** 'controller': adapt λ so the mask's nominal loss sits at targetLoss; 'fixed': keep λ */
  lambdaMode: z.enum(['controller', 'fixed']).default('controller'),
  /** controller: multiplicative change of λ per step */
  controllerRate: z.number().positive().max(1).default(0.01),
  /** discretisation target task loss (validation split) */
  targetLoss: z.number().positive().max(100).default(0.15),
});
export type LearnerOptions = z.infer<typeof LearnerOptions>;

export interface LearnResult {
  /** final τ per node, flat in siteSlots order */
  tau: Float32Array;
  /** node ids ranked by τ, highest first (ties: the node that stayed on longer first) */
  ranking: string[];
  curve: Array<{ step: number; loss: number; nominal: number; size: number; lambda: number }>;
  /** λ at the end (= lambda when fixed) */
  finalLambda: number;
}

function sampleBatch(prompts: readonly Prompt[], n: number, rng: () => number): Prompt[] {
  return Array.from({ length: n }, () => prompts[Math.floor(rng() * prompts.length)]);
}

/** Box–Muller from a uniform RNG (seeded, so the initial τ is reproducible). */
function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Learn per-node mask logits for one (model, task) under an ablation scheme. */
export async function learnMask(
  model: LoadedModel,
  taskId: string,
  trainPrompts: readonly Prompt[],
  scheme: AblationScheme,
  opts: LearnerOptions,
  seed: number,
  onStep?: (step: number, loss: number, size: number) => void,
): Promise<LearnResult> {
  const runner = new AblationRunner(model, scheme);
  const slots = runner.slots;
  const kind = getTask(taskId).loss;
  const rng = seedrandom(`mask-${model.hash}-${taskId}-${seed}`);
  const taus = slots.map((s) => {
    const init = Float32Array.from({ length: s.width }, () => Math.max(-1, Math.min(1, opts.initTau + opts.initStd * normal(rng))));
    return tf.variable(tf.tensor1d(init), true, `tau_${s.name}_${seed}_${Math.floor(rng() * 1e9)}`) as tf.Variable;
  });
  const m1 = taus.map((t) => tf.variable(tf.zerosLike(t), false)) as tf.Variable[];
  const m2 = taus.map((t) => tf.variable(tf.zerosLike(t), false)) as tf.Variable[];
  // running sum of τ: breaks ties among nodes clamped at −1 (a node that stayed on longer ranks higher)
  const tauSum = taus.map((t) => tf.variable(tf.zerosLike(t), false)) as tf.Variable[];
  const curve: LearnResult['curve'] = [];
  let lambda = opts.lambda;
  let ema: number | undefined;
  for (let step = 0; step < opts.steps; step++) {
    const batch = toTensors(stackPrompts(sampleBatch(trainPrompts, opts.batchSize, rng)));
    const ctx: SchemeContext = {
      model,
      slots,
      batchSize: batch.batch,
      step,
      rng,
      lossWithKeep: (keep) => taskLoss(runner.logits(batch.ids, keep), batch, kind),
    };
    if (scheme.beforeStep) {
      // tf.tidy cannot span an await: scope by hand (startScope/endScope is what tidy does)
      tf.engine().startScope();
      try {
        const hard: Record<string, tf.Tensor> = {};
        slots.forEach((s, i) => (hard[s.name] = tf.cast(tf.greaterEqual(taus[i], 0), 'float32')));
        await scheme.beforeStep(hard, ctx);
      } finally {
        tf.engine().endScope();
      }
    }
    const lr = opts.lrSchedule === 'linear' ? (opts.lr * (opts.steps - step)) / opts.steps : opts.lr;
    // Reads are async (webgpu has no synchronous read), so the step is two tidies around one
    // await for the gradient norm (the clip is decided on the host, as before).
    const phase1 = tf.tidy(() => {
      // circuit size at this step (nodes with τ ≥ 0), before the update
      const sizeT = tf.addN(taus.map((t) => tf.sum(tf.cast(tf.greaterEqual(t, 0), 'float32'))));
      let nominalT: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const masks: Record<string, tf.Tensor> = {};
        const sizes: tf.Tensor[] = [];
        slots.forEach((s, i) => {
          masks[s.name] = heaviside(taus[i], opts.temperature);
          sizes.push(tf.sum(masks[s.name]));
        });
        const views = scheme.trainingViews(masks, ctx);
        // the nominal view is the hard mask itself (k = m): the loss the discretisation targets
        const nominalIdx = views.indexOf(masks) >= 0 ? views.indexOf(masks) : views.length - 1;
        const losses = views.map((keep) => ctx.lossWithKeep(keep));
        nominalT = tf.keep(losses[nominalIdx]);
        return tf.add(tf.addN(losses), tf.mul(lambda, tf.addN(sizes))) as tf.Scalar;
      }, taus);
      const gs = taus.map((t) => grads[t.name]);
      const sqNorm = tf.addN(gs.map((g) => tf.sum(tf.square(g))));
      const nominal = nominalT!;
      return { sizeT, value, nominal, gs, sqNorm };
    });
    const [sizeA, valueA, nominalA, sqNormA] = await Promise.all([phase1.sizeT, phase1.value, phase1.nominal, phase1.sqNorm].map((t) => t.data()));
    const size = sizeA[0];
    const loss = valueA[0];
    const nominal = nominalA[0];
    tf.tidy(() => {
      // global gradient-norm clipping over every τ
      const gs = phase1.gs;
      let scale = 1;
      if (opts.clipNorm > 0) {
        const norm = Math.sqrt(sqNormA[0]);
        if (norm > opts.clipNorm) scale = opts.clipNorm / (norm + 1e-6);
      }
      taus.forEach((tau, i) => {
        const g = scale === 1 ? gs[i] : tf.mul(gs[i], scale);
        adamwStep(tau, g, m1[i], m2[i], step + 1, { lr, beta1: opts.beta1, beta2: opts.beta2, weightDecay: opts.weightDecay, clamp: [-1, 1] });
        tauSum[i].assign(tf.add(tauSum[i], tau));
      });
    });
    tf.dispose([phase1.sizeT, phase1.value, phase1.nominal, phase1.sqNorm, ...phase1.gs]);
    disposeBatch(batch);
    if (opts.lambdaMode === 'controller') {
      ema = ema === undefined ? nominal : 0.9 * ema + 0.1 * nominal;
      lambda = Math.min(100, Math.max(1e-8, ema < opts.targetLoss ? lambda * (1 + opts.controllerRate) : lambda / (1 + opts.controllerRate)));
    }
    if (step % 10 === 0 || step === opts.steps - 1) curve.push({ step, loss, nominal, size, lambda });
    onStep?.(step, loss, size);
  }
  const tau = new Float32Array(taus.reduce((a, t) => a + t.size, 0));
  const history = new Float32Array(tau.length);
  const reads = await Promise.all([...taus, ...tauSum].map((t) => t.data()));
  slots.forEach((s, i) => {
    tau.set(reads[i], s.offset);
    history.set(reads[slots.length + i], s.offset);
  });
  [...taus, ...m1, ...m2, ...tauSum].forEach((v) => v.dispose());
  scheme.dispose?.();
  const ids = allNodeIds(model.cfg);
  const order = Array.from(tau.keys()).sort((a, b) => tau[b] - tau[a] || history[b] - history[a] || a - b);
  return { tau, ranking: order.map((i) => ids[i]), curve, finalLambda: lambda };
}
