import { sameGenderScore } from '../../results/scoring.ts';
import { defineCheck } from './registry.ts';

export const SAME_GENDER_SPLIT = 'same-gender';

export default defineCheck({
  id: 'same-gender',
  title: 'Same-gender generalization',
  description:
    'A circuit learned on opposite-gender IOI prompts is run on the same-gender test split, which the model itself answers. P_circ is its mean binary P_correct there, P_model the unpruned model’s; s = clamp((P_circ − 0.5)/(P_model − 0.5), 0, 1), lifted against size-matched random circuits. P_circ < 0.5 is the "bad circuit": it outputs the gender opposite to name2 instead of tracking name1. Applies to every task with a same-gender split.',
  role: 'lifted',
  higherIsBetter: true,
  appliesTo: (task) => task.splits.includes(SAME_GENDER_SPLIT),
  async run(ctx) {
    const c = ctx.circuit;
    const prompts = ctx.prompts(SAME_GENDER_SPLIT);
    const model = await c.evaluate(ctx.task.id, prompts, c.all());
    const circ = await c.evaluate(ctx.task.id, prompts, c.keep);
    const randomP: number[] = [];
    for (const k of ctx.randomKeeps) randomP.push((await c.evaluate(ctx.task.id, prompts, k)).pCorrect);
    return {
      score: sameGenderScore(circ.pCorrect, model.pCorrect),
      randomScores: randomP.map((p) => sameGenderScore(p, model.pCorrect)),
      figures: {
        P_circ: circ.pCorrect,
        P_model: model.pCorrect,
        P_random: randomP,
        bad_circuit: circ.pCorrect < 0.5,
        prompts: prompts.length,
        per_prompt: circ.perPrompt.pCorrect.map((p) => Math.round(Math.min(1, Math.max(0, p)) * 1e4) / 1e4),
      },
    };
  },
});
