// Saving and loading trained models: parameters in a safetensors-layout checkpoint
// with metadata (config, corpus version, seed, curve, hash, provenance).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ModelConfig, initParams, namedParams, type Params } from './model.ts';
import { TrainConfig, corpusVersionOf } from './train.ts';
import { loadSafetensors, saveSafetensors } from './checkpoint.ts';
import { modelPath, ZOO, ZOO_IDS } from './zoo.ts';
import { parseCorpusVersion, type CorpusVersion } from '../corpus/versions.ts';
import { UserError } from '../util/errors.ts';

export const ModelMetadata = z.object({
  kind: z.literal('faithbench-model'),
  id: z.string(),
  config: TrainConfig,
  corpus_version: z.string(),
  seed: z.number().int(),
  curve: z.array(z.object({ step: z.number(), train_loss: z.number(), val_loss: z.number().optional(), l0: z.number(), lr: z.number() })),
  param_count: z.number().int(),
  density: z.record(z.string(), z.number()),
  backend: z.string(),
  tfjs_version: z.string(),
  package_version: z.string(),
  train_wall_s: z.number(),
  created: z.string(),
  content_hash: z.string(),
  /** 2: content_hash covers this metadata too (src/engine/checkpoint.ts); absent in older files */
  hash_version: z.literal(2).optional(),
});
export type ModelMetadata = z.infer<typeof ModelMetadata>;

export interface LoadedModel {
  id: string;
  cfg: ModelConfig;
  params: Params;
  meta: ModelMetadata;
  /** the checkpoint's content hash, weights and metadata (sha256 hex; see src/engine/checkpoint.ts) */
  hash: string;
}

export async function saveModel(path: string, params: Params, meta: Omit<ModelMetadata, 'content_hash' | 'hash_version' | 'param_count' | 'density'>): Promise<string> {
  const tensors = await Promise.all(namedParams(params).map(async ([name, v]) => ({ name, shape: v.shape, data: (await v.data()) as Float32Array })));
  const density: Record<string, number> = {};
  for (const t of tensors) {
    if (t.shape.length !== 2) continue;
    let nz = 0;
    for (const x of t.data) if (x !== 0) nz++;
    density[t.name] = nz / t.data.length;
  }
  const param_count = tensors.reduce((a, t) => a + t.data.length, 0);
  return saveSafetensors(path, tensors, { ...meta, param_count, density });
}

/** The corpus version a loaded model was trained on (loadModel has validated it). */
export const modelCorpus = (model: Pick<LoadedModel, 'meta'>): CorpusVersion => parseCorpusVersion(model.meta.corpus_version);

export interface LoadOptions {
  /** the corpus version asked for (a zoo id asks for its config's); a checkpoint trained on another is refused */
  corpus?: CorpusVersion;
}

/** Load a model by zoo id or by checkpoint path; validates metadata, shapes, hash and corpus version. */
export function loadModel(idOrPath: string, opts: LoadOptions = {}): LoadedModel {
  const isPath = idOrPath.endsWith('.safetensors') || idOrPath.includes('/');
  const path = isPath ? idOrPath : modelPath(idOrPath);
  if (!isPath && !ZOO_IDS.includes(idOrPath)) {
    throw new UserError(`unknown model "${idOrPath}": expected one of ${ZOO_IDS.join(', ')} or a path to a .safetensors checkpoint`);
  }
  if (!existsSync(path)) {
    throw new UserError(isPath ? `checkpoint ${path}: file not found` : `model "${idOrPath}" has no checkpoint at ${path}: run \`faithbench train --model ${idOrPath}\``);
  }
  const { tensors, metadata, identityHash } = loadSafetensors(path);
  const parsed = ModelMetadata.safeParse(metadata);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`checkpoint ${path}: metadata invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const meta = parsed.data;
  // a zoo model is what its file name says: a checkpoint relabelled as another model is refused
  if (!isPath && meta.id !== idOrPath) throw new UserError(`checkpoint ${path}: its metadata says model "${meta.id}", not "${idOrPath}"`);
  // the corpus version decides which prompts and means the model is judged on: it must be known and agree
  const corpus = parseCorpusVersion(meta.corpus_version, `checkpoint ${path}: corpus version`);
  if (corpusVersionOf(meta.config) !== corpus) {
    throw new UserError(`checkpoint ${path}: records corpus v${corpus} but its training config asks for corpus v${corpusVersionOf(meta.config)}`);
  }
  if (!isPath && corpusVersionOf(ZOO[idOrPath]) !== corpus) {
    throw new UserError(`checkpoint ${path} was trained on corpus v${corpus}, but zoo model "${idOrPath}" is trained on corpus v${corpusVersionOf(ZOO[idOrPath])}: retrain it (faithbench train --model ${idOrPath} --fresh)`);
  }
  if (opts.corpus !== undefined && opts.corpus !== corpus) {
    throw new UserError(`checkpoint ${path} was trained on corpus v${corpus}, not the corpus v${opts.corpus} asked for`);
  }
  const cfg = meta.config.model;
  // build a parameter skeleton from the config and check every tensor against it
  const params = initParams(cfg, 0);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const [name, v] of namedParams(params)) {
    const t = byName.get(name);
    if (!t) throw new UserError(`checkpoint ${path}: missing tensor "${name}"`);
    if (JSON.stringify(t.shape) !== JSON.stringify(v.shape)) {
      throw new UserError(`checkpoint ${path}: tensor "${name}" has shape ${JSON.stringify(t.shape)}, config expects ${JSON.stringify(v.shape)}`);
    }
    v.assign(tf.tensor(t.data, t.shape));
    byName.delete(name);
  }
  if (byName.size > 0) throw new UserError(`checkpoint ${path}: unexpected tensor "${[...byName.keys()][0]}"`);
  for (const [, v] of namedParams(params)) (v as unknown as { trainable: boolean }).trainable = false;
  return { id: meta.id, cfg, params, meta, hash: identityHash };
}
