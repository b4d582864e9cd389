// Differentiable building blocks whose gradients avoid wasm's slow paths.
// Stock tfjs differentiates matMul with transpose flags, which on wasm falls off
// XNNPACK onto a scalar loop; here every backward matMul is an explicit transpose
// followed by a plain matMul. Comparison ops (topk, >=) live inside customGrad so
// autodiff never asks for their (missing) gradients.
import * as tf from '@tensorflow/tfjs-core';

/** x [N, in] · w [in, out] (+ b [out]) with a transpose-free backward. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const f = tf.customGrad((xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
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
  const [B, T, D] = x.shape;
  return tf.reshape(linear(tf.reshape(x, [B * T, D]), w, b), [B, T, w.shape[1]]);
}

/** Batched a [n, p, q] · b [n, q, r] with a backward that uses explicit transposes. */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const f = tf.customGrad((aa: tf.Tensor, bb: tf.Tensor, save: tf.GradSaveFunc) => {
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

/**
 * Heaviside step m = H(τ) (1 when τ ≥ 0) with the sigmoid surrogate gradient
 * σ'(τ/T)/T (straight-through estimator).
 */
export function heaviside(tau: tf.Tensor, temperature = 1): tf.Tensor {
  const f = tf.customGrad((t: tf.Tensor, save: tf.GradSaveFunc) => {
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
  const f = tf.customGrad((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const keep = tf.tidy(() => {
      const mag = tf.abs(xx);
      // the k-th largest |x| per row is the smallest of the top k (topk's order is unspecified when unsorted)
      const kth = tf.min(tf.topk(mag, k, false).values, -1, true);
      return tf.cast(tf.greaterEqual(mag, kth), 'float32');
    });
    save([keep]);
    return {
      value: tf.mul(xx, keep),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0])],
    };
  });
  return f(x);
}

/** GELU, tanh approximation (as GPT-2). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const c = Math.sqrt(2 / Math.PI);
    const inner = tf.mul(c, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  });
}
