import type { Command } from 'commander';
import { resolve, relative, join } from 'node:path';
import { existsSync, readdirSync, lstatSync, readFileSync } from 'node:fs';
import { initBackend } from '../engine/backend.ts';
import { PRESETS } from '../suite/presets.ts';
import { planSuite, runSuite, parseShard, readCached } from '../suite/suite.ts';
import { RunResultSchema, formatZodIssue } from '../results/schema.ts';
import { progressBar } from '../util/progress.ts';
import { UserError } from '../util/errors.ts';
import { writeJsonAtomic } from '../util/fs.ts';
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
    .option('--shard <i/N>', 'run only shard i of N (0 ≤ i < N) of the grid, for cluster job arrays')
    .option('--out <dir>', 'results directory (default results/<preset>)')
    .option('--quiet', 'no progress output')
    .action(async (opts: SuiteOpts) => {
      const preset = PRESETS[opts.preset];
      if (!preset) throw new UserError(`unknown preset "${opts.preset}": expected one of ${Object.keys(PRESETS).join(', ')}`);
      const workers = Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 1) throw new UserError(`--workers must be a positive integer, got "${opts.workers}"`);
      const shard = opts.shard ? parseShard(opts.shard) : undefined;
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
      let plan = await planSuite(grid, preset.settings, out);
      if (shard) plan = plan.filter((_, i) => i % shard.count === shard.index);
      const log = (s: string) => !opts.quiet && process.stderr.write(s + '\n');
      log(`backend: ${info.name}; suite "${opts.preset}": ${plan.length} runs (${grid.methods.length} methods × ${grid.models.length} models × ${grid.tasks.length} tasks × ${grid.seeds.length} seeds${shard ? `, shard ${shard.index}/${shard.count}` : ''}) on ${workers} worker(s) → ${relative(process.cwd(), out) || '.'}`);
      const bar = progressBar('suite', plan.length, { quiet: opts.quiet });
      let done = 0;
      let stop = false;
      const onSig = () => {
        if (stop) process.exit(130);
        stop = true;
        log('\ninterrupt: finishing the runs in flight; finished runs are saved');
      };
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
      const t0 = Date.now();
      const res = await runSuite(plan, workers, {
        onCached: () => bar.update(++done, 'cached'),
        onProblem: (line) => log(line),
        onDone: (run) => bar.update(++done, `${run.spec.method}/${run.spec.model}/${run.spec.task}/s${run.spec.seed}`),
        shouldStop: () => stop,
      });
      bar.stop();
      const wall = (Date.now() - t0) / 1000;
      if (res.stopped) {
        log(`stopped after ${res.ran} new runs (${res.cached} cached); run the same command to resume`);
        process.exit(130);
      }
      process.stdout.write(`suite done: ${res.ran} runs computed, ${res.cached} cached, ${wall.toFixed(1)} s wall → ${out}\n`);
    });

  program
    .command('merge <dirs...>')
    .description('merge results directories (e.g. from --shard jobs) into one, validating every file')
    .requiredOption('--out <dir>', 'destination results directory')
    .action((dirs: string[], opts: { out: string }) => {
      const out = resolve(opts.out);
      let copied = 0;
      let same = 0;
      for (const dir of dirs) {
        if (!existsSync(dir)) throw new UserError(`merge: ${dir} does not exist`);
        const walk = (d: string): string[] =>
          readdirSync(d).flatMap((n) => {
            const p = join(d, n);
            if (n.startsWith('.')) return [];
            return lstatSync(p).isDirectory() ? walk(p) : n.endsWith('.json') ? [p] : [];
          });
        for (const file of walk(dir)) {
          let parsed;
          try {
            parsed = RunResultSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
          } catch {
            throw new UserError(`merge: ${file} is not valid JSON`);
          }
          if (!parsed.success) throw new UserError(`merge: ${file}: ${formatZodIssue(parsed.error).line}`);
          const dest = join(out, relative(dir, file));
          const existing = readCached(dest, parsed.data.run_id);
          if (existing.result) {
            same++;
            continue;
          }
          writeJsonAtomic(dest, parsed.data);
          copied++;
        }
      }
      process.stdout.write(`merged ${copied} runs into ${out} (${same} already present)\n`);
    });
}
