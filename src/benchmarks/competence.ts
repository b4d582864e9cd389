// Does a model do the tasks at all? Binary P_correct averaged over a task split
// (DESIGN.md §4). A zoo model must pass the bar on held-out (test) prompts, or
// the faithfulness checks measure nothing.
import * as tf from '@tensorflow/tfjs-core';
import { forward, type Hooks } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { stackPrompts, type Prompt } from '../tasks/define.ts';
import { toTensors, disposeBatch, pCorrect, perExampleLoss, logitDiff } from '../tasks/metrics.ts';
import { taskPrompts, forEachChunk, getTask } from '../tasks/prompts.ts';

export interface PromptEval {
  loss: number; // mean task loss (the task's own kind)
  pCorrect: number; // mean binary P_correct
  acc: number; // share with target logit > foil logit
  logitDiff: number; // mean target − foil
  perPrompt: { pCorrect: number[]; loss: number[] };
}

/** Evaluate prompts under optional hooks (built per chunk by `hooksFor`, so per-example tensors can be sliced). */
export function evaluatePrompts(model: LoadedModel, taskId: string, prompts: readonly Prompt[], hooksFor?: (ids: tf.Tensor2D, start: number, n: number) => Hooks): PromptEval {
  const kind = getTask(taskId).loss;
  const pc: number[] = [];
  const ls: number[] = [];
  let ld = 0;
  forEachChunk(prompts, (start, chunk) => {
    const b = toTensors(stackPrompts(chunk));
    tf.tidy(() => {
      const hooks = { ...(hooksFor?.(b.ids, start, chunk.length) ?? {}), lastPositionOnly: true };
      const logits = tf.squeeze(forward(model.params, model.cfg, b.ids, hooks).logits, [1]) as tf.Tensor2D;
      pc.push(...pCorrect(logits, b).dataSync());
      ls.push(...perExampleLoss(logits, b, kind).dataSync());
      ld += tf.sum(logitDiff(logits, b)).dataSync()[0];
    });
    disposeBatch(b);
  });
  const n = Math.max(1, prompts.length);
  return {
    loss: ls.reduce((a, c) => a + c, 0) / n,
    pCorrect: pc.reduce((a, c) => a + c, 0) / n,
    acc: pc.filter((p) => p > 0.5).length / n,
    logitDiff: ld / n,
    perPrompt: { pCorrect: pc, loss: ls },
  };
}

/** The competence bar of DESIGN.md §4 (binary P_correct on held-out prompts). */
export const COMPETENCE_BAR = [
  { key: 'pronoun', task: 'pronoun', split: 'test', min: 0.95 },
  { key: 'ioi_opposite', task: 'ioi', split: 'test', min: 0.85 },
  { key: 'ioi_same_gender', task: 'ioi', split: 'same-gender', min: 0.75 },
  { key: 'questions', task: 'questions', split: 'test', min: 0.9 },
] as const;

export interface Competence {
  figures: Record<string, { pCorrect: number; min: number; pass: boolean; prompts: number }>;
  pass: boolean;
}

export function competence(model: LoadedModel, limit = 400): Competence {
  const figures: Competence['figures'] = {};
  for (const bar of COMPETENCE_BAR) {
    const prompts = taskPrompts(bar.task, bar.split, { seed: 0, limit });
    const ev = evaluatePrompts(model, bar.task, prompts);
    figures[bar.key] = { pCorrect: ev.pCorrect, min: bar.min, pass: ev.pCorrect >= bar.min, prompts: prompts.length };
  }
  return { figures, pass: Object.values(figures).every((f) => f.pass) };
}
