// faithbench's public API for researchers: define methods and tasks, run the model with hooks.
export { defineMethod, listMethods, loadMethod, parseOptions } from './methods/registry.ts';
export type { Method, MaskLearnerMethod, DiscoverMethod, AblationScheme, SchemeContext, BlindTask, DiscoverBudget, DiscoverContext, DiscoveredCircuit, AblationValue } from './methods/types.ts';
export { LearnerOptions } from './methods/learner.ts';
export { AblationRunner, keepFromFlat } from './model/ablation.ts';
export { defineTask, getTask, listTasks, getPrompts, stackPrompts } from './tasks/index.ts';
export type { TaskDefinition, PromptSpec, Prompt, Task } from './tasks/index.ts';
export { forward, siteSlots, allNodeIds, parseNodeId, SITES } from './engine/model.ts';
export type { ModelConfig, Hooks, SiteSlot } from './engine/model.ts';
export type { LoadedModel } from './engine/modelio.ts';
export { toTensors, disposeBatch, taskLoss, perExampleLoss, logitDiff, pCorrect } from './tasks/metrics.ts';
