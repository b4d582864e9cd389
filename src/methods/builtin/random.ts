import { z } from 'zod';
import { allNodeIds } from '../../engine/model.ts';
import { defineMethod } from '../registry.ts';
import { shuffled } from '../../util/random.ts';

/**
 * Reference baseline: a seeded random ranking of the nodes, cut at its smallest prefix
 * that meets the target (the shared scan, zero ablation). It knows nothing about the
 * task; a sound score gives it ≈ 0.
 */
export default defineMethod({
  id: 'random',
  kind: 'discover',
  baseline: true,
  description: 'Reference baseline: a seeded random ranking of all nodes, cut at the smallest prefix meeting the target loss (zero ablation).',
  options: z.strictObject({ targetLoss: z.number().positive().default(0.15) }),
  async discover(model, _task, _budget, _options, ctx) {
    const ranking = shuffled(allNodeIds(model.cfg), ctx.rng);
    const cut = await ctx.smallestPassingPrefix(ranking, 'zero', false);
    return { nodes: cut.nodes, ranking, ablation: 'zero', frozenNorms: false, nominalLoss: cut.loss };
  },
});
