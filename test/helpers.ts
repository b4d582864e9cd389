import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend.ts';
import type { ModelConfig } from '../src/engine/model.ts';

export async function wasm(): Promise<void> {
  await initBackend('wasm');
}

export const TINY: ModelConfig = { vocabSize: 20, dModel: 16, nLayers: 2, nHeads: 2, dHead: 8, dMlp: 32, seqLen: 8, absTopK: null };

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export function randomIds(B: number, T: number, V: number, seed = 1): tf.Tensor2D {
  let s = seed;
  const a = new Int32Array(B * T).map(() => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % V;
  });
  return tf.tensor2d(a, [B, T], 'int32');
}
