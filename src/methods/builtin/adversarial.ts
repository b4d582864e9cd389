import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineMethod } from '../registry.ts';
import { LearnerOptions } from '../learner.ts';
import { signPgdStep } from '../../adversary/index.ts';
import type { SchemeContext } from '../types.ts';

const AdversarialOptions = LearnerOptions.extend({
  /** sign-PGD step size for the adversary's pattern */
  stepSize: z.number().positive().default(0.1),
  /** adversary ascent steps before each mask step */
  pgdSteps: z.number().int().positive().default(1),
});

/**
 * Batch-level adversarial ablation: k = m + (1 − m)·a with ONE pattern a ∈ [0,1]^N for
 * the whole batch and all positions, chosen by persistent sign-PGD to maximise the task
 * loss; the mask minimises that loss plus the nominal term. One pattern per batch is the
 * point: a per-input adversary could break any circuit by fitting noise.
 */
export default defineMethod({
  id: 'adversarial',
  kind: 'mask-learner',
  description: 'Ablate the subset of non-kept nodes an adversary picks to maximise the loss: one relaxed pattern a ∈ [0,1]^N shared by the batch, updated by persistent sign-PGD; masks minimise that loss plus the nominal term.',
  options: AdversarialOptions,
  scheme: (o) => {
    let a: tf.Variable | undefined; // flat [N], persistent across steps
    const split = (flat: tf.Tensor, ctx: SchemeContext) =>
      Object.fromEntries(ctx.slots.map((s) => [s.name, tf.slice(flat, [s.offset], [s.width])]));
    const keepWith = (m: Record<string, tf.Tensor>, aFlat: tf.Tensor, ctx: SchemeContext) => {
      const parts = split(aFlat, ctx);
      return Object.fromEntries(ctx.slots.map((s) => [s.name, tf.add(m[s.name], tf.mul(tf.sub(1, m[s.name]), parts[s.name]))]));
    };
    return {
      ablation: 'zero',
      frozenNorms: false,
      async beforeStep(m, ctx) {
        if (!a) {
          const n = ctx.slots.reduce((acc, s) => acc + s.width, 0);
          a = tf.variable(tf.tensor1d(Float32Array.from({ length: n }, () => ctx.rng())), true, `adv_a_${Math.floor(ctx.rng() * 1e9)}`);
        }
        for (let i = 0; i < o.pgdSteps; i++) await signPgdStep(a, (x) => ctx.lossWithKeep(keepWith(m, x, ctx)), o.stepSize);
      },
      trainingViews(m, ctx) {
        return [keepWith(m, a!, ctx), m];
      },
      dispose() {
        a?.dispose();
        a = undefined;
      },
    };
  },
});
