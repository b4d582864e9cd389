// Worst-case keep-pattern search shared by the `adversarial` pruning method (DESIGN §5) and the
// suite's adversarial-ablation check (DESIGN §6, check 5).
export {
  projectTopK,
  worstCasePattern,
  accuracyThenLoss,
  randomPatterns,
  signPgdStep,
  signPgdStepInfo,
  type AdversaryProblem,
  type AdversaryOptions,
  type AdversaryResult,
  type RestartTrace,
  type RandomPatternsResult,
} from './search.ts';
