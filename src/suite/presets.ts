// Suite presets: which grid to run and how hard to look. Every setting here is part of
// each run's input hash (settings), so changing one re-runs what it affects.
import { z } from 'zod';

export const SuiteSettings = z.strictObject({
  preset: z.string(),
  /** discretisation target task loss (validation), verified on test */
  targetLoss: z.number().positive(),
  /** mask-learner option overrides (steps, batch size…); the learner's defaults otherwise (DESIGN §5) */
  learner: z.record(z.string(), z.unknown()),
  /** task prompts per split used by the checks (test) */
  testPrompts: z.number().int().positive(),
  /** size-grid points for loss-vs-size and MIB curves */
  gridPoints: z.number().int().positive(),
  /** R: size-matched random circuits per lifted check */
  randomDraws: z.number().int().positive(),
  /** minimality judges at most this many nodes per circuit (a seeded sample beyond) */
  minimalityNodes: z.number().int().positive(),
  /**
   * The nonsense control's node budgets, as shares of the model's nodes — the same for every
   * method (scoring v2 used 3·n*, which handed methods with larger circuits a larger budget).
   */
  nonsenseBudgets: z.array(z.number().gt(0).max(1)).min(1),
  /**
   * Run only these checks (by id): a report preset that measures one thing on many seeds. Its
   * runs have no overall (src/results/scoring.ts runOverall), so they never enter a leaderboard.
   */
  checks: z.array(z.string().min(1)).min(1).optional(),
  adversary: z.strictObject({
    /** most non-circuit nodes the adversary may restore, as a share of the model's nodes */
    budget: z.number().gt(0).max(1),
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

/** Every preset runs the reference baselines beside the methods: a score is only as good as the trivial method it defeats. */
const BASELINES = ['keep-all', 'random'];
const ALL_METHODS = ['zero', 'mean', 'frozen-ln', 'stochastic', 'adversarial', ...BASELINES];

export const PRESETS: Record<string, Preset> = {
  // for tests and CI: exercises every code path in seconds, measures nothing
  tiny: {
    methods: ['zero', ...BASELINES],
    models: ['dense-d64'],
    tasks: ['pronoun', 'ioi'],
    seeds: [0],
    settings: { preset: 'tiny', targetLoss: 0.15, learner: { steps: 40 }, testPrompts: 16, gridPoints: 4, randomDraws: 2, minimalityNodes: 8, nonsenseBudgets: [0.05], adversary: { budget: 0.005, restarts: 1, pgdSteps: 3, stepSize: 0.1, greedyFlips: 4, randomPatterns: 2 } },
  },
  // the README's main job: every method and both baselines on the small dense model
  smoke: {
    methods: ALL_METHODS,
    models: ['dense-d64'],
    tasks: ['pronoun', 'ioi'],
    seeds: [0, 1],
    settings: { preset: 'smoke', targetLoss: 0.15, learner: { steps: 300 }, testPrompts: 64, gridPoints: 8, randomDraws: 3, minimalityNodes: 48, nonsenseBudgets: [0.02, 0.05, 0.1, 0.2], adversary: { budget: 0.005, restarts: 2, pgdSteps: 8, stepSize: 0.1, greedyFlips: 16, randomPatterns: 4 } },
  },
  // the leaderboard's grid: the two tasks the seed's findings are about, 5 seeds, the dense model
  // and the d128 sparse one. sparse-d256 is cut here (it is in `paper`): on 2 cores one of its runs
  // costs ≈ 2.5 CPU-minutes, so its 70 runs alone would take ≈ 1.5 h with 2 workers.
  standard: {
    methods: ALL_METHODS,
    models: ['dense-d64', 'sparse-d128'],
    tasks: ['pronoun', 'ioi'],
    seeds: [0, 1, 2, 3, 4],
    settings: { preset: 'standard', targetLoss: 0.15, learner: { steps: 500 }, testPrompts: 96, gridPoints: 10, randomDraws: 8, minimalityNodes: 64, nonsenseBudgets: [0.02, 0.05, 0.1, 0.2], adversary: { budget: 0.005, restarts: 2, pgdSteps: 10, stepSize: 0.1, greedyFlips: 16, randomPatterns: 6 } },
  },
  // the standard grid on the corpus-v2 zoo: the seed's findings and Gao et al.'s size comparison
  // (weight-sparse vs dense at the same target loss) on models whose corpus has the "not name2" cue,
  // and on dense-d64-v3, the model imperfect on same-gender IOI from its corpus (v3).
  // Same effort as `standard`; sparse-d512-v2 is left out (one IOI circuit costs ≈ 5 CPU-minutes).
  'standard-v2': {
    methods: ALL_METHODS,
    models: ['dense-d64-v2', 'sparse-d128-v2', 'dense-d64-v3'],
    tasks: ['pronoun', 'ioi'],
    seeds: [0, 1, 2, 3, 4],
    settings: { preset: 'standard-v2', targetLoss: 0.15, learner: { steps: 500 }, testPrompts: 96, gridPoints: 10, randomDraws: 8, minimalityNodes: 64, nonsenseBudgets: [0.02, 0.05, 0.1, 0.2], adversary: { budget: 0.005, restarts: 2, pgdSteps: 10, stepSize: 0.1, greedyFlips: 16, randomPatterns: 6 } },
  },
  // the replication's bad-circuit figure (issue 10): the same-gender check alone, on 20 IOI seeds
  // per (method, model), on the models whose corpus gives the "not name2" cue: corpus v2's, and
  // dense-d64-v3, imperfect on same-gender prompts from its corpus (0.81, as the replication's model
  // was; sparse-d64-v2 is imperfect from capacity). `findings` reports each cell's bad-circuit share
  // with its binomial interval and the P_circ histogram.
  'bad-circuits': {
    methods: ALL_METHODS,
    models: ['dense-d64-v2', 'dense-d64-v3', 'sparse-d64-v2', 'sparse-d128-v2'],
    tasks: ['ioi'],
    seeds: Array.from({ length: 20 }, (_, i) => i),
    settings: { preset: 'bad-circuits', targetLoss: 0.15, learner: { steps: 500 }, testPrompts: 96, gridPoints: 10, randomDraws: 8, minimalityNodes: 64, nonsenseBudgets: [0.02, 0.05, 0.1, 0.2], checks: ['same-gender'], adversary: { budget: 0.005, restarts: 2, pgdSteps: 10, stepSize: 0.1, greedyFlips: 16, randomPatterns: 6 } },
  },
  // the full learner recipe (2000 steps), three tasks
  paper: {
    methods: ALL_METHODS,
    models: ['dense-d64', 'sparse-d128', 'sparse-d256'],
    tasks: ['pronoun', 'ioi', 'questions'],
    seeds: [0, 1, 2, 3, 4],
    settings: { preset: 'paper', targetLoss: 0.15, learner: {}, testPrompts: 256, gridPoints: 16, randomDraws: 8, minimalityNodes: 128, nonsenseBudgets: [0.02, 0.05, 0.1, 0.2], adversary: { budget: 0.005, restarts: 5, pgdSteps: 30, stepSize: 0.1, greedyFlips: 64, randomPatterns: 16 } },
  },
};
