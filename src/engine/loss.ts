// The language-model losses a training step differentiates, by name, so a worker thread
// (engine/data-parallel.ts) can be told which one to run.
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { forward, type ModelConfig, type Params } from './model.ts';
import { softmaxCrossEntropy } from './ops.ts';

/** Next-token cross-entropy averaged over all positions (stock tfjs ops: the trainer's loss, kept so checkpoints reproduce). */
export function lmLoss(params: Params, cfg: ModelConfig, input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  const { logits } = forward(params, cfg, input);
  const [B, T, V] = logits.shape;
  const flat = tf.reshape(logits, [B * T, V]) as tf.Tensor2D;
  const logp = tf.logSoftmax(flat);
  const onehot = tf.oneHot(tf.reshape(target, [B * T]) as tf.Tensor1D, V);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), -1))) as tf.Scalar;
}

/** The same loss through the fused cross-entropy kernel (the bench's train step; same value up to rounding). */
export function lmLossFused(params: Params, cfg: ModelConfig, input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  const { logits } = forward(params, cfg, input);
  const [B, T, V] = logits.shape;
  const flat = tf.reshape(logits, [B * T, V]);
  return tf.mean(softmaxCrossEntropy(flat, tf.reshape(target, [B * T]))) as tf.Scalar;
}

export const LossName = z.enum(['lm', 'lm-fused']);
export type LossName = z.infer<typeof LossName>;

export const LOSSES: Record<LossName, typeof lmLoss> = { lm: lmLoss, 'lm-fused': lmLossFused };
