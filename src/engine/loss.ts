// The language-model losses a training step differentiates, by name, so a worker thread
// (engine/data-parallel.ts) can be told which one to run.
import * as tf from '@tensorflow/tfjs-core';
import { forward, type ModelConfig, type Params } from './model.ts';
import { softmaxCrossEntropy } from './ops.ts';

/** Logits and targets with the batch and time axes flattened: [B·T, V] and [B·T]. */
function flatten(params: Params, cfg: ModelConfig, input: tf.Tensor2D, target: tf.Tensor2D): { logits: tf.Tensor2D; labels: tf.Tensor1D } {
  const { logits } = forward(params, cfg, input);
  const [B, T, V] = logits.shape;
  return { logits: tf.reshape(logits, [B * T, V]) as tf.Tensor2D, labels: tf.reshape(target, [B * T]) as tf.Tensor1D };
}

/** Next-token cross-entropy averaged over all positions (stock tfjs ops: the trainer's loss, kept so checkpoints reproduce). */
export function lmLoss(params: Params, cfg: ModelConfig, input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  const { logits, labels } = flatten(params, cfg, input, target);
  const logp = tf.logSoftmax(logits);
  const onehot = tf.oneHot(labels, logits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, onehot), -1))) as tf.Scalar;
}

/** The same loss through the fused cross-entropy kernel (the bench's train step; same value up to rounding). */
export function lmLossFused(params: Params, cfg: ModelConfig, input: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  const { logits, labels } = flatten(params, cfg, input, target);
  return tf.mean(softmaxCrossEntropy(logits, labels)) as tf.Scalar;
}

export const LOSSES = { lm: lmLoss, 'lm-fused': lmLossFused } as const;
export type LossName = keyof typeof LOSSES;
