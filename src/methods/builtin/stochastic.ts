import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineMethod } from '../registry.ts';
import { LearnerOptions } from '../learner.ts';


/**
 * Stochastic ablation: k = m + (1 − m)·r with r ~ Bernoulli(p) drawn per example and
 * node, fresh every step, plus the nominal (r = 0) term. A circuit must work whatever
 * subset of the other nodes is present, so it cannot rely on a cancellation among them.
 */
export default defineMethod({
  id: 'stochastic',
  kind: 'mask-learner',
  description: 'Ablate a random subset of non-kept nodes (each left intact with probability p, per example, fresh each step), plus the nominal all-ablated term.',
  options: LearnerOptions.extend({ p: z.number().min(0).max(1).default(0.5) }),
  scheme: (o) => ({
    ablation: 'zero',
    frozenNorms: false,
    trainingViews: (m, ctx) => {
      const random: Record<string, tf.Tensor> = {};
      for (const s of ctx.slots) {
        const seed = Math.floor(ctx.rng() * 2 ** 31);
        // r: [B, 1, width] so each example has its own pattern, shared across positions
        const r = tf.cast(tf.less(tf.randomUniform([ctx.batchSize, 1, s.width], 0, 1, 'float32', seed), o.p), 'float32');
        const mi = m[s.name];
        random[s.name] = tf.add(mi, tf.mul(tf.sub(1, mi), r));
      }
      return [random, m];
    },
  }),
});
