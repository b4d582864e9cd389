// The suite: plan the grid (methods × models × tasks × seeds), skip runs whose result is
// already on disk (cached by a hash of their inputs), run the rest — in-process or on a
// worker pool with one tfjs backend per worker — and write one result file per run,
// atomically, as each finishes. A killed suite resumes where it stopped.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { writeJsonAtomic } from '../util/fs.ts';
import { UserError } from '../util/errors.ts';
import { loadMethod } from '../methods/registry.ts';
import { loadTask } from '../tasks/load.ts';
import type { Task } from '../tasks/define.ts';
import { ZOO_IDS } from '../engine/zoo.ts';
import { RunResultSchema, formatZodIssue, type RunResult } from '../results/schema.ts';
import { isSubmittedMethodId } from '../results/submission.ts';
import { runOne, runIdFor, cachedModel, type RunSpec } from './run.ts';
import type { SuiteSettings } from './presets.ts';

export interface PlannedRun {
  spec: RunSpec;
  runId: string;
  file: string;
}

export interface Shard {
  index: number;
  count: number;
}

/** "i/N" with 0 ≤ i < N (Kubernetes indexed Jobs and 0-based Slurm arrays pass i directly). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new UserError(`--shard must look like i/N (e.g. 0/4), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new UserError(`--shard ${text}: need 0 ≤ i < N`);
  return { index, count };
}

export function resultFile(outDir: string, spec: RunSpec, methodId: string, modelId: string, taskId: string, runId: string): string {
  return join(outDir, methodId, modelId, `${taskId}-s${spec.seed}-${runId}.json`);
}

/** Every run of the grid, in a fixed order, with its run id and file; validates every name first. */
export async function planSuite(
  grid: { methods: string[]; models: string[]; tasks: string[]; seeds: number[] },
  settings: SuiteSettings,
  outDir: string,
): Promise<PlannedRun[]> {
  // task ids or task plugin files; the spec keeps the reference so a worker can load it again
  const tasks: Task[] = await Promise.all(grid.tasks.map((t) => loadTask(t)));
  for (const m of grid.models) {
    if (!ZOO_IDS.includes(m) && !m.endsWith('.safetensors')) throw new UserError(`unknown model "${m}": expected one of ${ZOO_IDS.join(', ')}`);
  }
  const methods = await Promise.all(grid.methods.map((m) => loadMethod(m)));
  const plan: PlannedRun[] = [];
  for (const model of grid.models) {
    const loaded = cachedModel(model);
    for (const [mi, method] of methods.entries()) {
      for (const [ti, task] of tasks.entries()) {
        for (const seed of grid.seeds) {
          const spec: RunSpec = { method: grid.methods[mi], model, task: grid.tasks[ti], seed, settings };
          const runId = runIdFor(spec, method, loaded, task);
          plan.push({ spec, runId, file: resultFile(outDir, spec, method.id, loaded.id, task.id, runId) });
        }
      }
    }
  }
  return plan;
}

/** A cached result is used only if it parses, validates and carries the expected run id. */
export function readCached(file: string, runId: string): { result?: RunResult; problem?: string } {
  if (!existsSync(file)) return {};
  try {
    const parsed = RunResultSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) return { problem: `${file}: ${formatZodIssue(parsed.error).line}` };
    // a submitted run (sub.<name>) is never the suite's own result, whatever its id
    if (isSubmittedMethodId(parsed.data.method.id)) return { problem: `${file}: a submitted run (${parsed.data.method.id}) is not a suite result` };
    if (parsed.data.run_id !== runId) return { problem: `${file}: run_id ${parsed.data.run_id} does not match its inputs (${runId})` };
    return { result: parsed.data };
  } catch {
    return { problem: `${file}: not valid JSON` };
  }
}

export interface SuiteEvents {
  onCached?: (run: PlannedRun) => void;
  onProblem?: (line: string) => void;
  onStart?: (run: PlannedRun) => void;
  onDone?: (run: PlannedRun, result: RunResult) => void;
  onMessage?: (msg: string) => void;
  shouldStop?: () => boolean;
}

export async function runSuite(plan: PlannedRun[], workers: number, ev: SuiteEvents = {}): Promise<{ ran: number; cached: number; stopped: boolean }> {
  const todo: PlannedRun[] = [];
  let cached = 0;
  for (const run of plan) {
    const c = readCached(run.file, run.runId);
    if (c.problem) ev.onProblem?.(`corrupted or foreign result ${c.problem}; recomputing`);
    if (c.result) {
      cached++;
      ev.onCached?.(run);
    } else todo.push(run);
  }
  let ran = 0;
  const finish = (run: PlannedRun, result: RunResult) => {
    writeJsonAtomic(run.file, result);
    ran++;
    ev.onDone?.(run, result);
  };
  if (workers <= 1) {
    for (const run of todo) {
      // runs are synchronous tensor work: yield so a Ctrl-C handler can run between them
      await new Promise((r) => setImmediate(r));
      if (ev.shouldStop?.()) return { ran, cached, stopped: true };
      ev.onStart?.(run);
      finish(run, await runOne(run.spec, ev.onMessage));
    }
    return { ran, cached, stopped: false };
  }
  const pool = new Piscina({
    filename: resolve(fileURLToPath(new URL('.', import.meta.url)), 'worker-entry.mjs'),
    minThreads: workers,
    maxThreads: workers,
    // each worker owns one wasm backend; no shared state
    env: { ...process.env },
  });
  let stopped = false;
  try {
    // biggest models first so the tail of the schedule is short jobs
    await Promise.all(
      todo.map(async (run) => {
        const result = (await pool.run(run.spec)) as RunResult;
        if (stopped) return;
        finish(run, result);
        if (ev.shouldStop?.()) {
          stopped = true;
          await pool.destroy();
        }
      }),
    );
  } catch (err) {
    if (!stopped) throw err;
  } finally {
    if (!stopped) await pool.destroy();
  }
  return { ran, cached, stopped };
}
