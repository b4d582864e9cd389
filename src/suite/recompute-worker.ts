// A recompute worker (piscina): one tfjs backend per thread, then submitted runs, one at a time.
import { setPriority } from 'node:os';
import { initBackend } from '../engine/backend.ts';
import { loadFilterModel } from '../tasks/prompts.ts';
import type { RunResult } from '../results/schema.ts';
import type { SubmissionContext } from '../results/submission.ts';
import { describeJudge, recomputeRun, type RecomputeJob } from './recompute.ts';

// On Linux this lowers only this thread's priority: the server's request thread wins the CPU
// whenever it wants it, so recomputation never delays a GET on a machine with few cores.
try {
  setPriority(0, 10);
} catch {
  // not permitted or not supported: the thread keeps the default priority
}

let ready: Promise<void> | undefined;
const init = () => (ready ??= initBackend().then(() => loadFilterModel()));

export async function recompute(job: RecomputeJob): Promise<RunResult> {
  await init();
  return recomputeRun(job);
}

export async function describe(): Promise<SubmissionContext> {
  await init();
  return describeJudge();
}
