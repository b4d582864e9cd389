import { AblationRunner } from '../../model/ablation.ts';
import { evaluateKeep } from '../../tasks/evaluate.ts';
import { taskPrompts } from '../../tasks/prompts.ts';
import { nonsenseResistance } from '../../results/scoring.ts';
import { prefixKeep, randomOrder } from '../circuit.ts';
import { defineCheck } from './registry.ts';

export const NONSENSE_TASK = 'nonsense';
export const NONSENSE_BUDGET_FACTOR = 3;

/** Sizes 1..B to evaluate: every size when B is small, else a grid refined around its best point. */
async function lowestPrefixLoss(lossAt: (n: number) => Promise<number>, budget: number, exhaustiveUpTo: number): Promise<{ size: number; loss: number; evaluated: number }> {
  const seen = new Map<number, number>();
  const at = async (n: number) => {
    if (!seen.has(n)) seen.set(n, await lossAt(n));
    return seen.get(n)!;
  };
  const best = () => [...seen.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
  if (budget <= exhaustiveUpTo) for (let n = 1; n <= budget; n++) await at(n);
  else {
    const grid = new Set<number>([1, budget]);
    for (let i = 0; i <= 24; i++) grid.add(Math.max(1, Math.round(Math.exp((Math.log(budget) * i) / 24))));
    for (let i = 1; i <= 24; i++) grid.add(Math.round((budget * i) / 24));
    for (const n of grid) await at(n);
    // every size between the best grid point's neighbours
    const sorted = [...seen.keys()].sort((a, b) => a - b);
    const k = sorted.indexOf(best()[0]);
    const lo = sorted[Math.max(0, k - 1)];
    const hi = sorted[Math.min(sorted.length - 1, k + 1)];
    const step = Math.max(1, Math.ceil((hi - lo) / exhaustiveUpTo));
    for (let n = lo; n <= hi; n += step) await at(n);
  }
  const [size, loss] = best();
  return { size, loss, evaluated: seen.size };
}

export default defineCheck({
  id: 'nonsense',
  title: 'Nonsense resistance (negative control)',
  description:
    'The method is run blind (it is told nothing but prompts and targets) on a task the model never learned — pronoun prompts whose answer is "is" for male and "when" for female names — with the options it used for this run. B = 3·n*. L_circ is the lowest nonsense loss of any prefix of ≤ B nodes of its nonsense ranking (the empty circuit excluded), under the ablation it chose; L_rand the same for random rankings. resistance = clamp((L_circ − target)/(L_rand − target), 0, 1). It multiplies the overall score: a method that can make a few nodes do what the model never does has its circuits discounted.',
  role: 'control',
  higherIsBetter: true,
  appliesTo: () => true,
  async run(ctx) {
    const nc = await ctx.blind(NONSENSE_TASK);
    const c = ctx.circuit;
    const target = ctx.settings.targetLoss;
    const budget = Math.min(c.total, Math.max(1, NONSENSE_BUDGET_FACTOR * c.size));
    const runner = new AblationRunner(ctx.model, { ablation: nc.ablation, frozenNorms: nc.frozen_norms });
    const prompts = taskPrompts(NONSENSE_TASK, 'test', { seed: ctx.seed, limit: ctx.settings.testPrompts });
    const lossAlong = (rankIdx: number[]) => lowestPrefixLoss(async (n) => (await evaluateKeep(runner, NONSENSE_TASK, prompts, prefixKeep(rankIdx, c.total, n))).loss, budget, 64);
    const circ = await lossAlong(nc.ranking.map((id) => c.index.get(id)!));
    const rand = [];
    for (let d = 0; d < ctx.settings.randomDraws; d++) rand.push(await lossAlong(randomOrder(c.total, `nonsense-random:${ctx.seed}:${d}`)));
    const L_rand = rand.reduce((a, r) => a + r.loss, 0) / rand.length;
    const L_model = (await evaluateKeep(runner, NONSENSE_TASK, prompts, c.all())).loss;
    const score = nonsenseResistance(circ.loss, L_rand, target);
    return {
      score,
      figures: {
        L_circ: circ.loss,
        L_rand,
        L_rand_draws: rand.map((r) => r.loss),
        L_model,
        target,
        budget,
        reference_n_star: c.size,
        circuit_size: circ.size,
        solved: circ.loss <= target,
        nonsense_ablation: nc.ablation,
        nonsense_frozen_norms: nc.frozen_norms,
        degenerate: score === null,
      },
    };
  },
});
