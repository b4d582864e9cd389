// One data-parallel worker thread: its own backend and copy of the model; per step it reads
// the parameters and its token shard from shared memory, writes its shard's mean-loss
// gradients back, and replies with the loss (engine/data-parallel.ts drives it).
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.ts';
import { initParams, namedParams } from './model.ts';
import { LOSSES } from './loss.ts';
import { useFastKernels } from './ops.ts';
import { oneLine } from '../util/errors.ts';
import { flatLayout, type WorkerInit, type WorkerReply } from './data-parallel.ts';

const port = parentPort;
if (!port) throw new Error('data-parallel-worker.ts runs only as a worker thread');
const init = workerData as WorkerInit;
const send = (m: WorkerReply) => port.postMessage(m);

try {
  await initBackend(init.backend);
  useFastKernels(init.fastKernels);
  const params = initParams(init.cfg, 1);
  const vars = namedParams(params).map(([, v]) => v);
  const { sizes, offsets } = flatLayout(vars);
  const paramView = new Float32Array(init.params);
  const gradView = new Float32Array(init.grads);
  const tokens = new Int32Array(init.tokens);
  const half = tokens.length / 2;
  const T = init.cfg.seqLen;
  port.on('message', ({ rows }: { rows: number }) => {
    try {
      const n = rows * T;
      const loss = tf.tidy(() => {
        vars.forEach((v, i) => v.assign(tf.tensor(paramView.slice(offsets[i], offsets[i] + sizes[i]), v.shape)));
        const x = tf.tensor2d(tokens.subarray(0, n), [rows, T], 'int32');
        const y = tf.tensor2d(tokens.subarray(half, half + n), [rows, T], 'int32');
        const { value, grads } = tf.variableGrads(() => LOSSES[init.loss](params, init.cfg, x, y), vars);
        vars.forEach((v, i) => gradView.set(grads[v.name].dataSync() as Float32Array, offsets[i]));
        return value.dataSync()[0];
      });
      send({ loss });
    } catch (err) {
      send({ error: oneLine(err) });
    }
  });
  send({ ready: true });
} catch (err) {
  send({ error: oneLine(err) });
}
