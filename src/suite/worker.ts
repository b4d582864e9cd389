// A suite worker: initialises its own tfjs backend once, then runs RunSpecs.
import { initBackend } from '../engine/backend.ts';
import { loadFilterModel } from '../tasks/prompts.ts';
import { runOne, type RunSpec } from './run.ts';
import type { RunResult } from '../results/schema.ts';

let ready: Promise<void> | undefined;

export async function runInWorker(spec: RunSpec): Promise<RunResult> {
  ready ??= initBackend().then(() => loadFilterModel());
  await ready;
  return runOne(spec);
}
