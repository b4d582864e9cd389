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
  return Array.from({ length: draws }, (_, d) => randomKeep(total, size, seed, d));
}

function randomKeep(total: number, size: number, seed: number, d: number): Float32Array {
  return prefixKeep(randomOrder(total, `size-matched:${seed}:${d}`), total, size);
}

/** candidates tried per draw when conditioning the null on passing (covered by SCORING_VERSION) */
export const NULL_TRIES = 4;

export interface SizeMatchedNull {
  keeps: Float32Array[];
  kind: 'passing' | 'unconditional';
  candidates: number;
  passing: number;
}

/**
 * The size-matched random circuits a lifted check compares with. A circuit was selected for
 * passing the target; random circuits of the same size mostly do not (small ones never), and a
 * check that rewards "does the task at all" would then credit the selection, not the method —
 * under scoring v2 the random baseline's own circuit (a random ranking cut where it passes)
 * earned 0.44 on same-gender from exactly that. So the draws are conditioned on passing the same
 * validation target as the circuit: up to `tries`·R seeded candidates are tried (stopping after
 * 2R when none passes); with at least ⌈R/2⌉ passing, those are the null, otherwise the first R
 * candidates, unconditioned (for small circuits, where random circuits of their size never pass).
 */
export async function sizeMatchedNull(total: number, size: number, draws: number, seed: number, tries: number, passes: (keep: Float32Array) => boolean | Promise<boolean>): Promise<SizeMatchedNull> {
  const first: Float32Array[] = [];
  const passing: Float32Array[] = [];
  let d = 0;
  for (; d < draws * tries && passing.length < draws; d++) {
    const keep = randomKeep(total, size, seed, d);
    if (first.length < draws) first.push(keep);
    if (await passes(keep)) passing.push(keep);
    if (d + 1 >= 2 * draws && passing.length === 0) {
      d++;
      break;
    }
  }
  while (first.length < draws) first.push(randomKeep(total, size, seed, first.length));
  const enough = passing.length >= Math.ceil(draws / 2);
  return { keeps: enough ? passing : first, kind: enough ? 'passing' : 'unconditional', candidates: d, passing: passing.length };
}

/** Indices kept in a flat keep vector. */
export function keptIndices(keep: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < keep.length; i++) if (keep[i] === 1) out.push(i);
  return out;
}
