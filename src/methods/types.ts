// What a pruning method is (DESIGN.md §5). Two kinds:
//  - 'mask-learner': an ablation scheme plugged into the shared mask learner
//    (Heaviside masks over per-node logits τ, STE backward, λ·Σm penalty, discretised by bisection);
//  - 'discover': a whole `discover(model, task, budget) → circuit` for other approaches.
// Methods are registered data (`defineMethod`); adding one touches no core file.
import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { LoadedModel } from '../engine/modelio.ts';
import type { SiteSlot } from '../engine/model.ts';
import type { Prompt, LossKind } from '../tasks/define.ts';

import type { AblationValue } from '../model/ablation.ts';
export type { AblationValue };

export interface SchemeContext {
  model: LoadedModel;
  slots: SiteSlot[];
  /** examples in this batch */
  batchSize: number;
  /** mask-learning step, from 0 */
  step: number;
  /** seeded uniform RNG for this run */
  rng: () => number;
  /**
   * The task loss (+ nothing else) for given keep coefficients per hook name, on this batch,
   * with the scheme's ablation values and norms. Differentiable. Schemes that search
   * (the adversary) call it to evaluate patterns.
   */
  lossWithKeep: (keep: Record<string, tf.Tensor>) => tf.Scalar;
}

/**
 * One ablation scheme: given the current hard masks m per hook name (differentiable
 * through the STE), the keep coefficients to train against. Each returned view is
 * run through the model; their task losses are summed.
 */
export interface AblationScheme {
  ablation: AblationValue;
  /** norms divide by the unpruned model's 1/RMS on the same input (frozen layer norm) */
  frozenNorms: boolean;
  trainingViews(masks: Record<string, tf.Tensor>, ctx: SchemeContext): Array<Record<string, tf.Tensor>>;
  /** called before each mask step (e.g. the adversary's ascent); masks are constants here */
  beforeStep?(masks: Record<string, tf.Tensor>, ctx: SchemeContext): void | Promise<void>;
  /** release any state (tf variables) */
  dispose?(): void;
}

export interface MethodCard {
  id: string;
  description: string;
  paperUrl?: string;
  /** a reference baseline (keep-all, random): shown as a reference row, never as a contender */
  baseline?: boolean;
}

export interface MaskLearnerMethod<O extends z.ZodTypeAny = z.ZodTypeAny> extends MethodCard {
  kind: 'mask-learner';
  options: O;
  scheme: (options: z.infer<O>) => AblationScheme;
}

/** What a method may know of its task: how it is scored, not what it is. */
export interface BlindTask {
  loss: LossKind;
}

export interface DiscoverBudget {
  /** target task loss for the circuit (default 0.15) */
  targetLoss: number;
  /** mask/search steps the method may take */
  steps: number;
  seed: number;
}

export interface DiscoveredCircuit {
  /** node ids in the circuit */
  nodes: string[];
  /** all node ids ranked most to least important (used for the size sweep and MIB curve) */
  ranking: string[];
  ablation: AblationValue;
  frozenNorms: boolean;
  /** the circuit's task loss as the method measured it */
  nominalLoss: number;
}

export interface DiscoverContext {
  trainPrompts: Prompt[];
  validationPrompts: Prompt[];
  /** evaluate the task loss on validation prompts with only `nodes` kept */
  circuitLoss: (nodes: readonly string[], ablation: AblationValue, frozenNorms: boolean) => Promise<number>;
  /**
   * The shared discretisation: the smallest prefix of `ranking` whose validation loss (every
   * other node ablated) meets the target, found by scan (DESIGN.md §5). `passed` is false
   * when not even the whole ranking meets it (then `nodes` is the whole ranking).
   */
  smallestPassingPrefix: (ranking: readonly string[], ablation: AblationValue, frozenNorms: boolean) => Promise<{ nodes: string[]; loss: number; passed: boolean }>;
  /** a seeded RNG for this run (the same seed gives the same circuit) */
  rng: () => number;
  log: (msg: string) => void;
}

export interface DiscoverMethod<O extends z.ZodTypeAny = z.ZodTypeAny> extends MethodCard {
  kind: 'discover';
  options: O;
  /**
   * The method sees the task only through its prompts and targets (and the loss kind): it is
   * never told which task it solves, so the nonsense control is blind.
   */
  discover: (model: LoadedModel, task: BlindTask, budget: DiscoverBudget, options: z.infer<O>, ctx: DiscoverContext) => Promise<DiscoveredCircuit> | DiscoveredCircuit;
}

export type Method = MaskLearnerMethod | DiscoverMethod;
