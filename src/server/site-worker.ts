// The site rebuild, run in a worker thread so a build (seconds of template and plot rendering)
// never blocks a request: it rebuilds the static folder (swapped in atomically by buildSite) and
// returns the read API's state, so the server holds summaries, not every run.
import { setPriority } from 'node:os';
import { aggregate } from '../results/aggregate.ts';
import type { Leaderboard } from '../results/schema.ts';
import { buildSite, runSummary } from '../site/build.ts';
import { loadResults } from '../site/load.ts';

// On Linux this lowers only this thread's priority (see src/suite/recompute-worker.ts).
try {
  setPriority(0, 10);
} catch {
  // keep the default priority
}

export interface SiteJob {
  resultsDir: string;
  siteDir: string;
  checkDescriptions?: Record<string, string>;
}

export interface SiteState {
  board: Leaderboard;
  runs: Array<ReturnType<typeof runSummary>>;
  /** run id → its file, relative to the results folder (read on request) */
  files: Record<string, string>;
  problems: string[];
}

export async function rebuild(job: SiteJob): Promise<SiteState> {
  const report = await buildSite({ resultsDir: job.resultsDir, outDir: job.siteDir, checkDescriptions: job.checkDescriptions });
  const loaded = loadResults(job.resultsDir);
  return {
    board: aggregate(loaded.runs.map((l) => l.run)),
    runs: loaded.runs.map(runSummary),
    files: Object.fromEntries(loaded.runs.map((l) => [l.run.run_id, l.file])),
    problems: report.problems,
  };
}
