import * as tf from '@tensorflow/tfjs-core';
import { forward, siteSlots } from '../../engine/model.ts';
import { stackPrompts, type Prompt } from '../../tasks/define.ts';
import { toTensors, disposeBatch, logitDiff } from '../../tasks/metrics.ts';
import { worstCasePattern, randomPatterns, accuracyThenLoss, type AdversaryProblem } from '../../adversary/index.ts';
import { adversaryScore } from '../../results/scoring.ts';
import type { CircuitUnderTest } from '../circuit.ts';
import type { SuiteSettings } from '../presets.ts';
import { defineCheck } from './registry.ts';

export interface AdversaryFigures {
  worst_loss: number;
  worst_acc: number;
  acc_model: number;
  /** accuracy with every non-circuit node ablated (the circuit's own claim) */
  claim_acc: number;
  /** K: most non-circuit nodes the adversary may restore */
  budget: number;
  random_mean_loss: number | null;
  random_mean_acc: number | null;
  searched: boolean;
  evaluations: number;
}

/**
 * The batch-level adversary against one circuit (a flat keep vector): ONE pattern over the
 * non-circuit nodes for the whole test set (1 = as in the unpruned model, 0 = ablated with
 * the circuit's ablation), maximising what the score reads: the error rate, then the binary
 * loss softplus(foil − target).
 */
export async function attack(c: CircuitUnderTest, keep: Float32Array, test: readonly Prompt[], s: SuiteSettings['adversary'], seed: number, withRandomPatterns: boolean): Promise<AdversaryFigures> {
  const free: number[] = [];
  for (let i = 0; i < keep.length; i++) if (keep[i] !== 1) free.push(i);
  const M = free.length;
  const K = Math.min(M, Math.max(1, Math.round(s.budget * c.total)));
  const gatherIdx = new Int32Array(c.total).fill(M);
  free.forEach((node, j) => (gatherIdx[node] = j));
  const b = toTensors(stackPrompts(test));
  const idxT = tf.tensor1d(gatherIdx, 'int32');
  const slots = siteSlots(c.model.cfg);
  try {
    const lossAndAcc = (full: tf.Tensor1D) => {
      const keepT = Object.fromEntries(slots.map((sl) => [sl.name, tf.slice(full, [sl.offset], [sl.width])]));
      const logits = tf.squeeze(forward(c.model.params, c.model.cfg, b.ids, c.runner.hooks(b.ids, keepT)).logits, [1]) as tf.Tensor2D;
      const diff = logitDiff(logits, b);
      return { loss: tf.mean(tf.softplus(tf.neg(diff))) as tf.Scalar, acc: tf.mean(tf.cast(tf.greater(diff, 0), 'float32')) };
    };
    const problem: AdversaryProblem = {
      size: M,
      // full keep = circuit + scatter(a): gather from [a, 1] so circuit nodes read the constant 1
      relaxedLoss: (a) => lossAndAcc(tf.gather(tf.concat([a, tf.ones([1])]), idxT) as tf.Tensor1D).loss,
      evaluate: async (pattern) => {
        const r = tf.tidy(() => {
          const full = new Float32Array(c.total);
          for (let i = 0; i < c.total; i++) full[i] = gatherIdx[i] === M ? 1 : pattern[gatherIdx[i]];
          return lossAndAcc(tf.tensor1d(full));
        });
        const [loss, acc] = await Promise.all([r.loss.data(), r.acc.data()]);
        tf.dispose([r.loss, r.acc]);
        return { loss: loss[0], acc: acc[0] };
      },
    };
    const acc_model = (await problem.evaluate(new Uint8Array(M).fill(1))).acc;
    // ablating every non-circuit node is the claim itself: the adversary never reports better than that
    const claim = await problem.evaluate(new Uint8Array(M));
    let worst = claim;
    let evaluations = 2;
    // a score is clamped at 0: when the claim is already at chance there is nothing left to find
    const searched = M > 0 && adversaryScore(claim.acc, acc_model) > 0;
    if (searched) {
      const res = await worstCasePattern(problem, { restarts: s.restarts, pgdSteps: s.pgdSteps, stepSize: s.stepSize, greedyFlips: s.greedyFlips, seed, worse: accuracyThenLoss, maxOn: K });
      evaluations += res.evaluations;
      if (accuracyThenLoss(res, worst)) worst = { loss: res.loss, acc: res.acc };
    }
    const random = withRandomPatterns && M > 0 ? await randomPatterns(problem, s.randomPatterns, 0.5, seed, K) : null;
    return {
      worst_loss: worst.loss,
      worst_acc: worst.acc,
      acc_model,
      claim_acc: claim.acc,
      budget: K,
      random_mean_loss: random?.meanLoss ?? null,
      random_mean_acc: random?.meanAcc ?? null,
      searched,
      evaluations,
    };
  } finally {
    idxT.dispose();
    disposeBatch(b);
  }
}

export default defineCheck({
  id: 'adversary',
  title: 'Adversarial ablation',
  description:
    'The circuit is fixed; an adversary restores up to K nodes outside it (K = 0.5% of the model\'s nodes in the standard preset, the same for every method) to their unpruned values, the rest staying ablated with the circuit’s own ablation — ONE pattern for the whole test set, so it cannot fit noise per prompt — to maximise the error rate, then the binary loss: relaxed sign-PGD projected onto K nodes from several random starts, rounding, then greedy flips within the budget. s = chance-corrected worst accuracy (a − 0.5)/(a_model − 0.5), lifted against size-matched random circuits attacked the same way. Also the mean over random patterns restoring K random nodes.',
  role: 'lifted',
  higherIsBetter: true,
  appliesTo: () => true,
  async run(ctx) {
    const c = ctx.circuit;
    const s = ctx.settings.adversary;
    const circ = await attack(c, c.keep, ctx.test, s, ctx.seed, true);
    const random: AdversaryFigures[] = [];
    for (const [d, k] of ctx.randomKeeps.entries()) random.push(await attack(c, k, ctx.test, s, ctx.seed * 1000 + d + 1, false));
    return {
      score: adversaryScore(circ.worst_acc, circ.acc_model),
      randomScores: random.map((r) => adversaryScore(r.worst_acc, r.acc_model)),
      figures: { ...circ, restarts: s.restarts, random_circuits_worst_acc: random.map((r) => r.worst_acc) },
    };
  },
});
