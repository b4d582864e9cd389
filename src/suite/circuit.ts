// A circuit under evaluation: its nodes as a flat 0/1 keep vector, its ranking, and the
// ablation it claims under; plus the size-matched random circuits every lifted check
// compares it with (same size, same ablation, seeded).
import seedrandom from 'seedrandom';
import { allNodeIds } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { AblationRunner, prefixKeep } from '../model/ablation.ts';
import { shuffled } from '../util/random.ts';
export { prefixKeep };
import { evaluateKeep, type PromptEval } from '../tasks/evaluate.ts';
import type { Prompt } from '../tasks/define.ts';

export class CircuitUnderTest {
  readonly ids: string[];
  readonly index: Map<string, number>;
  readonly keep: Float32Array;
  readonly rankIdx: number[];
  constructor(
    readonly model: LoadedModel,
    readonly runner: AblationRunner,
    readonly nodes: readonly string[],
    ranking: readonly string[],
  ) {
    this.ids = allNodeIds(model.cfg);
    this.index = new Map(this.ids.map((id, i) => [id, i]));
    this.keep = new Float32Array(this.ids.length);
    for (const n of nodes) this.keep[this.index.get(n)!] = 1;
    this.rankIdx = ranking.map((n) => this.index.get(n)!);
  }
  get total(): number {
    return this.ids.length;
  }
  get size(): number {
    return this.nodes.length;
  }
  /** keep vector of the first n nodes of the ranking */
  prefix(n: number): Float32Array {
    return prefixKeep(this.rankIdx, this.total, n);
  }
  all(): Float32Array {
    return new Float32Array(this.total).fill(1);
  }
  evaluate(taskId: string, prompts: readonly Prompt[], keep: Float32Array): Promise<PromptEval> {
    return evaluateKeep(this.runner, taskId, prompts, keep);
  }
}

/** A seeded random permutation of 0..total−1. */
export function randomOrder(total: number, seed: string): number[] {
  return shuffled(Array.from({ length: total }, (_, i) => i), seedrandom(seed));
}

/** R random circuits of `size` nodes (uniform without replacement), seeded by run seed and draw. */
export function randomKeeps(total: number, size: number, draws: number, seed: number): Float32Array[] {
  return Array.from({ length: draws }, (_, d) => prefixKeep(randomOrder(total, `size-matched:${seed}:${d}`), total, size));
}

/** Indices kept in a flat keep vector. */
export function keptIndices(keep: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < keep.length; i++) if (keep[i] === 1) out.push(i);
  return out;
}
