// Suite presets: which grid to run and how hard to look. Every setting here is part of
// each run's input hash (settings), so changing one re-runs what it affects.
import { z } from 'zod';

export const SuiteSettings = z.object({
  preset: z.string(),
  /** mask-learning steps for mask-learner methods (overrides the method default) */
  steps: z.number().int().positive(),
  /** task prompts per split used by the checks (test) */
  testPrompts: z.number().int().positive(),
  /** size-grid points for loss-vs-size, nonsense and MIB curves */
  gridPoints: z.number().int().positive(),
  adversary: z.object({
    restarts: z.number().int().positive(),
    pgdSteps: z.number().int().nonnegative(),
    stepSize: z.number().positive(),
    greedyFlips: z.number().int().nonnegative(),
    randomPatterns: z.number().int().positive(),
  }),
});
export type SuiteSettings = z.infer<typeof SuiteSettings>;

export interface Preset {
  methods: string[];
  models: string[];
  tasks: string[];
  seeds: number[];
  settings: SuiteSettings;
}

const ALL_METHODS = ['zero', 'mean', 'frozen-ln', 'stochastic', 'adversarial'];

export const PRESETS: Record<string, Preset> = {
  // for tests and CI on a tiny model: exercises every code path in seconds, measures nothing
  tiny: {
    methods: ['zero', 'stochastic'],
    models: ['dense-d64'],
    tasks: ['pronoun', 'ioi'],
    seeds: [0],
    settings: { preset: 'tiny', steps: 15, testPrompts: 16, gridPoints: 4, adversary: { restarts: 1, pgdSteps: 3, stepSize: 0.1, greedyFlips: 4, randomPatterns: 2 } },
  },
  // the README's main job: every method on the small dense model, fast
  smoke: {
    methods: ALL_METHODS,
    models: ['dense-d64'],
    tasks: ['pronoun', 'ioi'],
    seeds: [0, 1],
    settings: { preset: 'smoke', steps: 120, testPrompts: 64, gridPoints: 8, adversary: { restarts: 2, pgdSteps: 8, stepSize: 0.1, greedyFlips: 16, randomPatterns: 4 } },
  },
  // the leaderboard's grid: the two tasks the seed's findings are about, every model, 3 seeds;
  // sized to finish in about an hour on a 2-core machine with --workers 2
  standard: {
    methods: ALL_METHODS,
    models: ['dense-d64', 'sparse-d128', 'sparse-d256'],
    tasks: ['pronoun', 'ioi'],
    seeds: [0, 1, 2],
    settings: { preset: 'standard', steps: 200, testPrompts: 96, gridPoints: 10, adversary: { restarts: 2, pgdSteps: 10, stepSize: 0.1, greedyFlips: 16, randomPatterns: 6 } },
  },
  paper: {
    methods: ALL_METHODS,
    models: ['dense-d64', 'sparse-d128', 'sparse-d256'],
    tasks: ['pronoun', 'ioi', 'questions'],
    seeds: [0, 1, 2, 3, 4],
    settings: { preset: 'paper', steps: 600, testPrompts: 256, gridPoints: 16, adversary: { restarts: 5, pgdSteps: 30, stepSize: 0.1, greedyFlips: 64, randomPatterns: 16 } },
  },
};
