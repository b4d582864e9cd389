// faithbench's public API for researchers: define methods and tasks, run the model with hooks.
// A plugin file (in any folder) imports only from here: `z` and `tf` are the very zod and
// tfjs-core instances the harness uses (so schemas and tensors are shared), and
// `seededRandom` is the seeded RNG the harness uses.
import seedrandom from 'seedrandom';
export { z } from 'zod';
export * as tf from '@tensorflow/tfjs-core';
export { defineMethod, listMethods, loadMethod, parseOptions } from './methods/registry.ts';
export type { Method, MaskLearnerMethod, DiscoverMethod, AblationScheme, SchemeContext, BlindTask, DiscoverBudget, DiscoverContext, DiscoveredCircuit, AblationValue } from './methods/types.ts';
export { LearnerOptions } from './methods/learner.ts';
export { AblationRunner, keepFromFlat } from './model/ablation.ts';
export { defineTask, getTask, listTasks, getPrompts, stackPrompts, expandTemplate, loadTask } from './tasks/index.ts';
export type { TaskDefinition, PromptSpec, Prompt, Task } from './tasks/index.ts';
export { forward, siteSlots, allNodeIds, parseNodeId, SITES } from './engine/model.ts';
export type { ModelConfig, Hooks, SiteSlot } from './engine/model.ts';
export type { LoadedModel } from './engine/modelio.ts';
export { toTensors, disposeBatch, taskLoss, perExampleLoss, logitDiff, pCorrect } from './tasks/metrics.ts';

/** A seeded uniform RNG in [0, 1) (seedrandom): the same seed gives the same sequence. Never use Math.random in a method. */
export function seededRandom(seed: string | number): () => number {
  return seedrandom(String(seed));
}
