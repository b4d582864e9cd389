// The one AdamW (torch.optim.AdamW's update, decoupled weight decay), used by the trainer, the
// mask learner and the bench: one fused kernel per variable on wasm, stock ops elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import { allFloat, fastKernelsEnabled, run } from './ops.ts';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** clamp p to [lo, hi] after the step (e.g. mask logits to [−1, 1]) */
  clamp?: [number, number];
}

/**
 * One AdamW step (decoupled weight decay, as torch.optim.AdamW):
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr·(m̂/(√v̂ + ε) + wd·p),
 * with m̂ = m/(1−β1^step), v̂ = v/(1−β2^step), then optionally p ← clamp(p, lo, hi).
 * Assigns p, m, v in place; `step` counts from 1. One fused kernel on wasm.
 */
export function adamwStep(p: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, step: number, o: AdamWOptions): void {
  const beta1 = o.beta1 ?? 0.9;
  const beta2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const weightDecay = o.weightDecay ?? 0.01;
  tf.tidy(() => {
    if (fastKernelsEnabled() && allFloat(p, g, m, v) && p.size === g.size) {
      const [clampMin, clampMax] = o.clamp ?? [-Infinity, Infinity];
      const [np, nm, nv] = run<tf.Tensor[]>('FaithAdamW', { p, g, m, v }, { lr: o.lr, beta1, beta2, eps, weightDecay, step, clampMin, clampMax });
      m.assign(nm);
      v.assign(nv);
      p.assign(np);
      return;
    }
    const mi = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
    const vi = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
    m.assign(mi);
    v.assign(vi);
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const upd = tf.add(tf.div(tf.div(mi, bc1), tf.add(tf.sqrt(tf.div(vi, bc2)), eps)), tf.mul(p, weightDecay));
    const next = tf.sub(p, tf.mul(upd, o.lr));
    p.assign(o.clamp ? tf.clipByValue(next, o.clamp[0], o.clamp[1]) : next);
  });
}

/**
 * AdamW over `vars` with torch's defaults (β 0.9/0.999, ε 1e-8, weight decay 0.01), one
 * fused kernel per variable; `clamp` bounds the variables after the step (torch: clamp_).
 */
export function makeAdamW(vars: tf.Variable[], lr: number, clamp?: [number, number]): ((grads: tf.Tensor[]) => void) & { dispose(): void } {
  const m = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  const s = vars.map((v) => tf.variable(tf.zerosLike(v), false));
  let t = 0;
  const step = (grads: tf.Tensor[]) => {
    t++;
    grads.forEach((g, i) => adamwStep(vars[i], g, m[i], s[i], t, { lr, clamp }));
  };
  return Object.assign(step, { dispose: () => [...m, ...s].forEach((v) => v.dispose()) });
}
