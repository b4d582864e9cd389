// Tasks: the public defineTask registry, with the four built-in tasks registered on import, and loadTask (an id or a task file).
export {
  defineTask, getTask, listTasks, getPrompts, stackPrompts, expandTemplate, LOSS_KINDS, CORE_SPLITS,
} from './define.ts';
export type { LossKind, PromptSpec, SplitSource, TaskDefinition, Prompt, Task, GetPromptsOptions, PromptBatch } from './define.ts';
export { BUILTIN_TASK_IDS } from './builtin.ts';
export { loadTask } from './load.ts';
