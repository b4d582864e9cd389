// Mean activation of every node over pretraining-corpus tokens (the μ of mean
// ablation), computed with the same forward as everything else (AbsTopK included),
// once per (model, corpus), cached on disk under a hash of both.
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { forward, siteSlots } from '../engine/model.ts';
import { modelCorpus, type LoadedModel } from '../engine/modelio.ts';
import { loadSafetensors, saveSafetensors } from '../engine/checkpoint.ts';
import { REPO_ROOT } from '../engine/zoo.ts';
import { generateStories, sampleTrainingBatch } from '../corpus/index.ts';

const BATCHES = 16;
const BATCH = 32;

export function meansPath(model: LoadedModel): string {
  return resolve(REPO_ROOT, '.cache', 'means', `${model.hash.slice(0, 16)}-corpus${modelCorpus(model)}.safetensors`);
}

// in-process memo: every AblationRunner (one per circuit evaluation in a discover method's
// bisection) asks for μ; decode the cache file once per model, not once per call
const memo = new Map<string, Record<string, tf.Tensor1D>>();

/**
 * Load (or compute and cache) μ for a model, once per process. Async because computing it
 * reads activations back, which webgpu can only do asynchronously; every entry point that
 * builds mean-ablation runners (prune, a suite run, the bench) awaits it first.
 */
export async function prepareMeans(model: LoadedModel): Promise<void> {
  if (memo.has(model.hash)) return;
  const means = await computeOrLoadMeans(model);
  if (!memo.has(model.hash)) memo.set(model.hash, Object.fromEntries(Object.entries(means).map(([k, t]) => [k, tf.keep(t)])));
}

/** μ per hook name, [width]; kept alive for the process (callers must not dispose them). */
export function meanActivations(model: LoadedModel): Record<string, tf.Tensor1D> {
  const means = memo.get(model.hash);
  if (!means) throw new Error(`internal: mean activations of model ${model.id} are not loaded (await prepareMeans(model) first)`);
  return means;
}

async function computeOrLoadMeans(model: LoadedModel): Promise<Record<string, tf.Tensor1D>> {
  const path = meansPath(model);
  const slots = siteSlots(model.cfg);
  if (existsSync(path)) {
    try {
      const { tensors } = loadSafetensors(path);
      const out: Record<string, tf.Tensor1D> = {};
      for (const t of tensors) out[t.name] = tf.tensor1d(t.data);
      if (slots.every((s) => out[s.name]?.shape[0] === s.width)) return out;
    } catch {
      // a corrupted cache is recomputed, never used
    }
  }
  // the model's own pretraining corpus: μ is "the node's mean over pretraining-corpus tokens"
  const stories = generateStories(model.meta.config.corpusSeed + 7_777, 400, modelCorpus(model));
  const rng = seedrandom(`means-${model.hash}`);
  const T = model.cfg.seqLen;
  const sums = Object.fromEntries(slots.map((s) => [s.name, new Float64Array(s.width)]));
  let count = 0;
  for (let i = 0; i < BATCHES; i++) {
    const batch = sampleTrainingBatch(rng, stories, BATCH, T);
    const batchSums = tf.tidy(() => {
      const ids = tf.tensor2d(batch.input, [BATCH, T], 'int32');
      const { cache } = forward(model.params, model.cfg, ids, { cache: true });
      return slots.map((s) => tf.sum(tf.reshape(cache!.acts[s.name], [BATCH * T, s.width]), 0));
    });
    const read = await Promise.all(batchSums.map((t) => t.data()));
    tf.dispose(batchSums);
    slots.forEach((s, k) => {
      const sum = read[k];
      const acc = sums[s.name];
      for (let j = 0; j < s.width; j++) acc[j] += sum[j];
    });
    count += BATCH * T;
  }
  const tensors = slots.map((s) => ({ name: s.name, shape: [s.width], data: Float32Array.from(sums[s.name], (x) => x / count) }));
  saveSafetensors(path, tensors, { kind: 'mean-activations', model_hash: model.hash, corpus_version: modelCorpus(model), tokens: count });
  return Object.fromEntries(tensors.map((t) => [t.name, tf.tensor1d(t.data)]));
}
