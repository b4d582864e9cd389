// Data-parallel gradients for a training step. The batch is split into equal row shards, one
// per thread: shard 0 runs on the calling thread, the others in worker threads that hold a copy
// of the model. Parameters go out and gradients come back through SharedArrayBuffers (no
// serialisation); the shard means are averaged in shard order, so a step is deterministic for
// a given thread count (equal to the one-thread step up to float rounding, not bit for bit).
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { namedParams, type ModelConfig, type Params } from './model.ts';
import { LOSSES, type LossName } from './loss.ts';
import { fastKernelsEnabled } from './ops.ts';
import { UserError, oneLine } from '../util/errors.ts';

export interface StepGradients {
  /** the batch's mean loss */
  loss: number;
  /** d loss / d parameter, in namedParams order; the caller disposes them */
  grads: tf.Tensor[];
}

export interface GradientSource {
  readonly threads: number;
  /** loss and gradients of the mean loss over a [batch, seqLen] batch (row-major token ids) */
  gradients(input: Int32Array, target: Int32Array, batch: number): Promise<StepGradients>;
  close(): Promise<void>;
}

/** What a worker thread is started with (data-parallel-worker.ts). */
export interface WorkerInit {
  cfg: ModelConfig;
  loss: LossName;
  backend: string;
  /** the caller's fast-kernel switch (ops.ts), so every shard runs the same ops */
  fastKernels: boolean;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  tokens: SharedArrayBuffer;
}

export type WorkerReply = { ready: true } | { loss: number } | { error: string };

const ENTRY = fileURLToPath(new URL('./data-parallel-entry.mjs', import.meta.url));

/** Where each parameter sits in the flat shared buffers (namedParams order), for both sides. */
export function flatLayout(vars: readonly tf.Variable[]): { sizes: number[]; offsets: number[]; total: number } {
  const sizes = vars.map((v) => v.size);
  const offsets: number[] = [];
  let total = 0;
  for (const n of sizes) {
    offsets.push(total);
    total += n;
  }
  return { sizes, offsets, total };
}

function localGradients(params: Params, vars: tf.Variable[], cfg: ModelConfig, loss: LossName, input: Int32Array, target: Int32Array, rows: number): { value: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const x = tf.tensor2d(input, [rows, cfg.seqLen], 'int32');
    const y = tf.tensor2d(target, [rows, cfg.seqLen], 'int32');
    const { value, grads } = tf.variableGrads(() => LOSSES[loss](params, cfg, x, y), vars);
    return { value, grads: vars.map((v) => grads[v.name]) };
  });
}

/** One worker thread and its shared buffers. Replies are awaited one at a time (see `busy`). */
class Shard {
  private waiting?: { resolve: (m: WorkerReply) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(
    readonly worker: Worker,
    readonly grads: Float32Array,
    readonly tokens: Int32Array,
  ) {
    // permanent listeners: a worker that fails or exits between steps is remembered, never an uncaught error
    worker.on('message', (m: WorkerReply) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve(m);
    });
    const fail = (e: Error) => {
      this.failure ??= e;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(this.failure);
    };
    worker.on('error', (e: Error) => fail(new Error(oneLine(e))));
    worker.on('exit', (code: number) => fail(new Error(`worker exited (code ${code})`)));
  }

  reply(): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
}

const SYNC_BACKENDS = new Set(['wasm', 'cpu']);

/**
 * The gradient source for `threads` threads over `params` (which stay owned by the caller and
 * are read afresh each step, so whatever changed them — AdamW, weight sparsity — reaches the workers).
 * One thread computes in place, with no worker and the exact ops of a plain tf.variableGrads.
 */
export async function startGradientSource(params: Params, cfg: ModelConfig, loss: LossName, threads: number, backend: string): Promise<GradientSource> {
  if (!Number.isInteger(threads) || threads < 1) throw new UserError(`data-parallel threads must be a positive integer (got ${threads})`);
  const vars = namedParams(params).map(([, v]) => v);
  if (threads === 1) {
    return {
      threads,
      async gradients(input, target, batch) {
        const { value, grads } = localGradients(params, vars, cfg, loss, input, target, batch);
        const l = (await value.data())[0];
        value.dispose();
        return { loss: l, grads };
      },
      async close() {},
    };
  }
  // each worker starts its own backend: only the in-process ones (not webgpu's device, not a native addon)
  if (!SYNC_BACKENDS.has(backend)) throw new UserError(`data-parallel training (--threads > 1) runs on wasm or cpu, not ${backend}`);
  const { sizes, offsets, total } = flatLayout(vars);
  const paramBuf = new SharedArrayBuffer(total * 4);
  const paramView = new Float32Array(paramBuf);
  const shards: Shard[] = [];
  const closeAll = () => Promise.all(shards.map((s) => s.worker.terminate())).then(() => undefined);
  // a shard's input and target token ids, one after the other
  const maxTokens = 1 << 20;
  try {
    for (let w = 1; w < threads; w++) {
      const grads = new SharedArrayBuffer(total * 4);
      const tokens = new SharedArrayBuffer(maxTokens * 2 * 4);
      const init: WorkerInit = { cfg, loss, backend, fastKernels: fastKernelsEnabled(), params: paramBuf, grads, tokens };
      shards.push(new Shard(new Worker(ENTRY, { workerData: init }), new Float32Array(grads), new Int32Array(tokens)));
    }
    const ready = await Promise.all(shards.map((s) => s.reply()));
    const failed = ready.find((r): r is { error: string } => 'error' in r);
    if (failed) throw new Error(failed.error);
  } catch (err) {
    await closeAll();
    throw new Error(`a data-parallel worker failed to start: ${oneLine(err)}`);
  }

  let busy = false;
  return {
    threads,
    async gradients(input, target, batch) {
      if (busy) throw new Error('data-parallel gradients: one step at a time per source');
      if (batch % threads !== 0) throw new UserError(`batch ${batch} does not split into ${threads} equal data-parallel shards`);
      const rows = batch / threads;
      const n = rows * cfg.seqLen;
      if (n > maxTokens) throw new UserError(`a data-parallel shard of ${n} tokens exceeds ${maxTokens}`);
      busy = true;
      let local: { value: tf.Scalar; grads: tf.Tensor[] } | undefined;
      try {
        // parameters as they are now (AdamW and weight sparsity change them between steps)
        vars.forEach((v, i) => paramView.set(v.dataSync() as Float32Array, offsets[i]));
        const replies = shards.map((s, k) => {
          const from = (k + 1) * n;
          s.tokens.set(input.subarray(from, from + n), 0);
          s.tokens.set(target.subarray(from, from + n), maxTokens);
          const p = s.reply();
          s.worker.postMessage({ rows });
          return p;
        });
        // shard 0 here, while the workers compute theirs; every reply is awaited before anything throws,
        // so no worker is still writing its buffers when the next step starts
        let localError: unknown;
        try {
          local = localGradients(params, vars, cfg, loss, input.subarray(0, n), target.subarray(0, n), rows);
        } catch (err) {
          localError = err;
        }
        const got = await Promise.allSettled(replies);
        if (localError !== undefined) throw localError;
        const losses = [(await local!.value.data())[0]];
        for (const r of got) {
          if (r.status === 'rejected') throw new Error(`data-parallel worker: ${oneLine(r.reason)}`);
          if ('error' in r.value) throw new Error(`data-parallel worker: ${r.value.error}`);
          if ('loss' in r.value) losses.push(r.value.loss);
        }
        const own = local!;
        const grads = tf.tidy(() =>
          own.grads.map((g, i) => {
            let sum: tf.Tensor = g;
            for (const s of shards) sum = tf.add(sum, tf.tensor(s.grads.subarray(offsets[i], offsets[i] + sizes[i]), g.shape));
            return tf.mul(sum, 1 / threads);
          }),
        );
        return { loss: losses.reduce((a, b) => a + b, 0) / threads, grads };
      } finally {
        local?.value.dispose();
        local?.grads.forEach((g) => g.dispose());
        busy = false;
      }
    },
    close: closeAll,
  };
}
