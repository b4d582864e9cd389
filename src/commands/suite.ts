import type { Command } from 'commander';
import { resolve, relative, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { initBackend } from '../engine/backend.ts';
import { PRESETS } from '../suite/presets.ts';
import { planSuite, runSuite, type PlannedRun } from '../suite/suite.ts';
import { resolveShard, shardOf, SHARD_COUNT_ENV } from '../suite/shard.ts';
import { mergeResults, MergeRefused } from '../results/merge.ts';
import { skippedReport } from '../results/load.ts';
import { progressBar } from '../util/progress.ts';
import { UserError } from '../util/errors.ts';
import { loadFilterModel } from './shared.ts';
import '../tasks/index.ts';

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));

function parseSeeds(s: string): number[] {
  const seeds = list(s)!.map(Number);
  if (seeds.length === 0 || seeds.some((n) => !Number.isInteger(n) || n < 0)) throw new UserError(`--seeds must be a comma-separated list of non-negative integers, got "${s}"`);
  return seeds;
}

interface SuiteOpts {
  preset: string;
  methods?: string;
  models?: string;
  tasks?: string;
  seeds?: string;
  workers: string;
  shard?: string;
  shardCount?: string;
  out?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('suite')
    .description('run the faithfulness suite; results are cached per run, so an interrupted suite resumes')
    .option('--preset <name>', `grid and effort: ${Object.keys(PRESETS).join(', ')}`, 'smoke')
    .option('--methods <list>', 'comma-separated method ids or plugin paths (default: the preset’s)')
    .option('--models <list>', 'comma-separated zoo model ids')
    .option('--tasks <list>', 'comma-separated task ids')
    .option('--seeds <list>', 'comma-separated seeds')
    .option('--workers <n>', 'parallel workers, one tfjs backend each', '1')
    .option('--shard <i/N|auto>', 'run only shard i of N (0 ≤ i < N) of the grid; auto: i and N from the Slurm array or Kubernetes Indexed Job this runs in')
    .option('--shard-count <N>', `with --shard auto in a Kubernetes Indexed Job: the Job's completions (or set ${SHARD_COUNT_ENV})`)
    .option('--out <dir>', 'results directory (default results/<preset>)')
    .option('--quiet', 'no progress output')
    .action(async (opts: SuiteOpts) => {
      const preset = PRESETS[opts.preset];
      if (!preset) throw new UserError(`unknown preset "${opts.preset}": expected one of ${Object.keys(PRESETS).join(', ')}`);
      // each worker holds a whole wasm backend and model: more workers than CPUs only costs memory
      const maxWorkers = availableParallelism();
      const workers = /^\d+$/.test(opts.workers.trim()) ? Number(opts.workers) : NaN;
      if (!Number.isInteger(workers) || workers < 1 || workers > maxWorkers) throw new UserError(`--workers must be a positive integer no larger than ${maxWorkers} (the CPUs available here), got "${opts.workers}"`);
      const shard = resolveShard(opts.shard, opts.shardCount, process.env);
      const grid = {
        methods: list(opts.methods) ?? preset.methods,
        models: list(opts.models) ?? preset.models,
        tasks: list(opts.tasks) ?? preset.tasks,
        seeds: opts.seeds !== undefined ? parseSeeds(opts.seeds) : preset.seeds,
      };
      for (const [k, v] of Object.entries(grid)) if (v.length === 0) throw new UserError(`--${k} is empty`);
      const out = resolve(opts.out ?? join('results', opts.preset));
      const info = await initBackend();
      loadFilterModel();
      const whole = await planSuite(grid, preset.settings, out);
      const plan = shardOf(whole, shard);
      const log = (s: string) => !opts.quiet && process.stderr.write(s + '\n');
      // what was skipped, recomputed or interrupted is said even with --quiet (that hides progress only)
      const warn = (s: string) => process.stderr.write(s + '\n');
      // not an error: the array's size is fixed by the job script, the grid by the flags; an empty
      // shard writes nothing, so a merge of `shards/*` simply does not see it
      if (shard && plan.length === 0) warn(`shard ${shard.index}/${shard.count} (${shard.from}) holds none of the grid's ${whole.length} runs: nothing to do`);
      log(`backend: ${info.name}; suite "${opts.preset}": ${plan.length} runs (${grid.methods.length} methods × ${grid.models.length} models × ${grid.tasks.length} tasks × ${grid.seeds.length} seeds${shard ? `, shard ${shard.index}/${shard.count} from ${shard.from}` : ''}) on ${workers} worker(s) → ${relative(process.cwd(), out) || '.'}`);
      const bar = progressBar('suite', plan.length, { quiet: opts.quiet });
      let done = 0;
      let stop = false;
      const inFlight = new Set<PlannedRun>();
      const name = (run: PlannedRun) => `${run.spec.method}/${run.spec.model}/${run.spec.task}/s${run.spec.seed}`;
      const onSig = () => {
        if (stop) {
          warn(`\naborted: ${inFlight.size} run(s) in flight were not saved (${[...inFlight].map(name).join(', ') || 'none'}); run the same command to resume`);
          process.exit(130);
        }
        stop = true;
        warn(`\ninterrupt: no new runs start; finishing and saving the ${inFlight.size} run(s) in flight (${[...inFlight].map(name).join(', ') || 'none'}). Ctrl-C again to abort them`);
      };
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
      const t0 = Date.now();
      const res = await runSuite(plan, workers, {
        onCached: () => bar.update(++done, 'cached'),
        onProblem: (run, reason) => warn(`recomputing ${relative(out, run.file)}: ${reason}`),
        onStart: (run, n) => {
          inFlight.add(run);
          // without a terminal there is no bar to show what runs: one line per start
          if (!process.stderr.isTTY) log(`started ${name(run)} (${n} in flight)`);
        },
        onDone: (run) => {
          inFlight.delete(run);
          bar.update(++done, name(run));
        },
        shouldStop: () => stop,
      });
      bar.stop();
      const wall = (Date.now() - t0) / 1000;
      if (res.stopped) {
        warn(`stopped after ${res.ran} new runs (${res.cached} cached); run the same command to resume`);
        process.exit(130);
      }
      process.stdout.write(`suite done: ${res.ran} runs computed, ${res.cached} cached, ${wall.toFixed(1)} s wall → ${out}\n`);
    });

  program
    .command('merge <dirs...>')
    .description('merge results directories (e.g. from --shard jobs) into one, validating every file')
    .requiredOption('--out <dir>', 'destination results directory')
    .action((dirs: string[], opts: { out: string }) => {
      let report;
      try {
        report = mergeResults(dirs, opts.out);
      } catch (err) {
        if (err instanceof MergeRefused) for (const s of err.skipped.slice(0, 10)) process.stderr.write(`faithbench: invalid ${join(s.dir, s.file)}: ${s.reason}\n`);
        throw err;
      }
      const replaced = new Set(report.replaced);
      const left = report.destSkipped.filter((s) => !replaced.has(s.file));
      for (const line of skippedReport({ skipped: left, undigested: report.undigested }, 'the merge')) process.stderr.write(`faithbench: ${line}\n`);
      for (const f of report.replaced) process.stderr.write(`faithbench: replaced the invalid ${join(opts.out, f)}\n`);
      const extra = [`${report.present} already present`, ...(report.duplicates ? [`${report.duplicates} duplicates in the inputs, first kept`] : [])];
      process.stdout.write(`merged ${report.copied} runs into ${report.out} (${extra.join(', ')})\n`);
    });
}
