// The fast wasm kernels (src/engine/wasm-kernels.ts, used through src/engine/ops.ts):
// every gradient against central finite differences, every value against the stock
// tfjs ops (the reference implementations in ops.ts), and determinism.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/engine/backend.ts';
import {
  linear, linear3d, linearReference, bmm, matMul, causalAttention, causalAttentionReference, heaviside, heavisideReference,
  absTopK, gelu, geluReference, softmaxCrossEntropy, softmaxCrossEntropyReference, embedding, splitLastAxis,
  rmsNorm, rmsNormReference, maskSite, maskSiteReference, useFastKernels, fastKernelsEnabled,
} from '../src/engine/ops.ts';
import { adamwStep } from '../src/engine/optim.ts';
import { assemble, getFastKernels } from '../src/engine/wasm-kernels.ts';
import { forward, initParams, namedParams, siteSlots, type ModelConfig } from '../src/engine/model.ts';

beforeAll(async () => {
  await initBackend('wasm');
  useFastKernels(true);
});

// ───────────────────────────── helpers ─────────────────────────────

/** deterministic pseudo-random floats in [-s, s] */
function rand(shape: number[], seed: number, s = 1): tf.Tensor {
  let x = seed * 7919 + 17;
  const n = shape.reduce((a, b) => a * b, 1);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = ((x / 2147483648) * 2 - 1) * s;
  }
  return tf.tensor(a, shape);
}

function ints(shape: number[], n: number, seed: number): tf.Tensor {
  let x = seed * 104729 + 3;
  const size = shape.reduce((a, b) => a * b, 1);
  const a = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = x % n;
  }
  return tf.tensor(a, shape, 'int32');
}

function maxAbs(a: tf.Tensor | Float32Array, b: tf.Tensor | Float32Array): number {
  const x = a instanceof Float32Array ? a : (a.dataSync() as Float32Array);
  const y = b instanceof Float32Array ? b : (b.dataSync() as Float32Array);
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** max |a − b| relative to max |b| */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  const y = b.dataSync() as Float32Array;
  let s = 0;
  for (const v of y) s = Math.max(s, Math.abs(v));
  return maxAbs(a, b) / Math.max(s, 1e-12);
}

/**
 * Check d f / d inputs[which] (analytic, through tf.grads) against central finite differences
 * on `samples` coordinates. f must be smooth near the inputs. float32: eps ≈ 1e-2.
 */
function checkGrad(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], which: number, opts: { eps?: number; samples?: number; tol?: number } = {}): void {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 2e-2;
  const g = tf.tidy(() => tf.grads((...xs: tf.Tensor[]) => f(...xs))(inputs)[which].dataSync() as Float32Array);
  const x0 = inputs[which].dataSync() as Float32Array;
  const n = x0.length;
  const samples = Math.min(n, opts.samples ?? 24);
  let gmax = 0;
  for (const v of g) gmax = Math.max(gmax, Math.abs(v));
  for (let s = 0; s < samples; s++) {
    const i = samples === n ? s : Math.floor(((s + 0.5) / samples) * n);
    const at = (d: number) =>
      tf.tidy(() => {
        const xp = Float32Array.from(x0);
        xp[i] += d;
        const xs = inputs.slice();
        xs[which] = tf.tensor(xp, inputs[which].shape);
        return f(...xs).dataSync()[0];
      });
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    const err = Math.abs(fd - g[i]);
    if (err > tol * Math.max(1, gmax)) {
      throw new Error(`gradient mismatch at ${i}: analytic ${g[i]}, finite difference ${fd} (|g|max ${gmax})`);
    }
  }
}

/** a fixed random weighting, so Σ w·y probes every output */
const weighted = (y: tf.Tensor, seed: number) => tf.sum(tf.mul(y, rand(y.shape, seed))) as tf.Scalar;

/** run fn with the fast kernels off (stock tfjs ops) */
function reference<T>(fn: () => T): T {
  const prev = useFastKernels(false);
  try {
    return fn();
  } finally {
    useFastKernels(prev);
  }
}

// ───────────────────────────── tests ─────────────────────────────

describe('wasm kernel module', () => {
  it('is active on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(fastKernelsEnabled()).toBe(true);
    expect(typeof getFastKernels().fma).toBe('boolean');
  });

  it('the assembler rejects unknown instructions and locals', () => {
    expect(() => assemble([{ name: 'f', params: [], body: 'i32.frobnicate' }])).toThrow(/unknown instruction/);
    expect(() => assemble([{ name: 'f', params: [], body: 'local.get $nope drop' }])).toThrow(/unknown local/);
    const ok = assemble([{ name: 'f', params: [['$a', 'i32']], result: 'i32', body: 'local.get $a i32.const 1 i32.add' }]);
    expect(WebAssembly.validate(ok)).toBe(true);
  });
});

describe('matMul (FaithMatMul)', () => {
  const shapes: Array<[number, number, number]> = [[1, 1, 1], [5, 7, 13], [33, 17, 9], [64, 40, 24], [4, 300, 8]];
  for (const [M, K, N] of shapes) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        it(`${M}×${K}×${N} transposeA=${tA} transposeB=${tB} equals tf.matMul`, () => {
          const a = rand(tA ? [K, M] : [M, K], 1);
          const b = rand(tB ? [N, K] : [K, N], 2);
          const want = tf.matMul(a, b, tA, tB);
          expect(maxAbs(matMul(a, b, tA, tB), want)).toBeLessThan(1e-5 * Math.sqrt(K) + 1e-6);
        });
      }
    }
  }

  it('a product too large for one packed block (K blocking) equals tf.matMul', () => {
    const a = rand([70, 1500], 3);
    const b = rand([1500, 130], 4);
    expect(relErr(matMul(a, b), tf.matMul(a, b))).toBeLessThan(1e-5);
  });

  it('K and N blocking with a bias (several packed blocks each way) equals tf.matMul + bias', () => {
    const x = rand([9, 700], 22) as tf.Tensor2D;
    const w = rand([700, 601], 23) as tf.Tensor2D;
    const b = rand([601], 24) as tf.Tensor1D;
    expect(relErr(linear(x, w, b), tf.add(tf.matMul(x, w), b))).toBeLessThan(1e-5);
    const wt = rand([601, 700], 25);
    expect(relErr(matMul(x, wt, false, true), tf.matMul(x, wt, false, true))).toBeLessThan(1e-5);
  });

  it('batched (3-D, and 3-D × 2-D broadcast) equals tf.matMul', () => {
    const a = rand([6, 9, 5], 5);
    const b = rand([6, 5, 11], 6);
    expect(maxAbs(bmm(a as tf.Tensor3D, b as tf.Tensor3D), tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D))).toBeLessThan(1e-5);
    const w = rand([5, 11], 7);
    expect(maxAbs(matMul(a, w), tf.matMul(a as tf.Tensor3D, tf.broadcastTo(w, [6, 5, 11]) as tf.Tensor3D))).toBeLessThan(1e-5);
    const at = rand([6, 5, 9], 8);
    const bt = rand([6, 11, 5], 9);
    expect(maxAbs(matMul(at, bt, true, true), tf.matMul(at as tf.Tensor3D, bt as tf.Tensor3D, true, true))).toBeLessThan(1e-5);
  });

  it('linear with bias equals the reference; value and gradients', () => {
    const x = rand([13, 6], 10) as tf.Tensor2D;
    const w = rand([6, 11], 11) as tf.Tensor2D;
    const b = rand([11], 12) as tf.Tensor1D;
    expect(maxAbs(linear(x, w, b), linearReference(x, w, b))).toBeLessThan(1e-5);
    const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => weighted(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), 13);
    for (const which of [0, 1, 2]) checkGrad(f, [x, w, b], which);
    const fast = tf.grads(f)([x, w, b]);
    const ref = reference(() => tf.grads(f)([x, w, b]));
    fast.forEach((g, i) => expect(relErr(g, ref[i])).toBeLessThan(1e-5));
  });

  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`gradients with transposeA=${tA} transposeB=${tB} match finite differences`, () => {
      const a = rand(tA ? [5, 4] : [4, 5], 14);
      const b = rand(tB ? [7, 5] : [5, 7], 15);
      const f = (aa: tf.Tensor, bb: tf.Tensor) => weighted(matMul(aa, bb, tA, tB), 16);
      checkGrad(f, [a, b], 0, { samples: 20 });
      checkGrad(f, [a, b], 1, { samples: 35 });
    });
  }

  it('linear3d with bias equals the reference; gradients (weight over all rows) match', () => {
    const x = rand([3, 5, 6], 29) as tf.Tensor3D;
    const w = rand([6, 7], 30) as tf.Tensor2D;
    const b = rand([7], 31) as tf.Tensor1D;
    const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => weighted(linear3d(xx as tf.Tensor3D, ww as tf.Tensor2D, bb as tf.Tensor1D), 32);
    expect(maxAbs(linear3d(x, w, b), reference(() => linear3d(x, w, b)))).toBeLessThan(1e-5);
    for (const which of [0, 1, 2]) checkGrad(f, [x, w, b], which, { samples: 30 });
    const fast = tf.grads(f)([x, w, b]);
    const ref = reference(() => tf.grads(f)([x, w, b]));
    fast.forEach((g, i) => expect(relErr(g, ref[i])).toBeLessThan(1e-5));
  });

  it('3-D × 2-D (a weight shared over the batch) gradients match finite differences', () => {
    const a = rand([3, 4, 5], 26);
    const w = rand([5, 6], 27);
    const f = (aa: tf.Tensor, ww: tf.Tensor) => weighted(matMul(aa, ww), 28);
    checkGrad(f, [a, w], 0);
    checkGrad(f, [a, w], 1, { samples: 30 });
  });

  it('batched gradients (bmm) match finite differences', () => {
    const a = rand([3, 4, 5], 17);
    const b = rand([3, 5, 6], 18);
    const f = (aa: tf.Tensor, bb: tf.Tensor) => weighted(bmm(aa as tf.Tensor3D, bb as tf.Tensor3D), 19);
    checkGrad(f, [a, b], 0);
    checkGrad(f, [a, b], 1);
  });

  it('a frozen weight gets no gradient computed (lazy per-input gradients)', () => {
    const x = tf.variable(rand([8, 4], 20), true, 'ops_test_x');
    const w = rand([4, 3], 21) as tf.Tensor2D;
    let calls = 0;
    const kernel = tf.getKernel('FaithMatMul', 'wasm')!;
    tf.unregisterKernel('FaithMatMul', 'wasm');
    tf.registerKernel({ ...kernel, kernelFunc: (args) => { calls++; return kernel.kernelFunc(args); } });
    try {
      tf.variableGrads(() => tf.sum(linear(x as unknown as tf.Tensor2D, w)) as tf.Scalar, [x]);
    } finally {
      tf.unregisterKernel('FaithMatMul', 'wasm');
      tf.registerKernel(kernel);
      x.dispose();
    }
    expect(calls).toBe(2); // forward and dx; never dw
  });
});

describe('causal attention (FaithAttention)', () => {
  for (const [B, T, H, dh] of [[2, 5, 2, 3], [3, 12, 4, 8], [1, 9, 1, 16]] as const) {
    it(`B=${B} T=${T} H=${H} dh=${dh}: z and pattern equal the stock-op reference`, () => {
      const q = rand([B, T, H * dh], 30) as tf.Tensor3D;
      const k = rand([B, T, H * dh], 31) as tf.Tensor3D;
      const v = rand([B, T, H * dh], 32) as tf.Tensor3D;
      const fast = causalAttention(q, k, v, H);
      const ref = causalAttentionReference(q, k, v, H);
      expect(maxAbs(fast.z, ref.z)).toBeLessThan(1e-5);
      expect(maxAbs(fast.pattern, ref.pattern)).toBeLessThan(1e-6);
      // causal: nothing above the diagonal, rows sum to 1
      const p = fast.pattern.arraySync();
      for (const row of p[0][0].slice(0, 3)) expect(row.reduce((a, c) => a + c, 0)).toBeCloseTo(1, 5);
      expect(p[0][0][0].slice(1).every((x) => x === 0)).toBe(true);
    });
  }

  for (const [Tq, T] of [[1, 7], [3, 7]] as const) {
    it(`queries for the last ${Tq} of ${T} positions equal the matching rows of full attention; gradients`, () => {
      const [B, H, dh] = [2, 2, 3];
      const qFull = rand([B, T, H * dh], 38) as tf.Tensor3D;
      const k = rand([B, T, H * dh], 39) as tf.Tensor3D;
      const v = rand([B, T, H * dh], 40) as tf.Tensor3D;
      const q = tf.slice(qFull, [0, T - Tq, 0], [B, Tq, H * dh]) as tf.Tensor3D;
      const full = causalAttention(qFull, k, v, H);
      const part = causalAttention(q, k, v, H);
      expect(maxAbs(part.z, tf.slice(full.z, [0, T - Tq, 0], [B, Tq, H * dh]))).toBeLessThan(1e-6);
      expect(maxAbs(part.pattern, tf.slice(full.pattern, [0, 0, T - Tq, 0], [B, H, Tq, T]))).toBeLessThan(1e-6);
      const ref = causalAttentionReference(q, k, v, H);
      expect(maxAbs(part.z, ref.z)).toBeLessThan(1e-5);
      expect(maxAbs(part.pattern, ref.pattern)).toBeLessThan(1e-6);
      const f = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => {
        const o = causalAttention(qq as tf.Tensor3D, kk as tf.Tensor3D, vv as tf.Tensor3D, H);
        return tf.add(weighted(o.z, 41), weighted(o.pattern, 42)) as tf.Scalar;
      };
      for (const which of [0, 1, 2]) checkGrad(f, [q, k, v], which, { samples: 20 });
    });
  }

  it('gradients wrt q, k, v (through z and through the pattern) match finite differences', () => {
    const [B, T, H, dh] = [2, 5, 2, 3];
    const q = rand([B, T, H * dh], 33);
    const k = rand([B, T, H * dh], 34);
    const v = rand([B, T, H * dh], 35);
    const f = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => {
      const { z, pattern } = causalAttention(qq as tf.Tensor3D, kk as tf.Tensor3D, vv as tf.Tensor3D, H);
      return tf.add(weighted(z, 36), weighted(pattern, 37)) as tf.Scalar;
    };
    for (const which of [0, 1, 2]) checkGrad(f, [q, k, v], which, { samples: 30 });
    const fast = tf.grads(f)([q, k, v]);
    const ref = reference(() => tf.grads(f)([q, k, v]));
    fast.forEach((g, i) => expect(relErr(g, ref[i])).toBeLessThan(1e-4));
  });
});

describe('element-wise kernels', () => {
  it('gelu equals the tanh-form reference over a wide range, gradient matches', () => {
    const x = tf.linspace(-12, 12, 4001);
    expect(maxAbs(gelu(x), geluReference(x))).toBeLessThan(2e-6 * 12);
    const xs = rand([3, 7], 40, 3);
    checkGrad((t) => weighted(gelu(t), 41), [xs], 0, { samples: 21 });
    const gf = tf.grad((t: tf.Tensor) => weighted(gelu(t), 42))(x);
    const gr = reference(() => tf.grad((t: tf.Tensor) => weighted(gelu(t), 42))(x));
    expect(maxAbs(gf, gr)).toBeLessThan(1e-5);
  });

  for (const T of [1, 0.5]) {
    it(`heaviside: H(τ) forward, surrogate gradient σ'(τ/T)/T with T = ${T}`, () => {
      const tau = tf.tensor1d([-1, -0.3, -1e-7, 0, 1e-7, 0.2, 0.9, 5, -5]);
      expect(Array.from(heaviside(tau, T).dataSync())).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 0]);
      const w = rand([9], 43);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(heaviside(t, T), w)))(tau).dataSync();
      const tv = tau.dataSync();
      const wv = w.dataSync();
      for (let i = 0; i < 9; i++) {
        const s = 1 / (1 + Math.exp(-tv[i] / T));
        expect(g[i]).toBeCloseTo((wv[i] * s * (1 - s)) / T, 6);
      }
      const gr = reference(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(heavisideReference(t, T), w)))(tau));
      expect(maxAbs(tf.tensor(g), gr)).toBeLessThan(1e-6);
    });
  }

  it('absTopK keeps the k largest |x| per row and passes gradient only through them', () => {
    const x = tf.tensor2d([[0.1, -3, 2, 0.5, -0.2], [4, 0.3, -0.1, -5, 1]]);
    const y = absTopK(x, 2);
    expect(Array.from(y.dataSync(), (v) => v + 0)).toEqual([0, -3, 2, 0, 0, 4, 0, 0, -5, 0]);
    const w = rand([2, 5], 44);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(absTopK(t, 2), w)))(x);
    const kept = tf.cast(tf.notEqual(y, 0), 'float32');
    expect(maxAbs(g, tf.mul(w, kept))).toBe(0);
    // finite differences agree where the selection is stable
    checkGrad((t) => weighted(absTopK(t, 2), 45), [x], 0, { eps: 1e-3, samples: 10 });
  });

  it('rmsNorm equals the reference; gradients wrt x and the gain', () => {
    const x = rand([3, 4, 10], 50, 2);
    const g = rand([10], 51);
    const eps = 1e-5;
    const fast = rmsNorm(x, g, eps);
    const ref = rmsNormReference(x, g, eps);
    expect(relErr(fast.y, ref.y)).toBeLessThan(1e-6);
    expect(relErr(fast.scale, ref.scale)).toBeLessThan(1e-6);
    expect(fast.scale.shape).toEqual([3, 4, 1]);
    const f = (xx: tf.Tensor, gg: tf.Tensor) => {
      const { y, scale } = rmsNorm(xx, gg, eps);
      return tf.add(weighted(y, 52), weighted(scale, 53)) as tf.Scalar;
    };
    checkGrad(f, [x, g], 0, { samples: 30 });
    checkGrad(f, [x, g], 1);
    const gf = tf.grads(f)([x, g]);
    const gr = reference(() => tf.grads(f)([x, g]));
    gf.forEach((t, i) => expect(relErr(t, gr[i])).toBeLessThan(1e-5));
  });

  for (const withMu of [false, true]) {
    it(`maskSite ${withMu ? 'μ + k·(x − μ)' : 'k·x'} equals the reference; gradients wrt x, k${withMu ? ', μ' : ''}`, () => {
      const x = rand([2, 3, 7], 60);
      const k = rand([7], 61);
      const mu = rand([7], 62);
      expect(maxAbs(maskSite(x, k, withMu ? mu : undefined), maskSiteReference(x, k, withMu ? mu : undefined))).toBeLessThan(1e-6);
      if (withMu) {
        const f = (xx: tf.Tensor, kk: tf.Tensor, mm: tf.Tensor) => weighted(maskSite(xx, kk, mm), 63);
        for (const which of [0, 1, 2]) checkGrad(f, [x, k, mu], which);
      } else {
        const f = (xx: tf.Tensor, kk: tf.Tensor) => weighted(maskSite(xx, kk), 63);
        for (const which of [0, 1]) checkGrad(f, [x, k], which);
      }
      // a per-example keep ([B, 1, width]) takes the stock path and still works
      const kb = rand([2, 1, 7], 64);
      expect(maxAbs(maskSite(x, kb), tf.mul(kb, x))).toBeLessThan(1e-6);
    });
  }
});

describe('gather, scatter and splitting', () => {
  it('embedding equals tf.gather; its gradient sums repeated rows', () => {
    const table = rand([11, 6], 70);
    const ids = tf.tensor2d([[1, 4, 1], [10, 0, 4]], [2, 3], 'int32');
    expect(maxAbs(embedding(table as tf.Tensor2D, ids), tf.gather(table, ids))).toBe(0);
    checkGrad((t) => weighted(embedding(t as tf.Tensor2D, ids), 71), [table], 0, { samples: 66 });
    expect(() => embedding(table as tf.Tensor2D, tf.tensor1d([11], 'int32'))).toThrow(/not in \[0, 10\]/);
  });

  it("UnsortedSegmentSum (tf.gather's gradient on stock ops) matches finite differences", () => {
    const table = rand([7, 5], 72);
    const ids = tf.tensor1d([3, 0, 3, 6, 3], 'int32');
    checkGrad((t) => weighted(tf.gather(t, ids), 73), [table], 0, { samples: 35 });
    const direct = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([2, 0, 2], 'int32'), 4);
    expect(direct.arraySync()).toEqual([[3, 4], [0, 0], [6, 8], [0, 0]]);
  });

  it('splitLastAxis equals tf.split; gradient of a partly used split', () => {
    const x = rand([2, 3, 9], 74);
    const parts = splitLastAxis(x, [3, 3, 3]);
    const want = tf.split(x, 3, -1);
    parts.forEach((p, i) => expect(maxAbs(p, want[i])).toBe(0));
    checkGrad((t) => weighted(splitLastAxis(t, [2, 5, 2])[1], 75), [x], 0, { samples: 54 });
  });

  it('a cloned tensor outlives its source (zero-copy Identity keeps reference counts right)', () => {
    const a = rand([4, 4], 76);
    const want = Float32Array.from(a.dataSync());
    const b = tf.clone(a);
    a.dispose();
    expect(maxAbs(b, want)).toBe(0);
  });
});

describe('losses and optimizer', () => {
  it('softmaxCrossEntropy equals log-softmax·one-hot; gradient matches', () => {
    const logits = rand([6, 13], 80, 3);
    const labels = tf.tensor1d([0, 12, 5, 5, 7, 1], 'int32');
    expect(maxAbs(softmaxCrossEntropy(logits, labels), softmaxCrossEntropyReference(logits, labels))).toBeLessThan(2e-6);
    checkGrad((t) => weighted(softmaxCrossEntropy(t, labels), 81), [logits], 0, { samples: 40 });
    // extreme logits stay finite
    const big = tf.tensor2d([[1000, -1000, 0], [-80, 80, 3]]);
    const l = softmaxCrossEntropy(big, tf.tensor1d([1, 1], 'int32')).dataSync();
    expect(l[0]).toBeCloseTo(2000, 2);
    expect(l[1]).toBeCloseTo(0, 5);
  });

  for (const clamp of [undefined, [-0.3, 0.2]] as const) {
  it(`adamwStep (one fused kernel) equals the op-by-op AdamW over several steps${clamp ? ', clamped' : ''}`, () => {
    const run = (fast: boolean) => {
      const prev = useFastKernels(fast);
      const p = tf.variable(rand([37], 90), true, `adam_p_${fast}_${clamp ? 'c' : 'n'}`);
      const m = tf.variable(tf.zeros([37]), false, `adam_m_${fast}_${clamp ? 'c' : 'n'}`);
      const v = tf.variable(tf.zeros([37]), false, `adam_v_${fast}_${clamp ? 'c' : 'n'}`);
      for (let t = 1; t <= 4; t++) adamwStep(p, rand([37], 90 + t), m, v, t, { lr: 0.1, weightDecay: 0.1, clamp: clamp ? [clamp[0], clamp[1]] : undefined });
      useFastKernels(prev);
      const out = [p, m, v].map((x) => Float32Array.from(x.dataSync()));
      [p, m, v].forEach((x) => x.dispose());
      return out;
    };
    const a = run(true);
    const b = run(false);
    a.forEach((x, i) => expect(maxAbs(x, b[i])).toBeLessThan(1e-6));
    if (clamp) expect(a[0].every((x) => x >= Math.fround(clamp[0]) && x <= Math.fround(clamp[1]))).toBe(true);
  });
  }
});

describe('whole model', () => {
  const cfg: ModelConfig = { vocabSize: 37, dModel: 16, nLayers: 2, nHeads: 2, dHead: 8, dMlp: 36, seqLen: 9, absTopK: null };

  function lossAndGrads(p: ReturnType<typeof initParams>, ids: tf.Tensor2D, labels: tf.Tensor1D) {
    const vars = namedParams(p).map(([, v]) => v);
    const slots = siteSlots(cfg);
    const keep: Record<string, tf.Tensor> = {};
    const ablation: Record<string, tf.Tensor> = {};
    slots.forEach((s, i) => {
      keep[s.name] = tf.add(0.5, rand([s.width], 100 + i, 0.5));
      ablation[s.name] = rand([s.width], 200 + i, 0.1);
    });
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(p, cfg, ids, { keep, ablation });
      return tf.mean(softmaxCrossEntropy(tf.reshape(logits, [-1, cfg.vocabSize]), labels)) as tf.Scalar;
    }, vars);
    return { loss: value.dataSync()[0], grads: vars.map((v) => Float32Array.from(grads[v.name].dataSync())) };
  }

  it('forward, loss and every parameter gradient equal the stock-op path', () => {
    const p = initParams(cfg, 11);
    const ids = ints([3, 9], cfg.vocabSize, 1) as tf.Tensor2D;
    const labels = ints([27], cfg.vocabSize, 2) as tf.Tensor1D;
    const fast = lossAndGrads(p, ids, labels);
    const ref = reference(() => lossAndGrads(p, ids, labels));
    expect(Math.abs(fast.loss - ref.loss)).toBeLessThan(1e-5);
    fast.grads.forEach((g, i) => {
      let s = 0;
      for (const v of ref.grads[i]) s = Math.max(s, Math.abs(v));
      expect(maxAbs(g, ref.grads[i]) / Math.max(s, 1e-8)).toBeLessThan(1e-4);
    });
    // cached activations and patterns agree too
    const a = forward(p, cfg, ids, { cache: true });
    const b = reference(() => forward(p, cfg, ids, { cache: true }));
    expect(relErr(a.logits, b.logits)).toBeLessThan(1e-5);
    a.cache!.attn.forEach((t, l) => expect(maxAbs(t, b.cache!.attn[l])).toBeLessThan(1e-6));
    for (const name of Object.keys(b.cache!.acts)) expect(relErr(a.cache!.acts[name], b.cache!.acts[name])).toBeLessThan(1e-5);
    for (const name of Object.keys(b.cache!.normScales)) expect(relErr(a.cache!.normScales[name], b.cache!.normScales[name])).toBeLessThan(1e-6);
  });

  it('lastPositionOnly (last layer on the last row only) equals the last row of the full forward, hooks and frozen norms included', () => {
    const p = initParams(cfg, 13);
    const ids = ints([3, 9], cfg.vocabSize, 5) as tf.Tensor2D;
    const keep: Record<string, tf.Tensor> = {};
    const ablation: Record<string, tf.Tensor> = {};
    siteSlots(cfg).forEach((s, i) => {
      keep[s.name] = i % 3 === 0 ? tf.add(0.5, rand([3, 1, s.width], 300 + i, 0.5)) : tf.add(0.5, rand([s.width], 300 + i, 0.5));
      ablation[s.name] = rand([s.width], 400 + i, 0.1);
    });
    const full = forward(p, cfg, ids, { keep, ablation, cache: true });
    const lastRow = (t: tf.Tensor) => tf.slice(t, [0, 8, 0], [3, 1, cfg.vocabSize]);
    for (const normScales of [undefined, full.cache!.normScales]) {
      const last = forward(p, cfg, ids, { keep, ablation, normScales, lastPositionOnly: true }).logits;
      expect(last.shape).toEqual([3, 1, cfg.vocabSize]);
      expect(maxAbs(last, lastRow(full.logits))).toBeLessThan(1e-5);
    }
    // the gradient to the keep coefficients is the same too
    const k0 = tf.variable(tf.add(0.5, rand([cfg.dMlp], 500, 0.5)) as tf.Tensor, true, 'ops_test_k_last');
    const lossOf = (lastPositionOnly: boolean) =>
      tf.variableGrads(() => {
        const out = forward(p, cfg, ids, { keep: { ...keep, 'L1.mlp_neuron': k0 }, ablation, lastPositionOnly }).logits;
        return weighted(lastPositionOnly ? out : lastRow(out), 501);
      }, [k0]).grads[k0.name];
    expect(relErr(lossOf(true), lossOf(false))).toBeLessThan(1e-5);
    k0.dispose();
  });

  it('is deterministic: the same seed gives bit-identical losses and gradients', () => {
    const ids = ints([3, 9], cfg.vocabSize, 3) as tf.Tensor2D;
    const labels = ints([27], cfg.vocabSize, 4) as tf.Tensor1D;
    const a = lossAndGrads(initParams(cfg, 12), ids, labels);
    const b = lossAndGrads(initParams(cfg, 12), ids, labels);
    expect(a.loss).toBe(b.loss);
    a.grads.forEach((g, i) => expect(maxAbs(g, b.grads[i])).toBe(0));
  });
});
