// A recompute worker (piscina): one tfjs backend per thread, then submitted runs, one at a time.
import { initBackend } from '../engine/backend.ts';
import { loadFilterModel } from '../tasks/prompts.ts';
import type { RunResult } from '../results/schema.ts';
import type { SubmissionContext } from '../results/submission.ts';
import { describeJudge, recomputeRun, type RecomputeJob } from './recompute.ts';

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
