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
import { canReadSync } from './backend.ts';

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
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  tokens: SharedArrayBuffer;
}

export type WorkerReply = { ready: true } | { loss: number } | { error: string };

const ENTRY = fileURLToPath(new URL('./data-parallel-entry.mjs', import.meta.url));

function localGradients(params: Params, cfg: ModelConfig, loss: LossName, input: Int32Array, target: Int32Array, rows: number): { value: tf.Scalar; grads: tf.Tensor[] } {
  const vars = namedParams(params).map(([, v]) => v);
  return tf.tidy(() => {
    const x = tf.tensor2d(input, [rows, cfg.seqLen], 'int32');
    const y = tf.tensor2d(target, [rows, cfg.seqLen], 'int32');
    const { value, grads } = tf.variableGrads(() => LOSSES[loss](params, cfg, x, y), vars);
    return { value, grads: vars.map((v) => grads[v.name]) };
  });
}

class Shard {
  constructor(
    readonly worker: Worker,
    readonly grads: Float32Array,
    readonly tokens: Int32Array,
  ) {}

  reply(): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: WorkerReply) => {
        this.worker.off('error', onError);
        resolve(m);
      };
      const onError = (err: Error) => {
        this.worker.off('message', onMessage);
        reject(err);
      };
      this.worker.once('message', onMessage);
      this.worker.once('error', onError);
    });
  }
}

/**
 * The gradient source for `threads` threads over `params` (which stay owned by the caller and
 * are read afresh each step, so whatever changed them — AdamW, weight sparsity — reaches the workers).
 * One thread computes in place, with no worker and the exact ops of a plain tf.variableGrads.
 */
export async function startGradientSource(params: Params, cfg: ModelConfig, loss: LossName, threads: number, backend: string): Promise<GradientSource> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`data-parallel threads must be a positive integer (got ${threads})`);
  if (threads === 1) {
    return {
      threads,
      async gradients(input, target, batch) {
        const { value, grads } = localGradients(params, cfg, loss, input, target, batch);
        const l = (await value.data())[0];
        value.dispose();
        return { loss: l, grads };
      },
      async close() {},
    };
  }
  if (!canReadSync()) throw new Error(`data-parallel training needs a backend with synchronous reads (wasm, cpu); ${backend} has none`);
  const vars = namedParams(params).map(([, v]) => v);
  const sizes = vars.map((v) => v.size);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  const paramBuf = new SharedArrayBuffer(total * 4);
  const paramView = new Float32Array(paramBuf);
  const shards: Shard[] = [];
  // a shard's input and target token ids, one after the other
  const maxTokens = 1 << 20;
  for (let w = 1; w < threads; w++) {
    const grads = new SharedArrayBuffer(total * 4);
    const tokens = new SharedArrayBuffer(maxTokens * 2 * 4);
    const init: WorkerInit = { cfg, loss, backend, params: paramBuf, grads, tokens };
    const worker = new Worker(ENTRY, { workerData: init });
    const shard = new Shard(worker, new Float32Array(grads), new Int32Array(tokens));
    shards.push(shard);
  }
  const ready = await Promise.allSettled(shards.map((s) => s.reply()));
  const failed = ready.find((r) => r.status === 'rejected' || 'error' in r.value);
  if (failed) {
    await Promise.all(shards.map((s) => s.worker.terminate()));
    const why = failed.status === 'rejected' ? String(failed.reason) : (failed.value as { error: string }).error;
    throw new Error(`a data-parallel worker failed to start: ${why}`);
  }

  return {
    threads,
    async gradients(input, target, batch) {
      if (batch % threads !== 0) throw new Error(`batch ${batch} does not split into ${threads} equal data-parallel shards`);
      const rows = batch / threads;
      const n = rows * cfg.seqLen;
      if (n > maxTokens) throw new Error(`a data-parallel shard of ${n} tokens exceeds ${maxTokens}`);
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
      // shard 0 here, while the workers compute theirs
      const local = localGradients(params, cfg, loss, input.subarray(0, n), target.subarray(0, n), rows);
      const got = await Promise.all(replies);
      const losses = [(await local.value.data())[0]];
      for (const r of got) {
        if ('error' in r) {
          local.value.dispose();
          local.grads.forEach((g) => g.dispose());
          throw new Error(`data-parallel worker: ${r.error}`);
        }
        if ('loss' in r) losses.push(r.loss);
      }
      const grads = tf.tidy(() =>
        local.grads.map((g, i) => {
          let sum: tf.Tensor = g;
          for (const s of shards) sum = tf.add(sum, tf.tensor(s.grads.subarray(offsets[i], offsets[i] + sizes[i]), g.shape));
          return tf.mul(sum, 1 / threads);
        }),
      );
      local.value.dispose();
      local.grads.forEach((g) => g.dispose());
      return { loss: losses.reduce((a, b) => a + b, 0) / threads, grads };
    },
    async close() {
      await Promise.all(shards.map((s) => s.worker.terminate()));
    },
  };
}
