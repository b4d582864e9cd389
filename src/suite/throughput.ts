// Suite throughput for `faithbench bench`: a preset's grid run through the real suite code
// (planSuite + runSuite, one worker, in-process as `suite --workers 1` runs), into a fresh
// temporary results folder and a fresh circuit cache, so nothing learned before is reused.
// Mean activations (μ, once per model and machine, cached for good) are prepared before the
// clock starts, as are the models: the figure is the steady-state cost of a run.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { PRESETS } from './presets.ts';
import { planSuite, runSuite } from './suite.ts';
import { cachedModel } from './run.ts';
import { prepareMeans } from '../model/means.ts';
import { loadFilterModel } from '../tasks/prompts.ts';
import { UserError } from '../util/errors.ts';

export const SuiteThroughput = z.strictObject({
  preset: z.string(),
  grid: z.strictObject({ methods: z.array(z.string()), models: z.array(z.string()), tasks: z.array(z.string()), seeds: z.array(z.number().int()) }),
  /** the preset's learner overrides (e.g. { steps: 40 }) */
  learner: z.record(z.string(), z.unknown()),
  workers: z.literal(1),
  /** suite runs completed: one (method, model, task, seed) circuit with every check each */
  runs: z.number().int().positive(),
  /** circuits the runs learned (the blind nonsense-control circuits included) */
  circuits_learned: z.number().int().nonnegative(),
  wall_s: z.number().positive().finite(),
  /** runs per hour of wall time on one worker */
  circuits_per_hour_per_worker: z.number().positive().finite(),
});
export type SuiteThroughput = z.infer<typeof SuiteThroughput>;

export function checkSuitePreset(name: string): void {
  if (!PRESETS[name]) throw new UserError(`unknown preset "${name}": expected one of ${Object.keys(PRESETS).join(', ')}`);
}

export async function measureSuiteThroughput(presetName: string): Promise<SuiteThroughput> {
  checkSuitePreset(presetName);
  const preset = PRESETS[presetName];
  const grid = { methods: preset.methods, models: preset.models, tasks: preset.tasks, seeds: preset.seeds };
  const root = mkdtempSync(join(tmpdir(), 'faithbench-throughput-'));
  const cacheDir = join(root, 'circuits');
  try {
    loadFilterModel();
    for (const m of grid.models) await prepareMeans(cachedModel(m));
    const plan = (await planSuite(grid, preset.settings, join(root, 'results'))).map((r) => ({ ...r, spec: { ...r.spec, circuitCacheDir: cacheDir } }));
    const t0 = performance.now();
    const res = await runSuite(plan, 1);
    const wall = (performance.now() - t0) / 1000;
    if (res.cached !== 0 || res.ran !== plan.length) throw new Error(`internal: the throughput run reused results (${res.cached} cached, ${res.ran} of ${plan.length} ran)`);
    return {
      preset: presetName,
      grid,
      learner: preset.settings.learner,
      workers: 1,
      runs: res.ran,
      circuits_learned: readdirSync(cacheDir).filter((f) => f.endsWith('.json')).length,
      wall_s: round(wall),
      circuits_per_hour_per_worker: round((3600 * res.ran) / wall),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const round = (x: number) => Number(x.toPrecision(4));
