import { defineMethod } from '../registry.ts';
import { LearnerOptions } from '../learner.ts';

/** Zero ablation, as in Gao et al.: non-kept nodes are set to 0. */
export default defineMethod({
  id: 'zero',
  kind: 'mask-learner',
  description: 'Mask learning with zero ablation (Gao et al. 2025): every non-kept node is set to 0.',
  paperUrl: 'https://arxiv.org/abs/2511.13653',
  options: LearnerOptions,
  scheme: () => ({ ablation: 'zero', frozenNorms: false, trainingViews: (m) => [m] }),
});
