// `faithbench bench`: time the engine's training and pruning steps on the bench config
// (src/engine/bench.ts), the mask learner per method on every trained zoo model
// (src/methods/bench.ts), the suite's throughput on a small preset (src/suite/throughput.ts)
// and, with --torch, the PyTorch reference doing the engine's work
// (../shared/peer/torch_reference.py) right after, on the same machine, with the ratios.
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../engine/backend.ts';
import { BENCH_CASES, parallelTrainCase, runEngineBench, type BenchResult } from '../engine/bench.ts';
import { parseBenchModels, runLearnerBench } from '../methods/bench.ts';
import { checkSuitePreset, measureSuiteThroughput } from '../suite/throughput.ts';
import '../tasks/index.ts';
import { fastKernelsEnabled } from '../engine/ops.ts';
import { getFastKernels } from '../engine/wasm-kernels.ts';
import { positiveInt } from './shared.ts';

const PYTHON = '/usr/bin/python3';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the PyTorch reference script may be: --torch-script, FAITHBENCH_TORCH_REFERENCE, then ../shared/peer/. */
function findReference(explicit?: string): string | undefined {
  const candidates = [
    explicit,
    process.env.FAITHBENCH_TORCH_REFERENCE,
    path.resolve(REPO_ROOT, '..', 'shared', 'peer', 'torch_reference.py'),
    path.resolve(process.cwd(), '..', 'shared', 'peer', 'torch_reference.py'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

export interface TorchResult {
  engine: string;
  threads: number;
  train_step_ms: number;
  prune_step_ms: number;
}

/** Run the PyTorch reference; returns a result, or a one-line reason it could not run. */
export function runTorchReference(steps: number, threads: number, script?: string): TorchResult | { skipped: string } {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found; skipping the PyTorch reference` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return { skipped: 'python3-torch is not installed (apt-get install -y python3-torch libopenblas0-pthread); skipping the PyTorch reference' };
  }
  const file = findReference(script);
  if (!file) return { skipped: 'torch_reference.py not found (pass --torch-script or set FAITHBENCH_TORCH_REFERENCE); skipping the PyTorch reference' };
  const r = spawnSync(PYTHON, [file, '--json', '--steps', String(steps), '--threads', String(threads)], { encoding: 'utf8' });
  if (r.status !== 0) return { skipped: `the PyTorch reference failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchResult;
  } catch {
    return { skipped: `the PyTorch reference printed no JSON: ${line.slice(0, 120)}` };
  }
}

interface BenchOpts {
  json?: boolean;
  steps: string;
  torch?: boolean;
  torchThreads: string;
  torchScript?: string;
  threads: string;
  models?: string;
  learnerSteps: string;
  suitePreset: string;
  /** false with --no-suite */
  suite: boolean;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('time a bench-config training and pruning step, the mask learner per method and zoo model, and the suite on a small preset (single thread); --torch also runs the PyTorch reference')
    .option('--json', 'machine-readable output')
    .option('--steps <n>', 'timed steps per case (after 3 warm-up steps)', '10')
    .option('--torch', 'also run ../shared/peer/torch_reference.py (PyTorch, CPU) and print the ratios')
    .option('--torch-threads <n>', 'threads for the PyTorch reference', '1')
    .option('--torch-script <file>', 'path of torch_reference.py')
    .option('--threads <n>', 'also time the train step data-parallel over n threads (as `train --threads n`); with --torch, PyTorch runs at n threads too', '1')
    .option('--models <list>', 'zoo models for the mask-learner figures (default: every zoo model; untrained ones are skipped)')
    .option('--learner-steps <n>', 'timed mask-learner steps per model and method (after 2 warm-up steps)', '5')
    .option('--suite-preset <name>', 'preset whose grid the suite-throughput figure runs (one worker, nothing cached)', 'tiny')
    .option('--no-suite', 'skip the suite-throughput figure')
    .action(async (opts: BenchOpts) => {
      const steps = positiveInt('--steps', opts.steps);
      const torchThreads = positiveInt('--torch-threads', opts.torchThreads);
      const threads = positiveInt('--threads', opts.threads);
      const learnerSteps = positiveInt('--learner-steps', opts.learnerSteps);
      const models = parseBenchModels(opts.models);
      if (opts.suite) checkSuitePreset(opts.suitePreset);
      const info = await initBackend();
      const fast = fastKernelsEnabled();
      const fma = fast ? getFastKernels().fma : undefined;
      const progress = (s: string) => !opts.json && process.stderr.write(s + '\n');
      const cases = threads > 1 ? [...BENCH_CASES, parallelTrainCase(threads)] : BENCH_CASES;
      const result: BenchResult = await runEngineBench(steps, cases);
      const learner = await runLearnerBench(models, learnerSteps, (m) => progress(`mask learner on ${m}…`));
      if (opts.suite) progress(`suite preset ${opts.suitePreset}, one worker…`);
      const suite = opts.suite ? await measureSuiteThroughput(opts.suitePreset) : undefined;
      const torch = opts.torch ? runTorchReference(steps, torchThreads, opts.torchScript) : undefined;
      // the parallel step against PyTorch given the same threads, and against PyTorch's faster setting
      const torchParallel = opts.torch && threads > 1 && threads !== torchThreads ? runTorchReference(steps, threads, opts.torchScript) : undefined;
      const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
      const ratios: Record<string, number> = {};
      if (torch && !('skipped' in torch)) {
        for (const key of ['train_step_ms', 'prune_step_ms'] as const) ratios[key] = ratio(result[key], torch[key]);
        if (threads > 1) {
          const peers = [torch, torchParallel].filter((t): t is TorchResult => !!t && !('skipped' in t));
          const same = peers.find((t) => t.threads === threads);
          if (same) ratios.train_step_ms_parallel = ratio(result.train_step_ms_parallel, same.train_step_ms);
          ratios.train_step_ms_parallel_vs_fastest_torch = ratio(result.train_step_ms_parallel, Math.min(...peers.map((t) => t.train_step_ms)));
        }
      }
      const report = {
        backend: info.name,
        tfjs_version: info.tfjsVersion,
        wasm_simd: info.simd,
        fast_kernels: fast,
        wasm_fma: fma,
        threads: 1,
        ...(threads > 1 ? { parallel_threads: threads } : {}),
        steps,
        ...result,
        ...learner,
        ...(suite ? { suite_throughput: suite } : {}),
        ...(torch ? { torch } : {}),
        ...(torchParallel ? { torch_parallel: torchParallel } : {}),
        ...(Object.keys(ratios).length ? { ratio_vs_torch: ratios } : {}),
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const extras = [info.simd ? 'simd' : undefined, fast ? 'fast kernels' : undefined, fma ? 'fma' : undefined].filter(Boolean);
      process.stdout.write(`backend: ${info.name} (tfjs ${info.tfjsVersion}${extras.length ? ', ' + extras.join(', ') : ''}), 1 thread\n`);
      for (const c of cases) process.stdout.write(`${c.name}: ${result[c.name]}\n`);
      const lb = learner.learner_bench;
      process.stdout.write(`learner_steps_per_s (${lb.task}, batch ${lb.batch_size}, ${lb.timed_steps} timed steps after ${lb.warmup_steps} warm-up):\n`);
      for (const [model, rates] of Object.entries(learner.learner_steps_per_s)) {
        process.stdout.write(`  ${model}: ${Object.entries(rates).map(([m, r]) => `${m} ${r}`).join(', ')}\n`);
      }
      for (const s of lb.skipped) process.stdout.write(`  ${s.model}: skipped (${s.reason})\n`);
      if (suite) {
        const g = suite.grid;
        process.stdout.write(
          `suite_throughput: preset ${suite.preset} (${g.methods.length} methods × ${g.models.join(', ')} × ${g.tasks.join(', ')} × seeds ${g.seeds.join(', ')}; learner ${JSON.stringify(suite.learner)}), ` +
            `1 worker, fresh circuit cache: ${suite.runs} runs (${suite.circuits_learned} circuits learned) in ${suite.wall_s} s → ${suite.circuits_per_hour_per_worker} circuits/hour/worker\n`,
        );
      }
      if (torch) {
        if ('skipped' in torch) process.stdout.write(`${torch.skipped}\n`);
        else {
          process.stdout.write(`torch (${torch.engine}, ${torch.threads} thread${torch.threads === 1 ? '' : 's'}): train_step_ms ${torch.train_step_ms}, prune_step_ms ${torch.prune_step_ms}\n`);
          process.stdout.write(`ratio faithbench / torch: train ${ratios.train_step_ms}×, prune ${ratios.prune_step_ms}×\n`);
        }
      }
      if (torchParallel) {
        if ('skipped' in torchParallel) process.stdout.write(`${torchParallel.skipped}\n`);
        else process.stdout.write(`torch (${torchParallel.engine}, ${torchParallel.threads} threads): train_step_ms ${torchParallel.train_step_ms}, prune_step_ms ${torchParallel.prune_step_ms}\n`);
      }
      if (ratios.train_step_ms_parallel_vs_fastest_torch !== undefined) {
        const same = ratios.train_step_ms_parallel !== undefined ? `${ratios.train_step_ms_parallel}× torch at ${threads} threads, ` : '';
        process.stdout.write(`ratio faithbench ${threads} threads / torch: train ${same}${ratios.train_step_ms_parallel_vs_fastest_torch}× torch's faster setting\n`);
      }
    });
}
