// Evaluate a task's prompts on a model, optionally under hooks (a circuit's keep
// coefficients, ablation values, frozen norms): mean task loss, binary P_correct,
// accuracy and logit difference, plus per-prompt figures. The one place prompts are
// scored; the learner's discretisation, the checks and the zoo's competence bar use it.
import * as tf from '@tensorflow/tfjs-core';
import { forward, type Hooks } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { stackPrompts, type Prompt } from './define.ts';
import { toTensors, disposeBatch, pCorrect, perExampleLoss, logitDiff } from './metrics.ts';
import { forEachChunk, getTask } from './prompts.ts';
import { keepFromFlat, type AblationRunner } from '../model/ablation.ts';

export interface PromptEval {
  loss: number; // mean task loss (the task's own kind)
  binaryLoss: number; // mean softplus(foil − target), whatever the task's kind
  pCorrect: number; // mean binary P_correct
  acc: number; // share with target logit > foil logit
  logitDiff: number; // mean target − foil
  perPrompt: { pCorrect: number[]; loss: number[] };
}

/** Evaluate prompts under optional hooks (built per chunk by `hooksFor`, so per-example tensors can be sliced). */
export async function evaluatePrompts(model: LoadedModel, taskId: string, prompts: readonly Prompt[], hooksFor?: (ids: tf.Tensor2D, start: number, n: number) => Hooks): Promise<PromptEval> {
  const kind = getTask(taskId).loss;
  const pc: number[] = [];
  const ls: number[] = [];
  let ld = 0;
  let bl = 0;
  await forEachChunk(prompts, async (start, chunk) => {
    const b = toTensors(stackPrompts(chunk));
    const outs = tf.tidy(() => {
      const hooks = { ...(hooksFor?.(b.ids, start, chunk.length) ?? {}), lastPositionOnly: true };
      const logits = tf.squeeze(forward(model.params, model.cfg, b.ids, hooks).logits, [1]) as tf.Tensor2D;
      const diff = logitDiff(logits, b);
      return [pCorrect(logits, b), perExampleLoss(logits, b, kind), tf.sum(diff), tf.sum(tf.softplus(tf.neg(diff)))];
    });
    disposeBatch(b);
    // one await for the chunk's four reads (webgpu reads only asynchronously)
    const [pcs, lss, lds, bls] = await Promise.all(outs.map((t) => t.data()));
    outs.forEach((t) => t.dispose());
    pc.push(...pcs);
    ls.push(...lss);
    ld += lds[0];
    bl += bls[0];
  });
  const n = Math.max(1, prompts.length);
  return {
    loss: ls.reduce((a, c) => a + c, 0) / n,
    binaryLoss: bl / n,
    pCorrect: pc.reduce((a, c) => a + c, 0) / n,
    acc: pc.filter((p) => p > 0.5).length / n,
    logitDiff: ld / n,
    perPrompt: { pCorrect: pc, loss: ls },
  };
}

/** Evaluate prompts with a circuit: a flat keep vector (siteSlots order) under the runner's ablation. */
export function evaluateKeep(runner: AblationRunner, taskId: string, prompts: readonly Prompt[], flatKeep: Float32Array): Promise<PromptEval> {
  return evaluatePrompts(runner.model, taskId, prompts, (ids) => runner.hooks(ids, keepFromFlat(runner.slots, flatKeep)));
}
