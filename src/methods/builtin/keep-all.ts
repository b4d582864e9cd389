import { z } from 'zod';
import { allNodeIds } from '../../engine/model.ts';
import { defineMethod } from '../registry.ts';

/**
 * Reference baseline: the whole model as the "circuit". It does the task perfectly and
 * explains nothing; a sound score puts it at the bottom (size-matched lift is 0 when the
 * random circuit of the same size is the whole model too).
 */
export default defineMethod({
  id: 'keep-all',
  kind: 'discover',
  baseline: true,
  description: 'Reference baseline: every node is in the circuit (the unpruned model). Ranking: the model’s own node order.',
  options: z.strictObject({ targetLoss: z.number().positive().default(0.15) }),
  discover(model) {
    const ids = allNodeIds(model.cfg);
    return { nodes: ids, ranking: ids, ablation: 'zero', frozenNorms: false, nominalLoss: NaN };
  },
});
