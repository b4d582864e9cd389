// Kernels the stock wasm backend lacks, registered as small JS kernels.
import * as tf from '@tensorflow/tfjs-core';

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  // gather's gradient needs UnsortedSegmentSum, which wasm does not register.
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
        const { numSegments } = attrs as unknown as { numSegments: number };
        const b = backend as unknown as {
          readSync(id: unknown): Float32Array | Int32Array;
          makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
          typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
        };
        const xs = b.readSync(x.dataId) as Float32Array;
        const ids = b.readSync(segmentIds.dataId);
        const inner = x.shape.slice(1).reduce((a, c) => a * c, 1);
        const outShape = [numSegments, ...x.shape.slice(1)];
        const out = b.makeOutput(outShape, 'float32');
        const o = b.typedArrayFromHeap(out);
        o.fill(0);
        for (let r = 0; r < ids.length; r++) {
          const seg = ids[r];
          if (seg < 0 || seg >= numSegments) continue;
          const src = r * inner;
          const dst = seg * inner;
          for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
        }
        return out;
      },
    });
  }
}
