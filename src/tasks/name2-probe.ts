// The name2 probe (issue: can the "bad circuit" appear at all?): a model's mean logit difference
// (target − foil) on IOI opposite-gender vs same-gender test prompts. A model that also reads
// "not name2" answers opposite-gender prompts with both cues agreeing and same-gender ones with
// them in conflict, so its opposite-gender margin is the larger; a model that never uses name2
// has equal margins (or, like the v1 zoo, a larger same-gender one). Only a model with a
// positive gap has a "not name2" mechanism that pruning could isolate.
import type { LoadedModel } from '../engine/modelio.ts';
import { modelCorpus } from '../engine/modelio.ts';
import { evaluatePrompts } from './evaluate.ts';
import { taskPrompts } from './prompts.ts';

export interface Name2Probe {
  /** mean logit difference on the IOI test split (opposite-gender pairs) */
  opposite: number;
  /** mean logit difference on the IOI same-gender split */
  same_gender: number;
  /** opposite − same_gender: > 0 where the model's answer also leans on "not name2" */
  gap: number;
  prompts: { opposite: number; same_gender: number };
}

export async function name2Probe(model: LoadedModel, limit = 400): Promise<Name2Probe> {
  const corpus = modelCorpus(model);
  const opp = taskPrompts('ioi', 'test', { seed: 0, limit, corpus });
  const same = taskPrompts('ioi', 'same-gender', { seed: 0, limit, corpus });
  const o = (await evaluatePrompts(model, 'ioi', opp)).logitDiff;
  const s = (await evaluatePrompts(model, 'ioi', same)).logitDiff;
  return { opposite: o, same_gender: s, gap: o - s, prompts: { opposite: opp.length, same_gender: same.length } };
}
