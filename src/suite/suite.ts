// The suite: plan the grid (methods × models × tasks × seeds), skip runs whose result is
// already on disk (cached by a hash of their inputs), run the rest — in-process or on a
// worker pool with one tfjs backend per worker — and write one result file per run,
// atomically, as each finishes. A killed suite resumes where it stopped.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { writeJsonAtomic } from '../util/fs.ts';
import { UserError } from '../util/errors.ts';
import { loadMethod } from '../methods/registry.ts';
import { loadTask } from '../tasks/load.ts';
import type { Task } from '../tasks/define.ts';
import { ZOO_IDS } from '../engine/zoo.ts';
import { loadChecks } from './checks/registry.ts';
import { computeDigest, type RunResult } from '../results/schema.ts';
import { readRunFile } from '../results/load.ts';
import { isSubmittedMethodId } from '../results/submission.ts';
import { runOne, runIdFor, cachedModel, type RunSpec } from './run.ts';
import type { SuiteSettings } from './presets.ts';

export interface PlannedRun {
  spec: RunSpec;
  runId: string;
  file: string;
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
  if (settings.checks) {
    const known = (await loadChecks()).map((c) => c.id);
    const unknown = settings.checks.find((c) => !known.includes(c));
    if (unknown) throw new UserError(`unknown check "${unknown}" in settings.checks: expected one of ${known.join(', ')}`);
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

/**
 * A cached result is used only if the one results reader accepts it (schema, digest, consistency)
 * and it carries the planned run id; anything else — a truncated, edited or foreign file — is
 * treated as absent and recomputed (and overwritten atomically).
 */
export function readCached(file: string, runId: string): { result?: RunResult; problem?: string } {
  if (!existsSync(file)) return {};
  const v = readRunFile(file);
  if (!v.ok) return { problem: v.reason };
  // a submitted run (sub.<name>) is never the suite's own result, whatever its id
  if (isSubmittedMethodId(v.run.method.id)) return { problem: `a submitted run (${v.run.method.id}) is not a suite result` };
  if (v.run.run_id !== runId) return { problem: `run_id ${v.run.run_id} is not this run's (${runId})` };
  return { result: v.run };
}

export interface SuiteEvents {
  onCached?: (run: PlannedRun) => void;
  /** A planned run's file exists but is not usable: the run is recomputed. */
  onProblem?: (run: PlannedRun, reason: string) => void;
  /** A run was handed to a worker (or started in-process); inFlight includes it. */
  onStart?: (run: PlannedRun, inFlight: number) => void;
  onDone?: (run: PlannedRun, result: RunResult) => void;
  onMessage?: (msg: string) => void;
  /** Polled before each new run starts: once true no new run starts; the runs in flight finish and are saved. */
  shouldStop?: () => boolean;
}

/** The suite writes every result with its digest, so readers can tell a hand edit from the suite's output. */
function withDigest(result: RunResult): RunResult {
  const { digest: _, ...content } = result;
  return { ...content, digest: computeDigest(content) };
}

export async function runSuite(plan: PlannedRun[], workers: number, ev: SuiteEvents = {}): Promise<{ ran: number; cached: number; stopped: boolean }> {
  const todo: PlannedRun[] = [];
  let cached = 0;
  for (const run of plan) {
    const c = readCached(run.file, run.runId);
    if (c.problem) ev.onProblem?.(run, c.problem);
    if (c.result) {
      cached++;
      ev.onCached?.(run);
    } else todo.push(run);
  }
  let ran = 0;
  const finish = (run: PlannedRun, result: RunResult) => {
    writeJsonAtomic(run.file, withDigest(result));
    ran++;
    ev.onDone?.(run, result);
  };
  if (workers <= 1 || todo.length <= 1) {
    for (const run of todo) {
      // runs are synchronous tensor work: yield so a Ctrl-C handler can run between them
      await new Promise((r) => setImmediate(r));
      if (ev.shouldStop?.()) return { ran, cached, stopped: true };
      ev.onStart?.(run, 1);
      finish(run, await runOne(run.spec, ev.onMessage));
    }
    return { ran, cached, stopped: false };
  }
  const threads = Math.min(workers, todo.length);
  const pool = new Piscina({
    filename: resolve(fileURLToPath(new URL('.', import.meta.url)), 'worker-entry.mjs'),
    minThreads: threads,
    maxThreads: threads,
    // each worker owns one wasm backend; no shared state
    env: { ...process.env },
  });
  // At most one run per worker is handed to the pool at a time, so nothing waits in piscina's
  // queue: on a stop request no new run starts, and every run in flight still finishes and is saved.
  let next = 0;
  let inFlight = 0;
  let stopped = false;
  let failure: unknown;
  try {
    await new Promise<void>((done) => {
      const pump = () => {
        while (failure === undefined && inFlight < threads && next < todo.length) {
          if (ev.shouldStop?.()) {
            stopped = true;
            break;
          }
          const run = todo[next++];
          inFlight++;
          ev.onStart?.(run, inFlight);
          (pool.run(run.spec) as Promise<RunResult>).then(
            (result) => {
              inFlight--;
              try {
                finish(run, result);
              } catch (err) {
                failure ??= err;
              }
              pump();
            },
            (err: unknown) => {
              inFlight--;
              failure ??= err;
              pump();
            },
          );
        }
        if (inFlight === 0) done();
      };
      pump();
    });
  } finally {
    await pool.destroy();
  }
  if (failure !== undefined) throw failure;
  return { ran, cached, stopped };
}
