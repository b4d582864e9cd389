import { AblationRunner } from '../../model/ablation.ts';
import { evaluateKeep } from '../../tasks/evaluate.ts';
import { taskPrompts } from '../../tasks/prompts.ts';
import { modelCorpus } from '../../engine/modelio.ts';
import { nonsenseResistanceOverBudgets } from '../../results/scoring.ts';
import { scanGrid } from '../../methods/discretize.ts';
import { prefixKeep, randomOrder } from '../circuit.ts';
import { defineCheck } from './registry.ts';

export const NONSENSE_TASK = 'nonsense';

/** Prefix sizes evaluated along every ranking: each size up to 16, then a geometric ∪ linear grid up to the largest budget, and the budgets. */
export function nonsenseSizes(budgets: readonly number[]): number[] {
  const max = Math.max(...budgets);
  const s = new Set<number>([...budgets, ...scanGrid(max, 48)]);
  for (let n = 1; n <= Math.min(16, max); n++) s.add(n);
  return [...s].sort((a, b) => a - b);
}

/** L(B) for each budget: the lowest loss over the evaluated prefix sizes ≤ B (the empty circuit excluded), and the size reaching it. */
export function lowestUnderBudgets(lossAt: ReadonlyMap<number, number>, budgets: readonly number[]): Array<{ loss: number; size: number }> {
  return budgets.map((B) => {
    let best = { loss: Infinity, size: 0 };
    for (const [n, l] of lossAt) if (n <= B && l < best.loss) best = { loss: l, size: n };
    return best;
  });
}

export default defineCheck({
  id: 'nonsense',
  title: 'Nonsense resistance (negative control)',
  description:
    'The method is run blind (it is told nothing but prompts and targets) on a task the model never learned — pronoun prompts whose answer is "is" for male and "when" for female names — with the options it used for this run. For each budget B in a fixed grid of shares of the model\'s nodes (the same for every method: 2%, 5%, 10%, 20% in the standard preset), L_circ(B) is the lowest nonsense loss of any prefix of ≤ B nodes of its nonsense ranking (the empty circuit excluded), under the ablation it chose, and L_rand(B) the same for random rankings. resistance = mean over B of clamp((L_circ(B) − target)/(L_rand(B) − target), 0, 1). It multiplies the overall score: a method that can make a few nodes do what the model never does has its circuits discounted.',
  role: 'control',
  higherIsBetter: true,
  appliesTo: () => true,
  async run(ctx) {
    const nc = await ctx.blind(NONSENSE_TASK);
    const c = ctx.circuit;
    const target = ctx.settings.targetLoss;
    const shares = ctx.settings.nonsenseBudgets;
    const budgets = shares.map((b) => Math.min(c.total, Math.max(1, Math.round(b * c.total))));
    const sizes = nonsenseSizes(budgets);
    const runner = new AblationRunner(ctx.model, { ablation: nc.ablation, frozenNorms: nc.frozen_norms });
    const prompts = taskPrompts(NONSENSE_TASK, 'test', { seed: ctx.seed, limit: ctx.settings.testPrompts, corpus: modelCorpus(ctx.model) });
    const curve = async (rankIdx: number[]) => {
      const out = new Map<number, number>();
      for (const n of sizes) out.set(n, (await evaluateKeep(runner, NONSENSE_TASK, prompts, prefixKeep(rankIdx, c.total, n))).loss);
      return out;
    };
    const circ = lowestUnderBudgets(await curve(nc.ranking.map((id) => c.index.get(id)!)), budgets);
    const rand: Array<Array<{ loss: number; size: number }>> = [];
    for (let d = 0; d < ctx.settings.randomDraws; d++) rand.push(lowestUnderBudgets(await curve(randomOrder(c.total, `nonsense-random:${ctx.seed}:${d}`)), budgets));
    const perBudget = budgets.map((B, i) => {
      const L_rand = rand.reduce((a, r) => a + r[i].loss, 0) / rand.length;
      return { share: shares[i], budget: B, L_circ: circ[i].loss, circuit_size: circ[i].size, L_rand, L_rand_draws: rand.map((r) => r[i].loss), solved: circ[i].loss <= target };
    });
    const L_model = (await evaluateKeep(runner, NONSENSE_TASK, prompts, c.all())).loss;
    const score = nonsenseResistanceOverBudgets(perBudget, target);
    const largest = perBudget.reduce((a, b) => (b.budget > a.budget ? b : a));
    return {
      score,
      figures: {
        budgets: perBudget,
        // the largest budget's figures, flat, for tables
        L_circ: largest.L_circ,
        L_rand: largest.L_rand,
        budget: largest.budget,
        circuit_size: largest.circuit_size,
        solved: perBudget.some((b) => b.solved),
        L_model,
        target,
        reference_n_star: c.size,
        nonsense_ablation: nc.ablation,
        nonsense_frozen_norms: nc.frozen_norms,
        degenerate: score === null,
      },
    };
  },
});
