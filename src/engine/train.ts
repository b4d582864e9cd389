// Training loop for the reference models: next-token cross-entropy on the built-in
// corpus, AdamW, global gradient-norm clipping, LR warm-up + linear decay, and for
// weight-sparse models the Gao et al. recipe (top-|w| per matrix after every step,
// L0 annealed over the first half, LR scaled by 1/sqrt(L0)). Resumable: state
// (weights, optimizer moments, RNG, curve) is saved periodically and on interrupt.
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { ModelConfig, initParams, namedParams, sparsifiedMatrices, type Params } from './model.ts';
import { lmLoss } from './loss.ts';
import { startGradientSource } from './data-parallel.ts';
import { topMagnitudeMask, l0At } from './sparsity.ts';
import { adamwStep } from './optim.ts';
import { loadSafetensors, saveSafetensors, type NamedArray } from './checkpoint.ts';
import { generateStories, sampleTrainingBatch, vocabFor, CORPUS_VERSION, CorpusVersion, DEFAULT_CORPUS_VERSION, type Story } from '../corpus/index.ts';
import { UserError } from '../util/errors.ts';

export const TrainConfig = z
  .object({
    model: ModelConfig,
    steps: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    lr: z.number().positive(),
    warmupSteps: z.number().int().nonnegative(),
    weightDecay: z.number().nonnegative().default(0.01),
    beta1: z.number().default(0.9),
    beta2: z.number().default(0.95),
    clipNorm: z.number().positive().default(1),
    /** target fraction of nonzero weights per matrix; 1 = dense */
    l0Target: z.number().gt(0).lte(1).default(1),
    minPerColumn: z.number().int().nonnegative().default(4),
    seed: z.number().int().nonnegative(),
    corpusSeed: z.number().int().nonnegative().default(1),
    corpusStories: z.number().int().positive().default(20000),
    /** the corpus version to train on; absent = v1 (so the shipped zoo's configs, which name none, hash as before) */
    corpusVersion: CorpusVersion.optional(),
    evalEvery: z.number().int().positive().default(100),
    evalBatches: z.number().int().positive().default(4),
  })
  .strict();
export type TrainConfig = z.infer<typeof TrainConfig>;

export interface CurvePoint {
  step: number;
  train_loss: number;
  val_loss?: number;
  l0: number;
  lr: number;
}

export interface TrainProgress {
  step: number;
  total: number;
  loss: number;
  valLoss?: number;
}

export interface TrainOptions {
  /** where resumable state lives; resumed when present and its config matches */
  statePath?: string;
  /** save state every this many steps */
  saveEvery?: number;
  onProgress?: (p: TrainProgress) => void;
  /** polled every step; when true the loop saves state and stops */
  shouldStop?: () => boolean;
  /** data-parallel threads for the gradients (engine/data-parallel.ts); default 1. A run resumes only with the count it started with. */
  threads?: number;
}

export interface TrainResult {
  params: Params;
  curve: CurvePoint[];
  completed: boolean;
  resumedFrom: number;
}

/** The corpus version a config trains on. */
export const corpusVersionOf = (cfg: TrainConfig): CorpusVersion => cfg.corpusVersion ?? DEFAULT_CORPUS_VERSION;

export function configHash(cfg: TrainConfig): string {
  return createHash('sha256').update(JSON.stringify(cfg)).digest('hex').slice(0, 16);
}

export function lrAt(cfg: TrainConfig, step: number, l0: number): number {
  const warm = cfg.warmupSteps > 0 ? Math.min(1, (step + 1) / cfg.warmupSteps) : 1;
  const decay = step < cfg.warmupSteps ? 1 : 1 - (step - cfg.warmupSteps) / Math.max(1, cfg.steps - cfg.warmupSteps);
  return (cfg.lr * warm * Math.max(0, decay)) / Math.sqrt(l0);
}

interface OptState {
  m: tf.Variable[];
  v: tf.Variable[];
}

function toArrays(prefix: string, vars: tf.Variable[], names: string[]): Promise<NamedArray[]> {
  return Promise.all(vars.map(async (v, i) => ({ name: `${prefix}${names[i]}`, shape: v.shape, data: (await v.data()) as Float32Array })));
}

/** Apply weight sparsity in place to every matrix; returns per-matrix density. */
export async function applyWeightSparsity(params: Params, l0: number, minPerColumn: number, masks?: Map<string, tf.Tensor>): Promise<void> {
  const matrices = sparsifiedMatrices(params);
  // one read of every matrix (webgpu reads only asynchronously; one await, not one per matrix)
  const data = await Promise.all(matrices.map(([, v]) => v.data()));
  for (const [k, [name, v]] of matrices.entries()) {
    const [rows, cols] = v.shape;
    const w = data[k] as Float32Array;
    const mask = topMagnitudeMask(w, rows, cols, l0, minPerColumn);
    const out = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) out[i] = mask[i] ? w[i] : 0;
    tf.tidy(() => v.assign(tf.tensor2d(out, [rows, cols])));
    masks?.set(name, tf.tensor2d(Float32Array.from(mask), [rows, cols]));
  }
}

export async function train(cfg: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const mc = cfg.model;
  const corpus = corpusVersionOf(cfg);
  // an id past the embedding would read nothing (tfjs gathers zeros), not fail
  if (mc.vocabSize < vocabFor(corpus).length) throw new UserError(`config vocabSize ${mc.vocabSize} is smaller than corpus v${corpus}'s vocabulary (${vocabFor(corpus).length} tokens)`);
  const params = initParams(mc, cfg.seed);
  const named = namedParams(params);
  const names = named.map(([n]) => n);
  const vars = named.map(([, v]) => v);
  const opt: OptState = {
    m: vars.map((v) => tf.variable(tf.zerosLike(v), false)),
    v: vars.map((v) => tf.variable(tf.zerosLike(v), false)),
  };
  const hash = configHash(cfg);
  const threads = opts.threads ?? 1;
  // batch sampling RNG; its state is saved with the checkpoint so a resumed run sees the same batches
  let rng = seedrandom(`train-${cfg.seed}`, { state: true });
  let curve: CurvePoint[] = [];
  let start = 0;

  // resume
  if (opts.statePath && existsSync(opts.statePath)) {
    const st = loadSafetensors(opts.statePath);
    const meta = st.metadata as unknown as { config_hash: string; step: number; rng: seedrandom.State.Arc4; curve: CurvePoint[]; threads?: number };
    if (meta.config_hash !== hash) {
      throw new UserError(`resume state ${opts.statePath} was written for a different training config; delete it to start over`);
    }
    // another thread count sums the gradients in another order: the resumed run would not be the one interrupted
    if ((meta.threads ?? 1) !== threads) {
      throw new UserError(`resume state ${opts.statePath} was written with --threads ${meta.threads ?? 1}; resume with that or start over with --fresh`);
    }
    const byName = new Map(st.tensors.map((t) => [t.name, t]));
    const restore = (prefix: string, list: tf.Variable[]) =>
      list.forEach((v, i) => {
        const t = byName.get(prefix + names[i]);
        if (!t) throw new UserError(`resume state ${opts.statePath} is missing ${prefix + names[i]}`);
        v.assign(tf.tensor(t.data, t.shape));
      });
    restore('p.', vars);
    restore('m.', opt.m);
    restore('v.', opt.v);
    start = meta.step;
    curve = meta.curve;
    rng = seedrandom('', { state: meta.rng });
  }

  const stories: Story[] = generateStories(cfg.corpusSeed, cfg.corpusStories, corpus);
  const heldOut: Story[] = generateStories(cfg.corpusSeed + 1_000_003, Math.max(200, cfg.evalBatches * cfg.batchSize), corpus);
  const evalRng = seedrandom(`eval-${cfg.seed}`);
  const evalBatches = Array.from({ length: cfg.evalBatches }, () => sampleTrainingBatch(evalRng, heldOut, cfg.batchSize, mc.seqLen));

  const saveState = async (step: number) => {
    if (!opts.statePath) return;
    const tensors = [...(await toArrays('p.', vars, names)), ...(await toArrays('m.', opt.m, names)), ...(await toArrays('v.', opt.v, names))];
    saveSafetensors(opts.statePath, tensors, { kind: 'train-state', config_hash: hash, step, rng: rng.state(), curve, threads });
  };

  const evalLoss = async (): Promise<number> => {
    let sum = 0;
    for (const b of evalBatches) {
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(b.input, [cfg.batchSize, mc.seqLen], 'int32');
        const y = tf.tensor2d(b.target, [cfg.batchSize, mc.seqLen], 'int32');
        return lmLoss(params, mc, x, y);
      });
      sum += (await loss.data())[0];
      loss.dispose();
    }
    return sum / evalBatches.length;
  };

  const decayed = new Set(names.filter((_, i) => vars[i].rank === 2));
  if (cfg.batchSize % threads !== 0) throw new UserError(`batch size ${cfg.batchSize} does not split into ${threads} equal data-parallel shards (--threads)`);
  const source = await startGradientSource(params, mc, 'lm', threads, tf.getBackend());
  const saveEvery = opts.saveEvery ?? 100;
  let completed = true;
  try {
    for (let step = start; step < cfg.steps; step++) {
      // the loop is synchronous tensor work: yield so signal handlers (Ctrl-C → save state) can run
      await new Promise((r) => setImmediate(r));
      if (opts.shouldStop?.()) {
        await saveState(step);
        completed = false;
        break;
      }
      const l0 = l0At(step, cfg.steps, cfg.l0Target);
      const lr = lrAt(cfg, step, l0);
      const batch = sampleTrainingBatch(rng, stories, cfg.batchSize, mc.seqLen);
      const { loss, grads: gs } = await source.gradients(batch.input, batch.target, cfg.batchSize);
      tf.tidy(() => {
        // global gradient-norm clipping
        const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(1, tf.div(cfg.clipNorm, tf.add(norm, 1e-6)));
        // the one AdamW (engine/optim.ts, fused on wasm), as the mask learner uses it; matrices decay, gains and biases do not
        gs.forEach((g0, i) => {
          adamwStep(vars[i], tf.mul(g0, scale), opt.m[i], opt.v[i], step + 1, {
            lr,
            beta1: cfg.beta1,
            beta2: cfg.beta2,
            weightDecay: decayed.has(names[i]) ? cfg.weightDecay : 0,
          });
        });
      });
      gs.forEach((g) => g.dispose());
      if (cfg.l0Target < 1) await applyWeightSparsity(params, l0, cfg.minPerColumn);
      const point: CurvePoint = { step: step + 1, train_loss: loss, l0, lr };
      if ((step + 1) % cfg.evalEvery === 0 || step + 1 === cfg.steps) point.val_loss = await evalLoss();
      if ((step + 1) % 10 === 0 || point.val_loss !== undefined || step + 1 === cfg.steps) curve.push(point);
      opts.onProgress?.({ step: step + 1, total: cfg.steps, loss, valLoss: point.val_loss });
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step + 1} (loss ${loss})`);
      if ((step + 1) % saveEvery === 0 && step + 1 < cfg.steps) await saveState(step + 1);
    }
  } finally {
    await source.close();
  }
  for (const t of [...opt.m, ...opt.v]) t.dispose();
  if (completed && opts.statePath) rmSync(opts.statePath, { force: true });
  return { params, curve, completed, resumedFrom: start };
}

export { CORPUS_VERSION, lmLoss };
