// Viewer data beyond the checks: weights between kept nodes along the model's own connections.
import { parseNodeId, type ModelConfig } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import type { ViewerData } from '../results/schema.ts';

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Viewer edges: weights between kept nodes along the model's own connections. */
export async function circuitEdges(model: LoadedModel, nodes: readonly string[], maxEdges = 2000): Promise<ViewerData['edges']> {
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
  // every weight read up front, in one await (webgpu reads only asynchronously)
  const read = (t: { data(): Promise<unknown> }) => t.data() as Promise<Float32Array>;
  const layers = await Promise.all(model.params.layers.map(async (L) => {
    const [qkv, wO, wUp, wDown, norm1, norm2] = await Promise.all([L.wQKV, L.wO, L.wUp, L.wDown, L.norm1, L.norm2].map(read));
    return { qkv, wO, wUp, wDown, norm1, norm2 };
  }));
  for (let l = 0; l < cfg.nLayers; l++) {
    const L = layers[l];
    link('attn_in', 'q', L.qkv, 3 * A, 0, l);
    link('attn_in', 'k', L.qkv, 3 * A, A, l);
    link('attn_in', 'v', L.qkv, 3 * A, 2 * A, l);
    link('v', 'attn_out', L.wO, cfg.dModel, 0, l);
    link('mlp_in', 'mlp_neuron', L.wUp, cfg.dMlp, 0, l);
    link('mlp_neuron', 'mlp_out', L.wDown, cfg.dModel, 0, l);
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
            const gain = (r === 'attn_in' ? layers[l2].norm1 : layers[l2].norm2)[i];
            edges.push({ from: `L${l}.${w}.${i}`, to: `L${l2}.${r}.${i}`, weight: round4(gain) });
          }
        }
      }
    }
  }
  return edges.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, maxEdges);
}
