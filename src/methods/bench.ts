// Mask-learning speed per built-in method (steps per second of the real learner, on the
// dense-d64 zoo model and the pronoun task), as extra cases for `faithbench bench`.
import { existsSync } from 'node:fs';
import { loadMethod, parseOptions } from './registry.ts';
import { learnMask, type LearnerOptions } from './learner.ts';
import type { MaskLearnerMethod } from './types.ts';
import { loadModel, modelCorpus, type LoadedModel } from '../engine/modelio.ts';
import { modelPath } from '../engine/zoo.ts';
import { prepareMeans } from '../model/means.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import type { BenchCase } from '../engine/bench.ts';

export const BENCH_METHODS = ['zero', 'mean', 'frozen-ln', 'stochastic', 'adversarial'];
const BENCH_METHOD_MODEL = 'dense-d64';

export async function methodBenchCases(): Promise<BenchCase[]> {
  if (!existsSync(modelPath(BENCH_METHOD_MODEL))) return [];
  const methods = (await Promise.all(BENCH_METHODS.map((m) => loadMethod(m)))) as MaskLearnerMethod[];
  let model: LoadedModel | undefined;
  return methods.map((method) => ({
    name: `prune_steps_per_s.${method.id}`,
    description: `${method.id}: mask-learner steps per second on ${BENCH_METHOD_MODEL} / pronoun (batch 32)`,
    run: async (_params, steps) => {
      model ??= loadModel(BENCH_METHOD_MODEL);
      await prepareMeans(model);
      const prompts = taskPrompts('pronoun', 'train', { seed: 0, corpus: modelCorpus(model) });
      const opts = (n: number) => ({ ...(parseOptions(method, {}) as unknown as LearnerOptions), steps: n });
      // warm-up: JIT, kernel setup, and mean activations (computed and cached on first use)
      await learnMask(model, 'pronoun', prompts, method.scheme(parseOptions(method, {})), opts(Math.max(3, Math.ceil(steps / 2))), 0);
      const t0 = performance.now();
      await learnMask(model, 'pronoun', prompts, method.scheme(parseOptions(method, {})), opts(steps), 0);
      return (1000 * steps) / (performance.now() - t0);
    },
  }));
}
