import * as tf from '@tensorflow/tfjs-core';
import { forward, siteSlots, parseNodeId } from '../../engine/model.ts';
import type { LoadedModel } from '../../engine/modelio.ts';
import { keepFromFlat, type AblationRunner } from '../../model/ablation.ts';
import { stackPrompts } from '../../tasks/define.ts';
import { toTensors, disposeBatch } from '../../tasks/metrics.ts';
import { pearsonOrNull, jsDivergence } from '../../results/stats.ts';
import { rolesScore } from '../../results/scoring.ts';
import { keptIndices } from '../circuit.ts';
import { defineCheck } from './registry.ts';

interface Activations {
  acts: Record<string, Float32Array>; // [B·T, width] row-major per hook
  attnLast: Float32Array[]; // per layer [B, H, T] attention from the last position
}

async function activations(model: LoadedModel, ids: tf.Tensor2D, keep?: Float32Array, runner?: AblationRunner): Promise<Activations> {
  const { names, tensors, attn } = tf.tidy(() => {
    const hooks = keep && runner ? { ...runner.hooks(ids, keepFromFlat(siteSlots(model.cfg), keep), false), cache: true } : { cache: true };
    const { cache } = forward(model.params, model.cfg, ids, hooks);
    const [B, T] = ids.shape;
    const entries = Object.entries(cache!.acts);
    return { names: entries.map(([n]) => n), tensors: entries.map(([, t]) => t), attn: cache!.attn.map((a) => tf.slice(a, [0, 0, T - 1, 0], [B, model.cfg.nHeads, 1, T])) };
  });
  // one await for every read (webgpu reads only asynchronously)
  const data = (await Promise.all([...tensors, ...attn].map((t) => t.data()))) as Float32Array[];
  tf.dispose([...tensors, ...attn]);
  const acts: Record<string, Float32Array> = {};
  names.forEach((n, i) => (acts[n] = data[i]));
  return { acts, attnLast: data.slice(names.length) };
}

function column(data: Float32Array, width: number, j: number): Float32Array {
  const rows = data.length / width;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = data[r * width + j];
  return out;
}

/** Layer-0 attn_in nodes read only the embedding: nothing upstream can change their role. */
export function hasMaskableInput(node: { layer: number; site: string }): boolean {
  return !(node.layer === 0 && node.site === 'attn_in');
}

export interface RolesFigures {
  per_node: Array<{ node: string; r: number | null }>;
  attention_js: Array<{ layer: number; head: number; js: number }>;
  score: number;
  constant_share: number;
  flipped_share: number;
}

/** Role consistency of one circuit (a flat keep vector) against the unpruned activations. */
export async function rolesOf(model: LoadedModel, runner: AblationRunner, ids: string[], keep: Float32Array, batchIds: tf.Tensor2D, full: Activations): Promise<RolesFigures & { pruned: Activations }> {
  const cfg = model.cfg;
  const pruned = await activations(model, batchIds, keep, runner);
  const widths = Object.fromEntries(siteSlots(cfg).map((s) => [s.name, s.width]));
  const per_node: RolesFigures['per_node'] = [];
  const heads = new Set<string>();
  for (const i of keptIndices(keep)) {
    const node = ids[i];
    const p = parseNodeId(cfg, node)!;
    if (p.site === 'q' || p.site === 'k' || p.site === 'v') heads.add(`${p.layer}:${Math.floor(p.index / cfg.dHead)}`);
    if (!hasMaskableInput(p)) continue;
    const name = `L${p.layer}.${p.site}`;
    const r = pearsonOrNull(column(pruned.acts[name], widths[name], p.index), column(full.acts[name], widths[name], p.index));
    per_node.push({ node, r: r === null ? null : Math.max(-1, Math.min(1, r)) });
  }
  const B = batchIds.shape[0];
  const T = batchIds.shape[1];
  const H = cfg.nHeads;
  const attention_js: RolesFigures['attention_js'] = [];
  for (const key of [...heads].sort()) {
    const [layer, head] = key.split(':').map(Number);
    const row = (a: Float32Array, bi: number) => a.subarray((bi * H + head) * T, (bi * H + head + 1) * T);
    let js = 0;
    for (let bi = 0; bi < B; bi++) js += jsDivergence(row(pruned.attnLast[layer], bi), row(full.attnLast[layer], bi));
    attention_js.push({ layer, head, js: Math.min(1, Math.max(0, js / B)) });
  }
  const rs = per_node.map((n) => n.r);
  const defined = rs.filter((r): r is number => r !== null);
  return {
    per_node,
    attention_js,
    // a node constant in the pruned model (r undefined) counts r = 0: its role is gone
    score: rolesScore(rs, attention_js.map((h) => h.js)),
    constant_share: rs.length ? rs.filter((r) => r === null).length / rs.length : 0,
    flipped_share: defined.length ? defined.filter((r) => r < 0).length / defined.length : 0,
    pruned,
  };
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export default defineCheck({
  id: 'roles',
  title: 'Node-role consistency',
  description:
    'Does each circuit node still compute what it computed in the whole model? For every circuit node with a maskable input (not the layer-0 attn_in coordinates, which only read the embedding): Pearson r between its activation in the pruned and the unpruned model over test prompts and positions; a node that goes constant when pruned counts r = 0. s = mean of clamp(r, 0, 1), averaged with 1 − mean attention Jensen–Shannon divergence over heads with q/k/v nodes in the circuit; lifted against size-matched random circuits. Also the share of nodes whose role flipped (r < 0).',
  role: 'lifted',
  higherIsBetter: true,
  appliesTo: () => true,
  async run(ctx) {
    const c = ctx.circuit;
    const b = toTensors(stackPrompts(ctx.test));
    try {
      const full = await activations(c.model, b.ids);
      const circ = await rolesOf(c.model, c.runner, c.ids, c.keep, b.ids, full);
      const random: number[] = [];
      for (const k of ctx.randomKeeps) random.push((await rolesOf(c.model, c.runner, c.ids, k, b.ids, full)).score);
      // viewer samples: last-position activations of the first circuit nodes on a few prompts
      const [B, T] = b.ids.shape;
      const VIEW = Math.min(8, B);
      const widths = Object.fromEntries(siteSlots(c.model.cfg).map((s) => [s.name, s.width]));
      const viewer = c.nodes.slice(0, 256).map((node) => {
        const p = parseNodeId(c.model.cfg, node)!;
        const name = `L${p.layer}.${p.site}`;
        const last = (a: Float32Array) => Array.from({ length: VIEW }, (_, i) => round4(a[(i * T + T - 1) * widths[name] + p.index]));
        return { node, pruned: last(circ.pruned.acts[name]), unpruned: last(full.acts[name]) };
      });
      const H = c.model.cfg.nHeads;
      const attention = circ.attention_js.slice(0, 32).map(({ layer, head }) => {
        const rows = (a: Float32Array) => Array.from({ length: VIEW }, (_, bi) => Array.from(a.subarray((bi * H + head) * T, (bi * H + head + 1) * T), (v) => Math.min(1, Math.max(0, round4(v)))));
        return { layer, head, pruned: rows(circ.pruned.attnLast[layer]), unpruned: rows(full.attnLast[layer]) };
      });
      const defined = circ.per_node.filter((n) => n.r !== null);
      return {
        score: circ.score,
        randomScores: random,
        figures: {
          per_node: circ.per_node.slice(0, 5000),
          judged_nodes: circ.per_node.length,
          mean_r: defined.length ? defined.reduce((a, n) => a + n.r!, 0) / defined.length : null,
          constant_share: circ.constant_share,
          flipped_share: circ.flipped_share,
          attention_js: circ.attention_js,
          viewer: { activations: viewer, attention },
        },
      };
    } finally {
      disposeBatch(b);
    }
  },
});
