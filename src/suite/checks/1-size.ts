import { defineCheck } from './registry.ts';
import { paretoFront } from '../../results/schema.ts';

/** Sizes to probe along a ranking: 0, a geometric grid, the circuit size, and everything. */
export function sizeGrid(total: number, points: number, extra: number[] = []): number[] {
  const s = new Set<number>([0, total, ...extra.filter((x) => x >= 0 && x <= total)]);
  for (let i = 0; i < points; i++) s.add(Math.round(Math.exp((Math.log(total) * (i + 1)) / points)));
  return [...s].sort((a, b) => a - b);
}

export default defineCheck({
  id: 'size',
  title: 'Loss vs size',
  description:
    'Task loss on test prompts along the method’s own node ranking (every node outside the prefix ablated as the circuit claims), its Pareto front, and n* absolute and as a share of all nodes. A curve that rises again after meeting the target is non-monotone: adding nodes back breaks the circuit, a sign of cancellation. Shown beside the score, never folded into it: size cannot buy faithfulness.',
  role: 'report',
  higherIsBetter: true,
  appliesTo: () => true,
  async run(ctx) {
    const c = ctx.circuit;
    const target = ctx.settings.targetLoss;
    const points: Array<{ size: number; loss: number }> = [];
    for (const size of sizeGrid(c.total, ctx.settings.gridPoints, [c.size])) points.push({ size, loss: (await c.evaluate(ctx.task.id, ctx.test, c.prefix(size))).loss });
    let passed = false;
    let monotone = true;
    for (const p of points) {
      if (p.size === 0) continue;
      if (p.loss <= target) passed = true;
      else if (passed) monotone = false;
    }
    return {
      score: null,
      figures: { n_star: c.size, fraction: c.size / c.total, total_nodes: c.total, points, pareto: paretoFront(points), monotone },
    };
  },
});
