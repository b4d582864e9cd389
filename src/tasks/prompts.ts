// The prompts the suite and methods use: the task's split, except `questions`, which
// keeps only prompts the dense reference model answers confidently (DESIGN.md §4:
// right token p > 0.3 and binary P_correct > 0.8). The filter result is cached per model hash.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getTask, getPrompts, stackPrompts, type Prompt } from './index.ts';
import { toTensors, disposeBatch, pCorrect, pTargetFull } from './metrics.ts';
import { forward } from '../engine/model.ts';
import { loadModel, type LoadedModel } from '../engine/modelio.ts';
import { modelPath, REPO_ROOT } from '../engine/zoo.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { canReadSync } from '../engine/backend.ts';
import { UserError } from '../util/errors.ts';
import { vocabFor } from '../corpus/vocab.ts';
import type { CorpusVersion } from '../corpus/versions.ts';

export const FILTER_MODEL = 'dense-d64';
const CHUNK = 256;

/** Run prompts through a model in chunks, one after another (the callback may be async). */
export async function forEachChunk(prompts: readonly Prompt[], fn: (start: number, chunk: readonly Prompt[]) => void | Promise<void>): Promise<void> {
  for (let i = 0; i < prompts.length; i += CHUNK) await fn(i, prompts.slice(i, i + CHUNK));
}

/** Synchronous (taskPrompts is): on a backend without sync reads (webgpu) the cached filter is required. */
function confident(model: LoadedModel, prompts: readonly Prompt[], cachePath: string): boolean[] {
  if (!canReadSync()) {
    throw new UserError(`the questions filter cache ${cachePath} is missing and ${tf.getBackend()} cannot compute it synchronously: run once on wasm (FAITHBENCH_BACKEND=wasm) to build it`);
  }
  const keep: boolean[] = [];
  for (let start = 0; start < prompts.length; start += CHUNK) {
    const chunk = prompts.slice(start, start + CHUNK);
    const b = toTensors(stackPrompts(chunk));
    const [pc, pt] = tf.tidy(() => {
      const logits = tf.squeeze(forward(model.params, model.cfg, b.ids, { lastPositionOnly: true }).logits, [1]) as tf.Tensor2D;
      return [pCorrect(logits, b).dataSync(), pTargetFull(logits, b).dataSync()];
    });
    disposeBatch(b);
    for (let i = 0; i < chunk.length; i++) keep.push(pt[i] > 0.3 && pc[i] > 0.8);
  }
  return keep;
}

let filterModel: LoadedModel | undefined;

/** Set the dense model used for the questions filter (the CLI loads it; tests may pass a tiny one). */
export function setFilterModel(m: LoadedModel | undefined): void {
  filterModel = m;
}

export interface TaskPromptsOptions {
  seed?: number;
  limit?: number;
  /**
   * The corpus version of the model the prompts are for (`modelCorpus(model)`): required, so no
   * caller can hand a v2 model v1's prompts by forgetting it.
   */
  corpus: CorpusVersion;
}

/**
 * A task's prompts for a split, seeded and balanced (see getPrompts), for a model trained on
 * corpus `opts.corpus`, filtered for `questions` when the filter model is available.
 */
export function taskPrompts(taskId: string, split: string, opts: TaskPromptsOptions): Prompt[] {
  const all = getPrompts(taskId, split, { seed: opts.seed ?? 0, corpus: opts.corpus });
  // a word the model's corpus does not have would embed as nothing (an id past its embedding)
  const size = vocabFor(opts.corpus).length;
  const outside = all.find((p) => p.ids.some((id) => id >= size) || p.target >= size || p.foil >= size);
  if (outside) throw new UserError(`task '${taskId}' prompt "${outside.text}" uses a word that corpus v${opts.corpus} does not have`);
  let pool = all;
  if (taskId === 'questions' && filterModel) {
    const cachePath = resolve(REPO_ROOT, '.cache', 'tasks', `questions-${split}-${filterModel.hash.slice(0, 16)}.json`);
    let mask: boolean[];
    if (existsSync(cachePath)) {
      const byText = new Set(JSON.parse(readFileSync(cachePath, 'utf8')) as string[]);
      mask = all.map((p) => byText.has(p.text));
    } else {
      mask = confident(filterModel, all, cachePath);
      writeJsonAtomic(cachePath, all.filter((_, i) => mask[i]).map((p) => p.text));
    }
    pool = all.filter((_, i) => mask[i]);
  }
  return opts.limit !== undefined ? pool.slice(0, opts.limit) : pool;
}

export function filterModelPath(): string {
  return modelPath(FILTER_MODEL);
}

/** Load the dense model that filters the questions task, when it has been trained. */
export function loadFilterModel(): void {
  if (existsSync(filterModelPath())) setFilterModel(loadModel(FILTER_MODEL));
}

export { getTask };
