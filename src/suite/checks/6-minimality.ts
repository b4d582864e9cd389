import seedrandom from 'seedrandom';
import { shuffled } from '../../util/random.ts';
import { minimalityScore, MINIMALITY_THRESHOLD } from '../../results/scoring.ts';
import { keptIndices, type CircuitUnderTest } from '../circuit.ts';
import type { Prompt } from '../../tasks/define.ts';
import { defineCheck } from './registry.ts';

/** Rise in test loss when each node (a seeded sample of at most `limit`) alone is also ablated. */
export async function removalRises(c: CircuitUnderTest, taskId: string, prompts: readonly Prompt[], keep: Float32Array, limit: number, seed: string): Promise<{ rises: number[]; nodes: number[]; base: number }> {
  let nodes = keptIndices(keep);
  if (nodes.length > limit) {
    nodes = shuffled(nodes, seedrandom(seed)).slice(0, limit).sort((a, b) => a - b);
  }
  const base = (await c.evaluate(taskId, prompts, keep)).loss;
  const k = Float32Array.from(keep);
  const rises: number[] = [];
  for (const i of nodes) {
    k[i] = 0;
    const l = (await c.evaluate(taskId, prompts, k)).loss;
    k[i] = 1;
    rises.push(l - base);
  }
  return { rises, nodes, base };
}

export default defineCheck({
  id: 'minimality',
  title: 'Minimality',
  description: `For each circuit node, the rise in test task loss when it alone is also ablated; s = the share of nodes whose rise exceeds ${MINIMALITY_THRESHOLD} (cf. Shi et al. 2024, "Hypothesis testing the circuit hypothesis"), lifted against size-matched random circuits. A circuit padded with nodes that do nothing scores low. Large circuits are judged on a seeded sample of nodes.`,
  role: 'lifted',
  higherIsBetter: true,
  appliesTo: () => true,
  async run(ctx) {
    const c = ctx.circuit;
    const limit = ctx.settings.minimalityNodes;
    const circ = await removalRises(c, ctx.task.id, ctx.test, c.keep, limit, `minimality:${ctx.seed}`);
    // one sampling seed for circuit and draws: a draw equal to the circuit (the whole model) judges the same nodes
    const random: number[] = [];
    for (const k of ctx.randomKeeps) random.push(minimalityScore((await removalRises(c, ctx.task.id, ctx.test, k, limit, `minimality:${ctx.seed}`)).rises));
    return {
      score: minimalityScore(circ.rises),
      randomScores: random,
      figures: {
        threshold: MINIMALITY_THRESHOLD,
        base_loss: circ.base,
        judged_nodes: circ.nodes.length,
        circuit_nodes: c.size,
        rises: circ.nodes.map((i, j) => ({ node: c.ids[i], rise: Math.round(circ.rises[j] * 1e5) / 1e5 })),
      },
    };
  },
});
