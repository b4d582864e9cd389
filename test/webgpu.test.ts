// The webgpu backend against wasm (the backend every figure in this project comes from), on
// whatever adapter Dawn finds — in CI that is Mesa's llvmpipe through Dawn's OpenGL backend,
// a software adapter, so this checks numerics and plumbing, never speed.
//
// Each computation runs twice in this process, once per backend, from the same host arrays;
// results are read back with `await data()` and compared on the host (tensors never cross
// backends: moving one off webgpu would need the synchronous read Node lacks).
//
// Tolerances (float32 on both sides; the backends sum in different orders):
//   ops, values and gradients ........ max |Δ| ≤ 1e-4 · max(1, max |wasm|)
//   Heaviside / AbsTopK masks ........ identical
//   whole-model logits and gradients . max |Δ| ≤ 1e-4 · max(1, max |wasm|)
//   training curve (30 steps) ........ |Δ loss| ≤ 1e-3 per logged step; weights max |Δ| ≤ 1e-3
//   prune (zero, 20 steps) ........... same circuit nodes; losses |Δ| ≤ 1e-4
//   tiny suite run (CLI) ............. same circuit, same check scores; every number |Δ| ≤ 1e-3
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, currentBackend } from '../src/engine/backend.ts';
import { findAdapter, describeAdapter } from '../src/engine/webgpu.ts';
import {
  linear, linear3d, bmm, matMul, causalAttention, heaviside, absTopK, gelu, softmaxCrossEntropy, embedding,
  splitLastAxis, rmsNorm, maskSite, fastKernelsEnabled,
} from '../src/engine/ops.ts';
import { adamwStep } from '../src/engine/optim.ts';
import { forward, initParams, namedParams, type ModelConfig } from '../src/engine/model.ts';
import { lmLoss, train, type TrainConfig } from '../src/engine/train.ts';
import { loadModel } from '../src/engine/modelio.ts';
import { loadMethod } from '../src/methods/registry.ts';
import { prune } from '../src/methods/prune.ts';
import { VOCAB_SIZE } from '../src/corpus/index.ts';

const found = await findAdapter(true);
const skip = !found.ok;
if (!found.ok) {
  // CI sets FAITHBENCH_REQUIRE_WEBGPU=1 (Mesa is installed there): a missing adapter is then a failure
  if (process.env.FAITHBENCH_REQUIRE_WEBGPU === '1') throw new Error(`webgpu required but unavailable: ${found.reason}`);
  console.warn(`test/webgpu.test.ts skipped: ${found.reason}`);
}

type Backend = 'wasm' | 'webgpu';

beforeAll(async () => {
  if (skip) return;
  await initBackend('webgpu');
  // wasm beside it, with the fast kernels the wasm path uses in production
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  const { registerWasmKernels } = await import('../src/engine/wasm-kernels.ts');
  registerWasmKernels();
  console.log(`webgpu adapter: ${describeAdapter(currentBackend().adapter!)}`);
});

/** Run f on a backend in a tidy scope; read every output back asynchronously. */
async function on(backend: Backend, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  if (backend === 'wasm') expect(fastKernelsEnabled()).toBe(true);
  const outs = tf.tidy(f);
  const data = await Promise.all(outs.map((t) => t.data()));
  tf.dispose(outs);
  return data.map((d) => Float32Array.from(d));
}

/** The same computation on both backends: [webgpu, wasm]. */
async function both(f: () => tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const gpu = await on('webgpu', f);
  const ref = await on('wasm', f);
  return [gpu, ref];
}

/** max |a − b| / max(1, max |b|) */
function relDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let s = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

const OP_TOL = 1e-4;

function expectClose(gpu: Float32Array[], ref: Float32Array[], tol = OP_TOL, label = ''): void {
  expect(gpu.length).toBe(ref.length);
  gpu.forEach((g, i) => {
    for (const v of g) expect(Number.isFinite(v), `${label}[${i}] finite`).toBe(true);
    expect(relDiff(g, ref[i]), `${label}[${i}]`).toBeLessThanOrEqual(tol);
  });
}

/** deterministic floats in [−s, s] */
function rand(n: number, seed: number, s = 1): Float32Array {
  let x = seed * 7919 + 17;
  return Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return ((x / 2147483648) * 2 - 1) * s;
  });
}
const t = (shape: number[], seed: number, s = 1) => tf.tensor(rand(shape.reduce((a, b) => a * b, 1), seed, s), shape);

/**
 * Value(s) of `op` and the gradient of Σ r·out with respect to every input, with a fixed
 * random cotangent r per output: covers forward and backward of a custom op in one check.
 */
function valueAndGrads(inputs: () => tf.Tensor[], op: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): () => tf.Tensor[] {
  return () => {
    const xs = inputs();
    const outs = () => {
      const o = op(...xs);
      return Array.isArray(o) ? o : [o];
    };
    const values = outs();
    const grads = tf.grads((...ys: tf.Tensor[]) => {
      const o = (() => {
        const r = op(...ys);
        return Array.isArray(r) ? r : [r];
      })();
      return tf.addN(o.map((y, k) => tf.sum(tf.mul(y, t(y.shape, 100 + k))))) as tf.Scalar;
    })(xs);
    return [...values, ...grads];
  };
}

describe.skipIf(skip)('webgpu matches wasm: every custom op, forward and gradients', () => {
  it('linear, linear3d, bmm, matMul with transposes', async () => {
    expectClose(...(await both(valueAndGrads(() => [t([6, 8], 1), t([8, 5], 2), t([5], 3)], (x, w, b) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D)))), OP_TOL, 'linear');
    expectClose(...(await both(valueAndGrads(() => [t([2, 3, 8], 4), t([8, 5], 5), t([5], 6)], (x, w, b) => linear3d(x as tf.Tensor3D, w as tf.Tensor2D, b as tf.Tensor1D)))), OP_TOL, 'linear3d');
    expectClose(...(await both(valueAndGrads(() => [t([3, 4, 5], 7), t([3, 5, 6], 8)], (a, b) => bmm(a as tf.Tensor3D, b as tf.Tensor3D)))), OP_TOL, 'bmm');
    expectClose(...(await both(valueAndGrads(() => [t([3, 5, 4], 9), t([3, 6, 5], 10)], (a, b) => matMul(a, b, true, true)))), OP_TOL, 'matMul');
  });

  it('causal attention (pattern and output, gradients through both)', async () => {
    const f = valueAndGrads(() => [t([2, 6, 16], 11), t([2, 6, 16], 12), t([2, 6, 16], 13)], (q, k, v) => {
      const { z, pattern } = causalAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 2);
      return [z, pattern];
    });
    expectClose(...(await both(f)), OP_TOL, 'attention');
    // the last query only (Tq = 1), as lastPositionOnly runs it
    const g = valueAndGrads(() => [t([2, 1, 16], 14), t([2, 6, 16], 15), t([2, 6, 16], 16)], (q, k, v) => causalAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 2).z);
    expectClose(...(await both(g)), OP_TOL, 'attention Tq=1');
  });

  it('Heaviside (identical step, surrogate gradient) and AbsTopK (identical mask)', async () => {
    const [hg, hw] = await both(valueAndGrads(() => [t([64], 17)], (x) => heaviside(x, 0.5)));
    expect(Array.from(hg[0])).toEqual(Array.from(hw[0]));
    expectClose(hg, hw, OP_TOL, 'heaviside');
    const [ag, aw] = await both(valueAndGrads(() => [t([4, 3, 12], 18)], (x) => absTopK(x, 3)));
    const mask = (a: Float32Array) => Array.from(a, (v) => (v !== 0 ? 1 : 0));
    expect(mask(ag[0])).toEqual(mask(aw[0]));
    expect(mask(ag[0]).reduce((a: number, b) => a + b, 0)).toBe(4 * 3 * 3);
    expectClose(ag, aw, OP_TOL, 'absTopK');
  });

  it('GELU, cross-entropy, embedding, split, RMSNorm, node masks', async () => {
    expectClose(...(await both(valueAndGrads(() => [t([50], 19, 3)], (x) => gelu(x)))), OP_TOL, 'gelu');
    const labels = () => tf.tensor1d([0, 3, 9, 2, 5, 7], 'int32');
    expectClose(...(await both(valueAndGrads(() => [t([6, 10], 20, 3)], (l) => softmaxCrossEntropy(l, labels())))), OP_TOL, 'cross-entropy');
    const ids = () => tf.tensor2d([[1, 4, 4], [9, 0, 1]], [2, 3], 'int32');
    expectClose(...(await both(valueAndGrads(() => [t([10, 4], 21)], (table) => embedding(table as tf.Tensor2D, ids())))), OP_TOL, 'embedding');
    expectClose(...(await both(valueAndGrads(() => [t([3, 10], 22)], (x) => splitLastAxis(x, [3, 7])))), OP_TOL, 'split');
    expectClose(...(await both(valueAndGrads(() => [t([2, 3, 8], 23), t([8], 24)], (x, g) => {
      const { y, scale } = rmsNorm(x, g, 1e-5);
      return [y, scale];
    }))), OP_TOL, 'rmsNorm');
    expectClose(...(await both(valueAndGrads(() => [t([2, 3, 8], 25), t([8], 26), t([8], 27)], (x, k, mu) => maskSite(x, k, mu)))), OP_TOL, 'maskSite μ');
    expectClose(...(await both(valueAndGrads(() => [t([2, 3, 8], 28), t([8], 29)], (x, k) => maskSite(x, k)))), OP_TOL, 'maskSite');
  });

  it('AdamW: two steps with weight decay and clamping', async () => {
    const f = () => {
      const p = tf.variable(t([40], 30));
      const m = tf.variable(tf.zeros([40]));
      const v = tf.variable(tf.zeros([40]));
      for (let step = 1; step <= 2; step++) adamwStep(p, t([40], 30 + step), m, v, step, { lr: 0.3, weightDecay: 0.1, clamp: [-0.5, 0.5] });
      const out = [p, m, v].map((x) => x.clone());
      [p, m, v].forEach((x) => x.dispose());
      return out;
    };
    expectClose(...(await both(f)), OP_TOL, 'adamw');
  });
});

const TINY: ModelConfig = { vocabSize: 50, dModel: 16, nLayers: 2, nHeads: 2, dHead: 8, dMlp: 32, seqLen: 8, absTopK: null };

describe.skipIf(skip)('webgpu matches wasm: the model, training, pruning, a suite run', () => {
  it('whole-model logits and every parameter gradient (dense and AbsTopK)', async () => {
    for (const cfg of [TINY, { ...TINY, absTopK: 0.25 }]) {
      const f = () => {
        const params = initParams(cfg, 5);
        const vars = namedParams(params).map(([, v]) => v);
        const ids = tf.tensor2d(Int32Array.from({ length: 3 * cfg.seqLen }, (_, i) => (i * 7 + 3) % cfg.vocabSize), [3, cfg.seqLen], 'int32');
        const target = tf.tensor2d(Int32Array.from({ length: 3 * cfg.seqLen }, (_, i) => (i * 11 + 1) % cfg.vocabSize), [3, cfg.seqLen], 'int32');
        const { logits } = forward(params, cfg, ids);
        const { value, grads } = tf.variableGrads(() => lmLoss(params, cfg, ids, target), vars);
        const out = [logits, value, ...vars.map((v) => grads[v.name])];
        vars.forEach((v) => v.dispose());
        return out;
      };
      expectClose(...(await both(f)), OP_TOL, `model absTopK=${cfg.absTopK}`);
    }
  });

  it('a short weight-sparse training run follows the same curve to the same weights', async () => {
    const cfg = {
      model: { vocabSize: VOCAB_SIZE, dModel: 16, nLayers: 1, nHeads: 2, dHead: 8, dMlp: 32, seqLen: 16, absTopK: 0.25 },
      steps: 30, batchSize: 8, lr: 0.005, warmupSteps: 5, weightDecay: 0.01, beta1: 0.9, beta2: 0.95, clipNorm: 1, l0Target: 0.5, minPerColumn: 4,
      seed: 3, corpusSeed: 1, corpusStories: 200, evalEvery: 10, evalBatches: 1,
    } satisfies TrainConfig;
    const run = async (backend: Backend) => {
      await tf.setBackend(backend);
      const res = await train(cfg);
      const vars = namedParams(res.params).map(([, v]) => v);
      const weights = await Promise.all(vars.map(async (v) => Float32Array.from(await v.data())));
      vars.forEach((v) => v.dispose());
      return { curve: res.curve, weights };
    };
    const gpu = await run('webgpu');
    const ref = await run('wasm');
    expect(gpu.curve.map((p) => p.step)).toEqual(ref.curve.map((p) => p.step));
    gpu.curve.forEach((p, i) => {
      expect(Math.abs(p.train_loss - ref.curve[i].train_loss), `step ${p.step}`).toBeLessThanOrEqual(1e-3);
      if (p.val_loss !== undefined) expect(Math.abs(p.val_loss - ref.curve[i].val_loss!)).toBeLessThanOrEqual(1e-3);
    });
    expect(ref.curve.at(-1)!.train_loss).toBeLessThan(ref.curve[0].train_loss); // it trained
    gpu.weights.forEach((w, i) => expect(relDiff(w, ref.weights[i]), `weight ${i}`).toBeLessThanOrEqual(1e-3));
  });

  it('a prune run (zero ablation, 20 mask steps on dense-d64) finds the same circuit', async () => {
    const method = await loadMethod('zero');
    const run = async (backend: Backend) => {
      await tf.setBackend(backend);
      const model = loadModel('dense-d64');
      try {
        return await prune({ method, options: { steps: 20 }, model, taskId: 'pronoun', seed: 0 });
      } finally {
        namedParams(model.params).forEach(([, v]) => v.dispose());
      }
    };
    const gpu = await run('webgpu');
    const ref = await run('wasm');
    expect(gpu.provenance.backend).toBe('webgpu');
    expect(gpu.nodes).toEqual(ref.nodes);
    expect(Math.abs(gpu.validation_loss - ref.validation_loss)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(gpu.verification.loss - ref.verification.loss)).toBeLessThanOrEqual(1e-4);
    gpu.learn_curve.forEach((p, i) => expect(Math.abs(p.loss - ref.learn_curve[i].loss)).toBeLessThanOrEqual(1e-4));
  });

  it('a tiny suite run through the CLI gives the same result JSON (up to 1e-3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-webgpu-'));
    const cli = (backend: Backend) =>
      new Promise<string>((resolve, reject) => {
        const out = join(dir, backend);
        const args = ['bin/faithbench.js', 'suite', '--preset', 'tiny', '--models', 'dense-d64', '--methods', 'random', '--tasks', 'pronoun', '--out', out, '--quiet'];
        execFile('node', args, { encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: backend } }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve(out)));
      });
    const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
    const [gpuDir, refDir] = [await cli('webgpu'), await cli('wasm')];
    const [gf] = files(gpuDir).filter((f) => f.endsWith('.json'));
    const [rf] = files(refDir).filter((f) => f.endsWith('.json'));
    const gpu = JSON.parse(readFileSync(gf, 'utf8'));
    const ref = JSON.parse(readFileSync(rf, 'utf8'));
    expect(gpu.provenance.backend).toBe('webgpu');
    expect(ref.provenance.backend).toBe('wasm');
    expect(gpu.flagged).toBe(false); // the checks ran
    expect(Object.keys(gpu.checks).sort()).toEqual(Object.keys(ref.checks).sort());
    expect(gpu.circuit.nodes).toEqual(ref.circuit.nodes);
    for (const id of Object.keys(ref.checks)) {
      const [g, r] = [gpu.checks[id].score, ref.checks[id].score];
      if (r === null) expect(g, id).toBeNull();
      else expect(Math.abs(g - r), id).toBeLessThanOrEqual(1e-3);
    }
    // every other number within 1e-3 (figures are rounded to 4 decimals, so a last-digit flip is 1e-4)
    const walk = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'number' && typeof b === 'number') expect(Math.abs(a - b), path).toBeLessThanOrEqual(1e-3);
      else if (a && b && typeof a === 'object') for (const k of Object.keys(b)) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      else expect(a, path).toEqual(b);
    };
    // provenance names the backend, and the digest covers it: both differ by design
    const { provenance: _p, digest: _gd, ...gpuRest } = gpu;
    const { provenance: _r, digest: _rd, ...refRest } = ref;
    walk(gpuRest, refRest, 'result');
  });
});

/** Run the CLI; resolves with the exit code and output (never rejects). */
function cliRun(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/faithbench.js', ...args], { encoding: 'utf8', env: { ...process.env, ...env } }, (error, out, err) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

/** The CLI's own error lines (Dawn prints its driver warnings to the same stderr, natively). */
const errorLines = (err: string) => err.split('\n').filter((l) => l.startsWith('faithbench: error:'));

describe.skipIf(skip)('choosing webgpu', () => {
  it('the automatic order never takes a software adapter; doctor names it and says why', async () => {
    const r = await cliRun(['doctor', '--json'], { FAITHBENCH_BACKEND: undefined });
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { backend: string; backends: Array<{ name: string; available: boolean; reason?: string; adapter?: { software: boolean; api: string } }> };
    const probe = report.backends.find((b) => b.name === 'webgpu')!;
    expect(probe.adapter).toBeDefined(); // named, even when not chosen
    if (probe.adapter!.software) {
      expect(report.backend).not.toBe('webgpu');
      expect(probe.available).toBe(false);
      expect(probe.reason).toMatch(/software adapter.*FAITHBENCH_BACKEND=webgpu forces it/);
    }
    const forced = await cliRun(['doctor'], { FAITHBENCH_BACKEND: 'webgpu' });
    expect(forced.code, forced.err).toBe(0);
    expect(forced.out).toMatch(/^backend: webgpu/m);
    expect(forced.out).toMatch(/^gpu adapter: .* via (OpenGL|Vulkan|Metal|D3D12)/m);
  });

  it('FAITHBENCH_BACKEND=webgpu without an adapter: one line why, exit 1, no fallback to wasm', async () => {
    if (found.ok && found.summary.api !== 'opengl') return; // a native GPU answers: EGL cannot be broken from here
    const out = join(mkdtempSync(join(tmpdir(), 'fb-webgpu-bad-')), 'never.json');
    // EGL on X11 without a display: Mesa cannot start, so Dawn's OpenGL backend finds nothing
    const r = await cliRun(['prune', '--method', 'zero', '--model', 'dense-d64', '--task', 'pronoun', '--out', out], { FAITHBENCH_BACKEND: 'webgpu', EGL_PLATFORM: 'x11', DISPLAY: '' });
    expect(r.code).toBe(1);
    const lines = errorLines(r.err);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^faithbench: error: backend "webgpu" \(FAITHBENCH_BACKEND\) cannot start: no GPU adapter \(.*opengl: Dawn found no adapter/);
    expect(r.out).toBe('');
    expect(readdirSync(join(out, '..'))).toEqual([]);
  });

  it('FAITHBENCH_BACKEND naming a backend whose package is missing: one line, exit 1', async () => {
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      installed = false;
    }
    if (installed) return;
    const r = await cliRun(['doctor'], { FAITHBENCH_BACKEND: 'tensorflow' });
    expect(r.code).toBe(1);
    expect(errorLines(r.err)).toEqual(['faithbench: error: backend "tensorflow" (FAITHBENCH_BACKEND) cannot start: @tensorflow/tfjs-node is not installed (optional; its installer downloads libtensorflow)']);
  });
});
