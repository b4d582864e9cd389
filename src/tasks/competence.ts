// Does a model do the tasks at all? Binary P_correct averaged over a task split
// (DESIGN.md §4). A zoo model must pass the bar on held-out (test) prompts, or
// the faithfulness checks measure nothing.
import { modelCorpus, type LoadedModel } from '../engine/modelio.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import { evaluatePrompts } from '../tasks/evaluate.ts';
export { evaluatePrompts, type PromptEval } from '../tasks/evaluate.ts';

/** The competence bar of DESIGN.md §4 (binary P_correct on held-out prompts). */
export const COMPETENCE_BAR = [
  { key: 'pronoun', task: 'pronoun', split: 'test', min: 0.95 },
  { key: 'ioi_opposite', task: 'ioi', split: 'test', min: 0.85 },
  { key: 'ioi_same_gender', task: 'ioi', split: 'same-gender', min: 0.75 },
  { key: 'questions', task: 'questions', split: 'test', min: 0.9 },
] as const;

export interface Competence {
  figures: Record<string, { pCorrect: number; min: number; pass: boolean; prompts: number }>;
  pass: boolean;
}

export async function competence(model: LoadedModel, limit = 400): Promise<Competence> {
  const figures: Competence['figures'] = {};
  for (const bar of COMPETENCE_BAR) {
    const prompts = taskPrompts(bar.task, bar.split, { seed: 0, limit, corpus: modelCorpus(model) });
    const ev = await evaluatePrompts(model, bar.task, prompts);
    figures[bar.key] = { pCorrect: ev.pCorrect, min: bar.min, pass: ev.pCorrect >= bar.min, prompts: prompts.length };
  }
  return { figures, pass: Object.values(figures).every((f) => f.pass) };
}
