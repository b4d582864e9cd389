// `loadTask(ref)`: a registered task id, or a task plugin file in any folder that
// default-exports (or exports `task`) the result of `defineTask(...)` or a plain
// TaskDefinition (which is then defined here). Loading the same path again in the same
// thread returns the same Task; a worker thread that loads it gets its own registration
// of the same task, with the same id.
import { defineTask, getTask, listTasks, type Task, type TaskDefinition } from './define.ts';
import './builtin.ts';
import { loadPlugin, looksLikePath, notePluginSource } from '../plugins/load.ts';
import { UserError } from '../util/errors.ts';

/** Tasks loaded from files in this thread, by bundle hash (a definition is defined only once). */
const LOADED = new Map<string, Task>();

function isTask(v: unknown): v is Task {
  return typeof v === 'object' && v !== null && typeof (v as Task).id === 'string'
    && typeof (v as Task).prompts === 'function' && typeof (v as Task).promptLength === 'number';
}

function isDefinition(v: unknown): v is TaskDefinition {
  return typeof v === 'object' && v !== null && 'id' in v && 'splits' in v;
}

/** A registered task id (the built-ins: pronoun, ioi, questions, nonsense) or a path to a task file. */
export async function loadTask(ref: string): Promise<Task> {
  if (!looksLikePath(ref)) {
    if (listTasks().some((t) => t.id === ref)) return getTask(ref);
    throw new UserError(`unknown task '${ref}' (known: ${listTasks().map((t) => t.id).join(', ')}; or a path to a task file)`);
  }
  const { value, hash, file, sourceHash } = await loadPlugin(ref, 'task');
  const cached = LOADED.get(hash);
  if (cached) return cached;
  const usage = 'default-export the result of defineTask({...}) or a task definition';
  let task: Task;
  if (isTask(value)) {
    const registered = listTasks().find((t) => t.id === value.id);
    if (registered !== value) throw new UserError(`task file ${ref} exports a task "${value.id}" that this faithbench did not define (${usage}, importing defineTask from "faithbench")`);
    task = value;
  } else if (isDefinition(value)) {
    try {
      task = defineTask(value);
    } catch (err) {
      throw new UserError(`task file ${ref}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    const isMethod = typeof value === 'object' && value !== null && 'kind' in value && 'options' in value;
    throw new UserError(`task file ${ref} does not export a task${isMethod ? ' (it exports a method)' : ''} (${usage})`);
  }
  notePluginSource(task, { file, sourceHash });
  LOADED.set(hash, task);
  return task;
}
