// Differentiable building blocks, fast on the wasm backend.
//
// On wasm (after initBackend registered them) each op runs one of the `Faith*` kernels of
// wasm-kernels.ts: SIMD matmuls with free transposes, fused attention, GELU, cross-entropy,
// and AdamW's kernel (engine/optim.ts). Their gradients are registered per input and lazy, so a frozen weight's gradient
// is never computed (the pruning step differentiates only the mask logits).
//
// Every op also has its reference form in stock tfjs ops (`*Reference`), used on the other
// backends (webgpu included: none of its ops reads tensors back to the host), when the fast kernels are switched off (useFastKernels(false) or
// FAITHBENCH_FAST_KERNELS=0), and by test/ops.test.ts to prove the two agree.
import * as tf from '@tensorflow/tfjs-core';
import { kthLargest } from './sparsity.ts';
import { canReadSync } from './backend.ts';
import { wasmKernelsRegistered } from './wasm-kernels.ts';

let fastSwitch = process.env.FAITHBENCH_FAST_KERNELS !== '0';

/** Switch the fast wasm kernels on or off (for tests and A/B timing); returns the previous setting. */
export function useFastKernels(on: boolean): boolean {
  const prev = fastSwitch;
  fastSwitch = on;
  return prev;
}

/** Whether ops run the fast kernels now: wasm backend, kernels registered, not switched off. */
export function fastKernelsEnabled(): boolean {
  return fastSwitch && wasmKernelsRegistered() && tf.getBackend() === 'wasm';
}

/** tf.customGrad with the argument types written out (its own typing wants a rest parameter). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const customGrad = (f: (...args: any[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }) =>
  tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);

export const allFloat = (...ts: Array<tf.Tensor | undefined>) => ts.every((t) => t === undefined || t.dtype === 'float32');

/** Run a registered kernel by name (the fast `Faith*` kernels). */
export const run = <T extends tf.Tensor | tf.Tensor[]>(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}): T =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as T;

// ───────────────────────────── matrix products ─────────────────────────────

/** x [N, in] · w [in, out] (+ b [out]). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  if (fastKernelsEnabled() && allFloat(x, w, b)) return run<tf.Tensor2D>('FaithMatMul', b ? { a: x, b: w, bias: b } : { a: x, b: w }, { transposeA: false, transposeB: false });
  return linearReference(x, w, b);
}

/**
 * Reference `linear`: stock matMul with a backward of explicit transposes + plain matMuls
 * (stock autodiff uses transpose flags, which fall off XNNPACK onto a scalar loop).
 */
export function linearReference(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const f = customGrad((xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xx, ww]);
    return {
      value: tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dx = tf.matMul(dy as tf.Tensor2D, tf.transpose(sw));
        const dw = tf.matMul(tf.transpose(sx), dy as tf.Tensor2D);
        return [dx, dw];
      },
    };
  });
  const y = f(x, w) as tf.Tensor2D;
  return b ? tf.add(y, b) : y;
}

/** Apply `linear` over the last axis of a [B, T, in] tensor. */
export function linear3d(x: tf.Tensor3D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor3D {
  // on wasm one GEMM over all B·T rows, no reshapes (fewer engine dispatches)
  if (fastKernelsEnabled() && allFloat(x, w, b)) return run<tf.Tensor3D>('FaithMatMul', b ? { a: x, b: w, bias: b } : { a: x, b: w }, { transposeA: false, transposeB: false });
  const [B, T, D] = x.shape;
  return tf.reshape(linear(tf.reshape(x, [B * T, D]), w, b), [B, T, w.shape[1]]);
}

/** Batched a [n, p, q] · b [n, q, r]. */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (fastKernelsEnabled() && allFloat(a, b)) return run<tf.Tensor3D>('FaithMatMul', { a, b }, { transposeA: false, transposeB: false });
  return bmmReference(a, b);
}

/** Reference `bmm`: a backward of explicit transposes. */
export function bmmReference(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const f = customGrad((aa: tf.Tensor, bb: tf.Tensor, save: tf.GradSaveFunc) => {
    save([aa, bb]);
    return {
      value: tf.matMul(aa as tf.Tensor3D, bb as tf.Tensor3D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
        const da = tf.matMul(dy as tf.Tensor3D, tf.transpose(sb, [0, 2, 1]));
        const db = tf.matMul(tf.transpose(sa, [0, 2, 1]), dy as tf.Tensor3D);
        return [da, db];
      },
    };
  });
  return f(a, b) as tf.Tensor3D;
}

/** General (batched) matMul with transpose flags; on wasm the transposes cost nothing. */
export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor, transposeA = false, transposeB = false): T {
  if (fastKernelsEnabled() && allFloat(a, b)) return run<T>('FaithMatMul', { a, b }, { transposeA, transposeB });
  return tf.matMul(a, b, transposeA, transposeB) as unknown as T;
}

// ───────────────────────────── attention ─────────────────────────────

export interface AttentionOutput {
  /** [B, Tq, H·dh], heads merged back in order */
  z: tf.Tensor3D;
  /** [B, H, Tq, T] softmax pattern (row = query position) */
  pattern: tf.Tensor4D;
}

/**
 * Causal multi-head attention: k, v [B, T, H·dh] (head h = columns h·dh..(h+1)·dh), and
 * q [B, Tq, H·dh] for the last Tq ≤ T positions (usually Tq = T; Tq = 1 is the last
 * position only). pattern = softmax(q·kᵀ/√dh + causal mask), z = pattern·v. Both outputs
 * are differentiable.
 */
export function causalAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, nHeads: number): AttentionOutput {
  if (fastKernelsEnabled() && allFloat(q, k, v)) {
    const [z, pattern] = run<tf.Tensor[]>('FaithAttention', { q, k, v }, { nHeads });
    return { z: z as tf.Tensor3D, pattern: pattern as tf.Tensor4D };
  }
  return causalAttentionReference(q, k, v, nHeads);
}

/** Reference attention in stock ops (heads split by transposes, −1e9 above the diagonal). */
export function causalAttentionReference(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, nHeads: number): AttentionOutput {
  const [B, Tq, HD] = q.shape;
  const T = k.shape[1];
  const H = nHeads;
  const dh = HD / H;
  // rows of the T × T causal mask for the last Tq queries
  const causal = tf.tidy(() => tf.slice(tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9), [T - Tq, 0], [Tq, T]));
  // [B, t, H·dh] → [B·H, t, dh]
  const heads = (z: tf.Tensor3D) => {
    const t = z.shape[1];
    return tf.reshape(tf.transpose(tf.reshape(z, [B, t, H, dh]), [0, 2, 1, 3]), [B * H, t, dh]) as tf.Tensor3D;
  };
  const qh = heads(q);
  const kT = tf.transpose(heads(k), [0, 2, 1]) as tf.Tensor3D;
  const scores = tf.add(tf.mul(bmmReference(qh, kT), 1 / Math.sqrt(dh)), causal) as tf.Tensor3D;
  const pattern = tf.softmax(scores) as tf.Tensor3D;
  const z = bmmReference(pattern, heads(v));
  const merged = tf.reshape(tf.transpose(tf.reshape(z, [B, H, Tq, dh]), [0, 2, 1, 3]), [B, Tq, H * dh]) as tf.Tensor3D;
  causal.dispose();
  return { z: merged, pattern: tf.reshape(pattern, [B, H, Tq, T]) as tf.Tensor4D };
}

// ───────────────────────────── element-wise ─────────────────────────────

/**
 * Heaviside step m = H(τ) (1 when τ ≥ 0) with the sigmoid surrogate gradient
 * σ'(τ/T)/T (straight-through estimator).
 */
export function heaviside(tau: tf.Tensor, temperature = 1): tf.Tensor {
  if (fastKernelsEnabled() && tau.dtype === 'float32') return run<tf.Tensor>('FaithHeaviside', { x: tau }, { temperature });
  return heavisideReference(tau, temperature);
}

export function heavisideReference(tau: tf.Tensor, temperature = 1): tf.Tensor {
  const f = customGrad((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([t]);
    return {
      value: tf.cast(tf.greaterEqual(t, 0), 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const s = tf.sigmoid(tf.div(saved[0], temperature));
        return [tf.mul(dy, tf.div(tf.mul(s, tf.sub(1, s)), temperature))];
      },
    };
  });
  return f(tau);
}

/**
 * AbsTopK activation sparsity: keep the k largest-|x| entries along the last axis,
 * zero the rest; the gradient flows through the kept entries only.
 */
export function absTopK(x: tf.Tensor, k: number): tf.Tensor {
  const width = x.shape[x.shape.length - 1];
  if (k >= width) return x;
  const f = customGrad((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const keep = absTopKMask(xx, k);
    save([keep]);
    return {
      value: tf.mul(xx, keep),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0])],
    };
  });
  return f(x);
}

/**
 * 0/1 mask of the k largest |x| per row (last axis), computed on the host with
 * quickselect: wasm's topk + broadcast greaterEqual cost ~10× more than the matmuls.
 * Ties at the threshold are all kept (measure-zero for float activations).
 */
export function absTopKMask(x: tf.Tensor, k: number): tf.Tensor {
  if (!canReadSync()) return absTopKMaskReference(x, k);
  const width = x.shape[x.shape.length - 1];
  const data = x.dataSync() as Float32Array;
  const out = new Float32Array(data.length);
  const scratch = new Float32Array(width);
  for (let r = 0; r < data.length; r += width) {
    for (let j = 0; j < width; j++) scratch[j] = Math.abs(data[r + j]);
    const thr = kthLargest(scratch, k);
    for (let j = 0; j < width; j++) out[r + j] = Math.abs(data[r + j]) >= thr ? 1 : 0;
  }
  return tf.tensor(out, x.shape, 'float32');
}

/**
 * The same mask from tensor ops, for backends that cannot read synchronously (webgpu): the
 * k-th largest |x| per row (the least of topk's k), then |x| ≥ it (ties at the threshold all kept, as above).
 */
export function absTopKMaskReference(x: tf.Tensor, k: number): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.abs(x);
    // the smallest of the k largest (topk's `sorted: false` leaves them in any order)
    const thr = tf.min(tf.topk(a, k, false).values, -1, true);
    return tf.cast(tf.greaterEqual(a, thr), 'float32');
  });
}

/** GELU, tanh approximation (as GPT-2). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fastKernelsEnabled() && x.dtype === 'float32') return run<tf.Tensor>('FaithGelu', { x });
  return geluReference(x);
}

export function geluReference(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const c = Math.sqrt(2 / Math.PI);
    const inner = tf.mul(c, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}

// ───────────────────────────── model plumbing ─────────────────────────────

/** Rows of table [V, D] at int32 ids [...] → [..., D] (tf.gather on axis 0; out-of-range ids throw). */
export function embedding(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  if (fastKernelsEnabled() && table.dtype === 'float32') {
    return run<tf.Tensor>('FaithGatherRows', { table, ids: ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32') });
  }
  return tf.gather(table, ids);
}

/** Split the last axis into pieces of the given widths (tf.split(x, sizes, -1)). */
export function splitLastAxis(x: tf.Tensor, sizes: number[]): tf.Tensor[] {
  if (fastKernelsEnabled() && x.dtype === 'float32') return run<tf.Tensor[]>('FaithSplitCols', { x }, { sizes });
  return tf.split(x, sizes, -1);
}

export interface RMSNormOutput {
  y: tf.Tensor;
  /** 1/RMS per position, [..., 1] */
  scale: tf.Tensor;
}

/** RMSNorm over the last axis: scale = 1/sqrt(mean(x²) + eps), y = x·scale·gain. */
export function rmsNorm(x: tf.Tensor, gain: tf.Tensor, eps: number): RMSNormOutput {
  if (fastKernelsEnabled() && x.dtype === 'float32' && gain.rank === 1 && gain.shape[0] === x.shape[x.rank - 1]) {
    const [y, scale] = run<tf.Tensor[]>('FaithRMSNorm', { x, g: gain }, { eps });
    return { y, scale };
  }
  return rmsNormReference(x, gain, eps);
}

export function rmsNormReference(x: tf.Tensor, gain: tf.Tensor, eps: number): RMSNormOutput {
  const scale = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps));
  return { y: tf.mul(tf.mul(x, scale), gain), scale };
}

/**
 * A node site's keep/ablation: y = k·x (zero ablation) or y = μ + k·(x − μ).
 * k, μ broadcast against x; a per-node k/μ ([width]) runs one fused kernel on wasm.
 */
export function maskSite(x: tf.Tensor, k: tf.Tensor, mu?: tf.Tensor): tf.Tensor {
  const n = x.shape[x.rank - 1];
  const perNode = (t: tf.Tensor) => t.rank === 1 && t.shape[0] === n && t.dtype === 'float32';
  if (fastKernelsEnabled() && x.dtype === 'float32' && perNode(k) && (!mu || perNode(mu))) {
    return run<tf.Tensor>(mu ? 'FaithMaskColsMu' : 'FaithMaskCols', mu ? { x, k, mu } : { x, k });
  }
  return maskSiteReference(x, k, mu);
}

export function maskSiteReference(x: tf.Tensor, k: tf.Tensor, mu?: tf.Tensor): tf.Tensor {
  return mu ? tf.add(mu, tf.mul(k, tf.sub(x, mu))) : tf.mul(k, x);
}

// ───────────────────────────── losses ─────────────────────────────

/**
 * Softmax cross-entropy per row: logits [..., V], labels int32 [...] → loss [...]
 * (−log softmax(logits)[label]). No one-hot tensor is built on wasm.
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  if (fastKernelsEnabled() && allFloat(logits)) {
    const V = logits.shape[logits.shape.length - 1];
    const flat = tf.reshape(logits, [-1, V]);
    const [loss] = run<tf.Tensor[]>('FaithSoftmaxCE', { logits: flat, labels: tf.cast(tf.reshape(labels, [-1]), 'int32') });
    return tf.reshape(loss, labels.shape);
  }
  return softmaxCrossEntropyReference(logits, labels);
}

export function softmaxCrossEntropyReference(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const V = logits.shape[logits.shape.length - 1];
    const onehot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, V);
    return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), -1));
  });
}
