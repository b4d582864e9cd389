// `faithbench bench` end to end: the real CLI with the smallest settings. Checks the shape of
// the mask-learner and suite-throughput figures, never their size (the machine's load varies).
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { LearnerBenchReport, BENCH_METHODS } from '../src/methods/bench.ts';
import { SuiteThroughput } from '../src/suite/throughput.ts';
import { existsSync } from 'node:fs';
import { ZOO_IDS, modelPath } from '../src/engine/zoo.ts';

const CLI = join(process.cwd(), 'bin/faithbench.js');

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: 'wasm' } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}

const Report = LearnerBenchReport.extend({
  train_step_ms: z.number().positive().finite(),
  prune_step_ms: z.number().positive().finite(),
  suite_throughput: SuiteThroughput,
}).loose(); // backend, versions and the rest are checked elsewhere

describe('faithbench bench', () => {
  it('--json: mask-learner steps/s per model and method, and the suite throughput', async () => {
    const r = await cli(['bench', '--json', '--steps', '1', '--learner-steps', '1', '--models', 'dense-d64']);
    expect(r.code, r.err).toBe(0);
    const report = Report.parse(JSON.parse(r.out));
    expect(Object.keys(report.learner_steps_per_s)).toEqual(['dense-d64']);
    expect(Object.keys(report.learner_steps_per_s['dense-d64']).sort()).toEqual([...BENCH_METHODS].sort());
    for (const v of Object.values(report.learner_steps_per_s['dense-d64'])) expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(report.learner_bench.timed_steps).toBe(1);
    expect(report.learner_bench.skipped).toEqual([]);
    const s = report.suite_throughput;
    expect(s.preset).toBe('tiny');
    // every planned run of the grid computed, none cached
    expect(s.runs).toBe(s.grid.methods.length * s.grid.models.length * s.grid.tasks.length * s.grid.seeds.length);
    expect(s.circuits_learned).toBeGreaterThanOrEqual(s.runs);
    // both figures are rounded to 4 significant digits
    expect(Math.abs(s.circuits_per_hour_per_worker / ((3600 * s.runs) / s.wall_s) - 1)).toBeLessThan(0.01);
    // the old flat keys are gone
    expect(Object.keys(JSON.parse(r.out)).some((k) => k.startsWith('prune_steps_per_s'))).toBe(false);
  });

  it('--threads 2 adds the data-parallel train step; a bad --threads is one line', async () => {
    const r = await cli(['bench', '--json', '--steps', '1', '--learner-steps', '1', '--models', 'dense-d64', '--no-suite', '--threads', '2']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.parallel_threads).toBe(2);
    expect(Number.isFinite(report.train_step_ms_parallel) && report.train_step_ms_parallel > 0).toBe(true);
    const bad = await cli(['bench', '--threads', 'x']);
    expect(bad.code).not.toBe(0);
    expect(bad.err.trim()).toBe('faithbench: error: --threads must be a positive integer, got "x"');
  });

  it('human output names the figures; --no-suite leaves the suite out', async () => {
    const r = await cli(['bench', '--steps', '1', '--learner-steps', '1', '--models', 'dense-d64', '--no-suite']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^learner_steps_per_s \(pronoun, batch \d+, 1 timed steps after 2 warm-up\):$/m);
    expect(r.out).toMatch(/^ {2}dense-d64: zero [\d.]+, mean [\d.]+, frozen-ln [\d.]+, stochastic [\d.]+, adversarial [\d.]+$/m);
    expect(r.out).not.toContain('suite_throughput');
  });

  // only while some zoo model has no checkpoint here (the v2 sparse models may still be training)
  const untrained = ZOO_IDS.find((id) => !existsSync(modelPath(id)));
  it.skipIf(!untrained)('a zoo model without a checkpoint is skipped and named, not an error', async () => {
    const r = await cli(['bench', '--json', '--steps', '1', '--learner-steps', '1', '--models', untrained!, '--no-suite']);
    expect(r.code, r.err).toBe(0);
    const report = LearnerBenchReport.loose().parse(JSON.parse(r.out));
    expect(report.learner_steps_per_s).toEqual({});
    expect(report.learner_bench.skipped).toEqual([{ model: untrained, reason: `not trained: no models/${untrained}.safetensors` }]);
    expect(JSON.parse(r.out)).not.toHaveProperty('suite_throughput');
  });

  it('an unknown model id is one line and a non-zero exit, before any timing', async () => {
    const r = await cli(['bench', '--models', 'dense-d64,nope']);
    expect(r.code).not.toBe(0);
    expect(r.out).toBe('');
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`faithbench: error: unknown model "nope": expected one of ${ZOO_IDS.join(', ')}`);
  });

  it('an unknown suite preset and a bad --learner-steps are one line each', async () => {
    const p = await cli(['bench', '--suite-preset', 'nope']);
    expect(p.code).not.toBe(0);
    expect(p.err.trim().split('\n')).toEqual([expect.stringMatching(/^faithbench: error: unknown preset "nope": expected one of tiny, /)]);
    const s = await cli(['bench', '--learner-steps', '0']);
    expect(s.code).not.toBe(0);
    expect(s.err.trim()).toBe('faithbench: error: --learner-steps must be a positive integer, got "0"');
  });
});
