// A worked example of a `discover` method: attribution patching over nodes.
// Score each node by |E[∂L/∂kᵢ]| at k = 1, i.e. |(xᵢ − μᵢ)·∂L/∂x̃ᵢ| averaged over the
// training prompts (a first-order estimate of what ablating it alone would cost), rank by
// score, then take the smallest top-ranked prefix that meets the target loss.
//
// Run it:  node bin/faithbench.js prune --method examples/methods/attribution.ts --model dense-d64 --task pronoun
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineMethod, siteSlots, allNodeIds, stackPrompts, toTensors, disposeBatch, taskLoss, forward } from 'faithbench';

export default defineMethod({
  id: 'attribution',
  kind: 'discover',
  description: 'Attribution patching over nodes: rank by |E[(x − μ)·∂L/∂x]| (zero ablation), keep the smallest prefix meeting the target loss.',
  options: z.object({
    targetLoss: z.number().positive().default(0.15),
    prompts: z.number().int().positive().default(128),
  }),
  async discover(model, task, budget, options, ctx) {
    const slots = siteSlots(model.cfg);
    const kind = task.loss;
    const batch = toTensors(stackPrompts(ctx.trainPrompts.slice(0, options.prompts)));
    const keep = slots.map((s) => tf.variable(tf.ones([s.width]), true, `attr_${s.name}_${budget.seed}`));
    const gradTensors = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const k = Object.fromEntries(slots.map((s, i) => [s.name, keep[i]]));
        const logits = tf.squeeze(forward(model.params, model.cfg, batch.ids, { keep: k, lastPositionOnly: true }).logits, [1]) as tf.Tensor2D;
        return taskLoss(logits, batch, kind);
      }, keep);
      return keep.map((v) => tf.abs(grads[v.name]));
    });
    // read asynchronously: the webgpu backend has no synchronous read in Node
    const grads = (await Promise.all(gradTensors.map((t) => t.data()))) as Float32Array[];
    gradTensors.forEach((t) => t.dispose());
    keep.forEach((v) => v.dispose());
    disposeBatch(batch);
    const ids = allNodeIds(model.cfg);
    const score = new Float32Array(ids.length);
    slots.forEach((s, i) => score.set(grads[i], s.offset));
    const ranking = Array.from(score.keys()).sort((a, b) => score[b] - score[a] || a - b).map((i) => ids[i]);
    // the shared discretisation: the smallest prefix meeting the target, found by scan
    const cut = await ctx.smallestPassingPrefix(ranking, 'zero', false);
    ctx.log(`attribution: ${cut.nodes.length} nodes, validation loss ${cut.loss.toFixed(4)}`);
    return { nodes: cut.nodes, ranking, ablation: 'zero', frozenNorms: false, nominalLoss: cut.loss };
  },
});
