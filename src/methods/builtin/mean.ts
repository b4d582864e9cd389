import { defineMethod } from '../registry.ts';
import { LearnerOptions } from '../learner.ts';

/** Mean ablation: non-kept nodes take their mean over pretraining-corpus tokens. */
export default defineMethod({
  id: 'mean',
  kind: 'mask-learner',
  description: 'Mask learning with mean ablation: every non-kept node is replaced by its mean activation over pretraining-corpus tokens.',
  options: LearnerOptions,
  scheme: () => ({ ablation: 'mean', frozenNorms: false, trainingViews: (m) => [m] }),
});
