// How a circuit is run (DESIGN.md §3): keep coefficients k per node, ablation values μ
// (zero, or the node's pretraining mean), and optionally frozen norms (every norm
// divides by the unpruned model's 1/RMS on the same input). Used by the mask learner
// while it learns and by every check while it evaluates, so both see the same model.
import * as tf from '@tensorflow/tfjs-core';
import { forward, siteSlots, type Hooks, type SiteSlot } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { meanActivations } from './means.ts';

/** How non-kept nodes are replaced: μ = 0 or the node's pretraining-corpus mean. */
export type AblationValue = 'zero' | 'mean';

export interface AblationSetup {
  ablation: AblationValue;
  frozenNorms: boolean;
}

/** Flat 0/1 keep vector (siteSlots order) with the first n nodes of a ranking (flat indices) kept. */
export function prefixKeep(rankIdx: readonly number[], total: number, n: number): Float32Array {
  const k = new Float32Array(total);
  for (let i = 0; i < n && i < rankIdx.length; i++) k[rankIdx[i]] = 1;
  return k;
}

/** Build hooks for a circuit: keep per hook name from a flat 0/1 (or [0,1]) vector. */
export function keepFromFlat(slots: SiteSlot[], flat: Float32Array): Record<string, tf.Tensor> {
  const keep: Record<string, tf.Tensor> = {};
  for (const s of slots) keep[s.name] = tf.tensor1d(flat.subarray(s.offset, s.offset + s.width));
  return keep;
}

/** Everything needed to run the model under an ablation setup: μ and frozen norm scales. */
export class AblationRunner {
  readonly slots: SiteSlot[];
  readonly means?: Record<string, tf.Tensor1D>;
  constructor(
    readonly model: LoadedModel,
    readonly setup: AblationSetup,
  ) {
    this.slots = siteSlots(model.cfg);
    if (setup.ablation === 'mean') this.means = meanActivations(model);
  }

  /** hooks for `keep` on input `ids` (last position only); frozen norms come from the unpruned model on the same input */
  hooks(ids: tf.Tensor2D, keep: Record<string, tf.Tensor>, lastPositionOnly = true): Hooks {
    const hooks: Hooks = { keep, ablation: this.means, lastPositionOnly };
    if (this.setup.frozenNorms) {
      hooks.normScales = tf.tidy(() => {
        const { cache } = forward(this.model.params, this.model.cfg, ids, { cache: true, lastPositionOnly });
        return cache!.normScales;
      });
    }
    return hooks;
  }

  /** last-position logits [B, V] for a batch under `keep` */
  logits(ids: tf.Tensor2D, keep: Record<string, tf.Tensor>): tf.Tensor2D {
    return tf.squeeze(forward(this.model.params, this.model.cfg, ids, this.hooks(ids, keep)).logits, [1]) as tf.Tensor2D;
  }
}
