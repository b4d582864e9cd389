// Task losses and metrics on last-position logits (DESIGN.md §4):
// full-ce = cross-entropy over the vocabulary; binary-ce = softplus(logit_foil − logit_target);
// P_correct = softmax over {target, foil} at the target; m = logit difference target − foil.
import * as tf from '@tensorflow/tfjs-core';
import type { LossKind, PromptBatch } from './define.ts';

export interface BatchTensors {
  ids: tf.Tensor2D; // [B, T]
  targets: tf.Tensor1D; // int32 [B]
  foils: tf.Tensor1D; // int32 [B]
  batch: number;
  length: number;
}

export function toTensors(b: PromptBatch): BatchTensors {
  return {
    ids: tf.tensor2d(b.ids, [b.batch, b.length], 'int32'),
    targets: tf.tensor1d(b.targets, 'int32'),
    foils: tf.tensor1d(b.foils, 'int32'),
    batch: b.batch,
    length: b.length,
  };
}

export function disposeBatch(b: BatchTensors): void {
  b.ids.dispose();
  b.targets.dispose();
  b.foils.dispose();
}

/** Pick logits[b, idx[b]] from [B, V] logits. */
function pick(logits: tf.Tensor2D, idx: tf.Tensor1D): tf.Tensor1D {
  const V = logits.shape[1];
  return tf.sum(tf.mul(logits, tf.oneHot(idx, V)), -1) as tf.Tensor1D;
}

/** Per-example task loss [B] from last-position logits [B, V]. */
export function perExampleLoss(logits: tf.Tensor2D, b: BatchTensors, kind: LossKind): tf.Tensor1D {
  if (kind === 'binary-ce') return tf.softplus(tf.sub(pick(logits, b.foils), pick(logits, b.targets))) as tf.Tensor1D;
  return tf.neg(pick(tf.logSoftmax(logits) as tf.Tensor2D, b.targets)) as tf.Tensor1D;
}

export function taskLoss(logits: tf.Tensor2D, b: BatchTensors, kind: LossKind): tf.Scalar {
  return tf.mean(perExampleLoss(logits, b, kind)) as tf.Scalar;
}

/** Logit difference target − foil per example. */
export function logitDiff(logits: tf.Tensor2D, b: BatchTensors): tf.Tensor1D {
  return tf.sub(pick(logits, b.targets), pick(logits, b.foils)) as tf.Tensor1D;
}

/** Binary P_correct per example: σ(logit_target − logit_foil). */
export function pCorrect(logits: tf.Tensor2D, b: BatchTensors): tf.Tensor1D {
  return tf.sigmoid(logitDiff(logits, b)) as tf.Tensor1D;
}

/** Probability of the target under the full softmax, per example. */
export function pTargetFull(logits: tf.Tensor2D, b: BatchTensors): tf.Tensor1D {
  return pick(tf.softmax(logits) as tf.Tensor2D, b.targets);
}
