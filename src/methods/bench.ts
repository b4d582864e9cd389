// Mask-learning speed per built-in method and zoo model: steps per second of the real
// learner (learnMask) on the pronoun task, for `faithbench bench`. Models without a
// checkpoint in models/ are skipped and named, never an error.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import { loadMethod, parseOptions } from './registry.ts';
import { learnMask, LearnerOptions } from './learner.ts';
import { namedParams } from '../engine/model.ts';
import type { MaskLearnerMethod } from './types.ts';
import { loadModel, modelCorpus } from '../engine/modelio.ts';
import { modelPath, REPO_ROOT, ZOO_IDS } from '../engine/zoo.ts';
import { prepareMeans } from '../model/means.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import { UserError } from '../util/errors.ts';

export const BENCH_METHODS = ['zero', 'mean', 'frozen-ln', 'stochastic', 'adversarial'];
export const LEARNER_BENCH_TASK = 'pronoun';
/** untimed steps per (model, method) first: kernel setup for the model's shapes */
export const LEARNER_WARMUP_STEPS = 2;
/**
 * untimed steps once per process (the first method on the first model), so that the first
 * (model, method) timed does not alone pay V8's and wasm's tier-up; kept small because the
 * first model may be sparse-d512-v2
 */
export const PROCESS_WARMUP_STEPS = 10;

const Rate = z.number().positive().finite();
export const LearnerBenchReport = z.strictObject({
  /** model id → method id → mask-learner steps per second */
  learner_steps_per_s: z.record(z.string(), z.record(z.string(), Rate)),
  learner_bench: z.strictObject({
    task: z.string(),
    batch_size: z.number().int().positive(),
    warmup_steps: z.number().int().nonnegative(),
    timed_steps: z.number().int().positive(),
    /** untimed steps once, before the first timing */
    process_warmup_steps: z.number().int().nonnegative(),
    skipped: z.array(z.strictObject({ model: z.string(), reason: z.string() })),
  }),
});
export type LearnerBenchReport = z.infer<typeof LearnerBenchReport>;

/** `--models a,b`: zoo ids only (one line naming the valid ones otherwise); default every zoo model. */
export function parseBenchModels(list: string | undefined): string[] {
  if (list === undefined) return [...ZOO_IDS];
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new UserError('--models is empty');
  const unknown = ids.find((id) => !ZOO_IDS.includes(id));
  if (unknown) throw new UserError(`unknown model "${unknown}": expected one of ${ZOO_IDS.join(', ')}`);
  return [...new Set(ids)];
}

/**
 * Time `steps` learner steps per (model, method), after LEARNER_WARMUP_STEPS untimed ones. A
 * call's setup (τ init, final read-back and ranking) is inside the timed span: it is part of
 * what a learner step costs in practice, and negligible beside the steps.
 */
export async function runLearnerBench(models: string[], steps: number, onModel?: (model: string) => void): Promise<LearnerBenchReport> {
  const methods = (await Promise.all(BENCH_METHODS.map((m) => loadMethod(m)))) as MaskLearnerMethod[];
  const rates: Record<string, Record<string, number>> = {};
  const skipped: Array<{ model: string; reason: string }> = [];
  let batchSize = LearnerOptions.parse({}).batchSize;
  let warm = false;
  for (const id of models) {
    const file = modelPath(id);
    if (!existsSync(file)) {
      skipped.push({ model: id, reason: `not trained: no ${relative(REPO_ROOT, file)}` });
      continue;
    }
    onModel?.(id);
    const model = loadModel(id);
    await prepareMeans(model); // μ is computed (or read) once, outside every timing
    const prompts = taskPrompts(LEARNER_BENCH_TASK, 'train', { seed: 0, corpus: modelCorpus(model) });
    rates[id] = {};
    if (!warm) {
      const opts = parseOptions(methods[0], { steps: PROCESS_WARMUP_STEPS });
      await learnMask(model, LEARNER_BENCH_TASK, prompts, methods[0].scheme(opts), opts as unknown as LearnerOptions, 0);
      warm = true;
    }
    for (const method of methods) {
      // the method's own defaults, validated by its schema (which extends LearnerOptions)
      const opts = (n: number) => parseOptions(method, { steps: n });
      const learner = (n: number) => opts(n) as unknown as LearnerOptions;
      batchSize = learner(1).batchSize;
      await learnMask(model, LEARNER_BENCH_TASK, prompts, method.scheme(opts(LEARNER_WARMUP_STEPS)), learner(LEARNER_WARMUP_STEPS), 0);
      const t0 = performance.now();
      await learnMask(model, LEARNER_BENCH_TASK, prompts, method.scheme(opts(steps)), learner(steps), 0);
      rates[id][method.id] = round((1000 * steps) / (performance.now() - t0));
    }
    for (const [, v] of namedParams(model.params)) v.dispose();
  }
  return {
    learner_steps_per_s: rates,
    learner_bench: { task: LEARNER_BENCH_TASK, batch_size: batchSize, warmup_steps: LEARNER_WARMUP_STEPS, process_warmup_steps: PROCESS_WARMUP_STEPS, timed_steps: steps, skipped },
  };
}

// four significant digits: the slowest (sparse-d512, adversarial) rates are well below 1
const round = (x: number) => Number(x.toPrecision(4));
