import { defineMethod } from '../registry.ts';
import { LearnerOptions } from '../learner.ts';

/**
 * Zero ablation with frozen norms: every RMSNorm divides by the scale the unpruned
 * model had on the same input, so norms cannot rescale a weak surviving signal.
 */
export default defineMethod({
  id: 'frozen-ln',
  kind: 'mask-learner',
  description: 'Zero ablation with every norm frozen to the unpruned model’s 1/RMS on the same input (no rescaling of weak signals).',
  options: LearnerOptions,
  scheme: () => ({ ablation: 'zero', frozenNorms: true, trainingViews: (m) => [m] }),
});
