import { mibAreas } from '../../results/schema.ts';
import { sizeGrid } from './1-size.ts';
import { defineCheck } from './registry.ts';

export default defineCheck({
  id: 'mib',
  title: 'MIB faithfulness curve',
  description:
    'For comparison with the MIB circuit track (Mueller et al. 2025): normalized faithfulness f = (m(C) − m(∅))/(m(N) − m(∅)), m = logit difference target − foil, along the method’s ranking, with the area under f (CPR, higher is better) and under |1 − f| (CMD, lower is better). Reported beside the score, not folded in.',
  role: 'report',
  higherIsBetter: true,
  appliesTo: () => true,
  async run(ctx) {
    const c = ctx.circuit;
    const m = async (keep: Float32Array) => (await c.evaluate(ctx.task.id, ctx.test, keep)).logitDiff;
    const mEmpty = await m(new Float32Array(c.total));
    const mFull = await m(c.all());
    const denom = mFull - mEmpty;
    const curve: Array<{ k: number; f: number }> = [];
    for (const k of sizeGrid(c.total, ctx.settings.gridPoints, [c.size])) curve.push({ k, f: denom !== 0 ? ((await m(c.prefix(k))) - mEmpty) / denom : 0 });
    const { cpr, cmd } = mibAreas(curve, c.total);
    return { score: null, figures: { curve, cpr, cmd } };
  },
});
