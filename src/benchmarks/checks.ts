// The suite's checks (DESIGN.md §6) for one circuit, computed on the model with the
// circuit's own ablation (μ and frozen norms as the method claimed). Each function
// returns the raw figures and the score in the results schema's shape.
import * as tf from '@tensorflow/tfjs-core';
import { forward, allNodeIds, siteSlots, parseNodeId, type ModelConfig } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { stackPrompts, type Prompt } from '../tasks/define.ts';
import { toTensors, disposeBatch, perExampleLoss, pCorrect } from '../tasks/metrics.ts';
import { getTask } from '../tasks/prompts.ts';
import { AblationRunner, keepFromFlat } from '../methods/learner.ts';
import { worstCasePattern, randomPatterns } from '../adversary/index.ts';
import { pearsonOrNull, jsDivergence } from './scores.ts';
import {
  paretoFront, nonsenseScore, sameGenderScore, adversaryScore, rolesSummary, mibAreas, NONSENSE_BUDGET_FACTOR,
  type SizeCheck, type NonsenseCheck, type SameGenderCheck, type RolesCheck, type AdversaryCheck, type MibCheck, type ViewerData,
} from './results-schema.ts';

/** A circuit under evaluation: its nodes as a flat 0/1 keep vector plus its ranking. */
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
  prefix(n: number): Float32Array {
    const k = new Float32Array(this.total);
    for (let i = 0; i < n; i++) k[this.rankIdx[i]] = 1;
    return k;
  }
}

/** Sizes to probe along a ranking: 0, a geometric grid, the circuit size, and everything. */
export function sizeGrid(total: number, points: number, extra: number[] = []): number[] {
  const s = new Set<number>([0, total, ...extra.filter((x) => x >= 0 && x <= total)]);
  for (let i = 0; i < points; i++) s.add(Math.round(Math.exp((Math.log(total) * (i + 1)) / points)));
  return [...s].sort((a, b) => a - b);
}

/** Check 1: loss vs size along the method's ranking on test prompts. */
export function sizeCheck(c: CircuitUnderTest, taskId: string, test: readonly Prompt[], gridPoints: number): SizeCheck {
  const points = sizeGrid(c.total, gridPoints, [c.nodes.length]).map((size) => ({ size, loss: c.runner.evaluate(taskId, test, c.prefix(size)).loss }));
  const front = paretoFront(points);
  const n_star = c.nodes.length;
  return { n_star, fraction: n_star / c.total, points, pareto: front };
}

/**
 * Check 2: the lowest nonsense loss of any circuit of ≤ B = 3·n*(pronoun) nodes along the
 * method's nonsense ranking (learned with the options it used for pronoun).
 */
export function nonsenseCheck(c: CircuitUnderTest, test: readonly Prompt[], referenceNStar: number, gridPoints: number): NonsenseCheck {
  const budget = Math.min(c.total, NONSENSE_BUDGET_FACTOR * referenceNStar);
  const L_model = c.runner.evaluate('nonsense', test, new Float32Array(c.total).fill(1)).loss;
  let best = { size: 0, loss: Infinity };
  for (const size of sizeGrid(budget, gridPoints, [c.nodes.length, budget])) {
    if (size > budget) continue;
    const loss = c.runner.evaluate('nonsense', test, c.prefix(size)).loss;
    if (loss < best.loss) best = { size, loss };
  }
  return { L_model, L_circ: best.loss, reference_n_star: referenceNStar, budget, circuit_size: best.size, score: nonsenseScore(best.loss, L_model) };
}

/** Check 3: the IOI circuit on same-gender prompts. */
export function sameGenderCheck(c: CircuitUnderTest, sameGender: readonly Prompt[]): SameGenderCheck {
  const circ = c.runner.evaluate('ioi', sameGender, c.keep);
  const full = c.runner.evaluate('ioi', sameGender, new Float32Array(c.total).fill(1));
  return {
    P_circ: circ.pCorrect,
    P_model: full.pCorrect,
    bad_circuit: circ.pCorrect < 0.5,
    score: sameGenderScore(circ.pCorrect, full.pCorrect),
    per_prompt: circ.perPrompt.pCorrect.map((p) => Math.min(1, Math.max(0, p))),
  };
}

interface Activations {
  acts: Record<string, Float32Array>; // [B·T, width] row-major per hook
  attnLast: Float32Array[]; // per layer [B, H, T] attention from the last position
}

function activations(model: LoadedModel, ids: tf.Tensor2D, hooksKeep: Record<string, tf.Tensor> | undefined, runner?: AblationRunner): Activations {
  return tf.tidy(() => {
    const hooks = hooksKeep && runner ? { ...runner.hooks(ids, hooksKeep, false), cache: true } : { cache: true };
    const { cache } = forward(model.params, model.cfg, ids, hooks);
    const [B, T] = ids.shape;
    const acts: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(cache!.acts)) acts[name] = t.dataSync() as Float32Array;
    const attnLast = cache!.attn.map((a) => tf.slice(a, [0, 0, T - 1, 0], [B, model.cfg.nHeads, 1, T]).dataSync() as Float32Array);
    return { acts, attnLast };
  });
}

function column(data: Float32Array, width: number, j: number): Float32Array {
  const rows = data.length / width;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = data[r * width + j];
  return out;
}

/** Check 4: does each circuit node keep its role? Pearson r pruned vs unpruned, and attention JS divergence. */
export function rolesCheck(c: CircuitUnderTest, test: readonly Prompt[]): { check: RolesCheck; viewer: Pick<ViewerData, 'activations' | 'attention'> } {
  const cfg = c.model.cfg;
  const b = toTensors(stackPrompts(test));
  const keepT = keepFromFlat(siteSlots(cfg), c.keep);
  const pruned = activations(c.model, b.ids, keepT, c.runner);
  const full = activations(c.model, b.ids, undefined);
  Object.values(keepT).forEach((t) => t.dispose());
  const [B, T] = b.ids.shape;
  disposeBatch(b);
  const widths = Object.fromEntries(siteSlots(cfg).map((s) => [s.name, s.width]));
  const per_node: RolesCheck['per_node'] = [];
  const viewerActs: ViewerData['activations'] = [];
  const VIEW_PROMPTS = Math.min(8, B);
  for (const node of c.nodes) {
    const p = parseNodeId(cfg, node)!;
    const name = `L${p.layer}.${p.site}`;
    const xs = column(pruned.acts[name], widths[name], p.index);
    const ys = column(full.acts[name], widths[name], p.index);
    const r = pearsonOrNull(xs, ys);
    per_node.push({ node, r: r === null ? null : Math.max(-1, Math.min(1, r)) });
    if (viewerActs.length < 256) {
      const last = (v: Float32Array) => Array.from({ length: VIEW_PROMPTS }, (_, i) => round4(v[i * T + T - 1]));
      viewerActs.push({ node, pruned: last(xs), unpruned: last(ys) });
    }
  }
  // heads with q/k/v nodes in the circuit
  const heads = new Set<string>();
  for (const node of c.nodes) {
    const p = parseNodeId(cfg, node)!;
    if (p.site === 'q' || p.site === 'k' || p.site === 'v') heads.add(`${p.layer}:${Math.floor(p.index / cfg.dHead)}`);
  }
  const attention_js: RolesCheck['attention_js'] = [];
  const viewerAttn: ViewerData['attention'] = [];
  for (const key of [...heads].sort()) {
    const [layer, head] = key.split(':').map(Number);
    const H = cfg.nHeads;
    const row = (a: Float32Array, bi: number) => a.subarray((bi * H + head) * T, (bi * H + head + 1) * T);
    let js = 0;
    for (let bi = 0; bi < B; bi++) js += jsDivergence(row(pruned.attnLast[layer], bi), row(full.attnLast[layer], bi));
    attention_js.push({ layer, head, js: Math.min(1, Math.max(0, js / B)) });
    if (viewerAttn.length < 32) {
      const rows = (a: Float32Array) => Array.from({ length: VIEW_PROMPTS }, (_, bi) => Array.from(row(a, bi), (v) => Math.min(1, Math.max(0, round4(v)))));
      viewerAttn.push({ layer, head, pruned: rows(pruned.attnLast[layer]), unpruned: rows(full.attnLast[layer]) });
    }
  }
  const summary = rolesSummary(per_node);
  return { check: { per_node, mean_r: summary.mean_r, flipped_share: summary.flipped_share, attention_js, score: summary.score }, viewer: { activations: viewerActs, attention: viewerAttn } };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export interface AdversarySettings {
  restarts: number;
  pgdSteps: number;
  stepSize: number;
  greedyFlips: number;
  randomPatterns: number;
}

/**
 * Check 5: ONE pattern over the non-circuit nodes for the whole test set (1 = as in the
 * unpruned model, 0 = ablated with the circuit's ablation) chosen to maximise the loss.
 */
export function adversaryCheck(c: CircuitUnderTest, taskId: string, test: readonly Prompt[], s: AdversarySettings, seed: number): AdversaryCheck {
  const kind = getTask(taskId).loss;
  const free = Array.from(c.keep.keys()).filter((i) => c.keep[i] === 0);
  const M = free.length;
  // full keep = circuit + scatter(a): gather from [a, 1] so circuit nodes read the constant 1
  const gatherIdx = new Int32Array(c.total).fill(M);
  free.forEach((node, j) => (gatherIdx[node] = j));
  const b = toTensors(stackPrompts(test));
  const idxT = tf.tensor1d(gatherIdx, 'int32');
  const slots = siteSlots(c.model.cfg);
  const hooksFor = (full: tf.Tensor1D) => {
    const keep = Object.fromEntries(slots.map((sl) => [sl.name, tf.slice(full, [sl.offset], [sl.width])]));
    return c.runner.hooks(b.ids, keep);
  };
  const lossAndAcc = (full: tf.Tensor1D) => {
    const logits = tf.squeeze(forward(c.model.params, c.model.cfg, b.ids, hooksFor(full)).logits, [1]) as tf.Tensor2D;
    return { loss: tf.mean(perExampleLoss(logits, b, kind)) as tf.Scalar, acc: tf.mean(tf.cast(tf.greater(pCorrect(logits, b), 0.5), 'float32')) };
  };
  const problem = {
    size: M,
    relaxedLoss: (a: tf.Tensor1D) => lossAndAcc(tf.gather(tf.concat([a, tf.ones([1])]), idxT) as tf.Tensor1D).loss,
    evaluate: (pattern: Uint8Array) =>
      tf.tidy(() => {
        const full = new Float32Array(c.total);
        for (let i = 0; i < c.total; i++) full[i] = c.keep[i] === 1 ? 1 : pattern[gatherIdx[i]];
        const r = lossAndAcc(tf.tensor1d(full));
        return { loss: r.loss.dataSync()[0], acc: r.acc.dataSync()[0] };
      }),
  };
  const acc_model = problem.evaluate(new Uint8Array(M).fill(1)).acc;
  // ablating every non-circuit node is the claim itself: the adversary never reports less than that
  let worst = problem.evaluate(new Uint8Array(M));
  if (M > 0) {
    const res = worstCasePattern(problem, { restarts: s.restarts, pgdSteps: s.pgdSteps, stepSize: s.stepSize, greedyFlips: s.greedyFlips, seed });
    if (res.loss > worst.loss) worst = { loss: res.loss, acc: res.acc };
  }
  const random = M > 0 ? randomPatterns(problem, s.randomPatterns, 0.5, seed) : { meanLoss: worst.loss, meanAcc: worst.acc };
  idxT.dispose();
  disposeBatch(b);
  return {
    worst_loss: worst.loss,
    worst_acc: worst.acc,
    acc_model,
    random_mean_loss: random.meanLoss,
    random_mean_acc: random.meanAcc,
    n_random: s.randomPatterns,
    restarts: s.restarts,
    score: adversaryScore(worst.acc, acc_model),
  };
}

/** MIB-comparable normalized faithfulness f(k) along the ranking, with CPR and CMD. */
export function mibCheck(c: CircuitUnderTest, taskId: string, test: readonly Prompt[], gridPoints: number): MibCheck {
  const m = (keep: Float32Array) => c.runner.evaluate(taskId, test, keep).logitDiff;
  const mEmpty = m(new Float32Array(c.total));
  const mFull = m(new Float32Array(c.total).fill(1));
  const denom = mFull - mEmpty;
  const curve = sizeGrid(c.total, gridPoints, [c.nodes.length]).map((k) => ({ k, f: denom !== 0 ? (m(c.prefix(k)) - mEmpty) / denom : 0 }));
  const { cpr, cmd } = mibAreas(curve, c.total);
  return { curve, cpr, cmd };
}

/** Viewer edges: weights between kept nodes along the model's own connections. */
export function circuitEdges(model: LoadedModel, nodes: readonly string[], maxEdges = 2000): ViewerData['edges'] {
  const cfg: ModelConfig = model.cfg;
  const byName = new Map<string, number[]>();
  for (const n of nodes) {
    const p = parseNodeId(cfg, n)!;
    const k = `L${p.layer}.${p.site}`;
    if (!byName.has(k)) byName.set(k, []);
    byName.get(k)!.push(p.index);
  }
  const edges: ViewerData['edges'] = [];
  const A = cfg.nHeads * cfg.dHead;
  const link = (fromSite: string, toSite: string, w: Float32Array, cols: number, colOffset: number, layer: number, toLayer = layer) => {
    const from = byName.get(`L${layer}.${fromSite}`) ?? [];
    const to = byName.get(`L${toLayer}.${toSite}`) ?? [];
    for (const i of from) for (const j of to) {
      const weight = w[i * cols + colOffset + j];
      if (weight !== 0) edges.push({ from: `L${layer}.${fromSite}.${i}`, to: `L${toLayer}.${toSite}.${j}`, weight: round4(weight) });
    }
  };
  for (let l = 0; l < cfg.nLayers; l++) {
    const L = model.params.layers[l];
    const qkv = L.wQKV.dataSync() as Float32Array;
    link('attn_in', 'q', qkv, 3 * A, 0, l);
    link('attn_in', 'k', qkv, 3 * A, A, l);
    link('attn_in', 'v', qkv, 3 * A, 2 * A, l);
    link('v', 'attn_out', L.wO.dataSync() as Float32Array, cfg.dModel, 0, l);
    link('mlp_in', 'mlp_neuron', L.wUp.dataSync() as Float32Array, cfg.dMlp, 0, l);
    link('mlp_neuron', 'mlp_out', L.wDown.dataSync() as Float32Array, cfg.dModel, 0, l);
  }
  // residual writes reach later reads at the same coordinate (through the next norm's gain)
  const writes = ['attn_out', 'mlp_out'];
  for (let l = 0; l < cfg.nLayers; l++) {
    for (const w of writes) {
      for (const i of byName.get(`L${l}.${w}`) ?? []) {
        for (let l2 = l; l2 < cfg.nLayers; l2++) {
          for (const r of ['attn_in', 'mlp_in']) {
            if (l2 === l && (w === 'mlp_out' || r === 'attn_in')) continue;
            if (!(byName.get(`L${l2}.${r}`) ?? []).includes(i)) continue;
            const gain = (r === 'attn_in' ? model.params.layers[l2].norm1 : model.params.layers[l2].norm2).dataSync()[i];
            edges.push({ from: `L${l}.${w}.${i}`, to: `L${l2}.${r}.${i}`, weight: round4(gain) });
          }
        }
      }
    }
  }
  return edges.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, maxEdges);
}
