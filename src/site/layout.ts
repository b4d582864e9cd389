// Layered layout of a circuit for the viewer. Columns follow the forward pass: for each layer the
// sites in order attn_in, q, k, v, attn_out, mlp_in, mlp_neuron, mlp_out, so a node's column says
// where it sits in the computation. Within a column nodes are ordered by index, which keeps the
// nodes of one attention head together (head = ⌊index / d_head⌋). Computed at build time so the
// graph is plain SVG in the page and works without JavaScript.
import { SITES, parseNodeId, type ModelInfo, type Site } from '../results/schema.ts';

export interface LayoutNode {
  id: string;
  layer: number;
  site: Site;
  index: number;
  head: number | null;
  x: number;
  y: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  weight: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Stroke width and opacity scale with |weight| relative to the largest shown. */
  width: number;
  opacity: number;
  sign: 'pos' | 'neg';
}

export interface LayoutColumn {
  x: number;
  layer: number;
  site: Site;
  count: number;
}

export interface CircuitLayout {
  width: number;
  height: number;
  radius: number;
  showLabels: boolean;
  columns: LayoutColumn[];
  layers: Array<{ layer: number; x: number; width: number }>;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  /** Edges left out because only the strongest are drawn. */
  hiddenEdges: number;
}

const COL_W = 64;
const MARGIN_X = 36;
const TOP = 64;
const BOTTOM = 20;
const MAX_BODY = 720;
/** Small circuits still get a readable band rather than a single squeezed row. */
const MIN_BODY = 120;
/** Beyond this the picture is a hairball; the strongest edges carry the story. */
export const MAX_EDGES = 600;

export function layoutCircuit(
  nodeIds: string[],
  model: Pick<ModelInfo, 'n_layers' | 'd_head'>,
  edges: Array<{ from: string; to: string; weight: number }>,
): CircuitLayout {
  const columns: LayoutColumn[] = [];
  const colIndex = (layer: number, site: Site) => layer * SITES.length + SITES.indexOf(site);
  for (let l = 0; l < model.n_layers; l++) {
    for (const site of SITES) columns.push({ x: MARGIN_X + columns.length * COL_W + COL_W / 2, layer: l, site, count: 0 });
  }
  const byCol = new Map<number, LayoutNode[]>();
  for (const id of nodeIds) {
    const p = parseNodeId(id);
    if (!p || p.layer >= model.n_layers) continue;
    const c = colIndex(p.layer, p.site);
    const head = p.site === 'q' || p.site === 'k' || p.site === 'v' ? Math.floor(p.index / model.d_head) : null;
    const list = byCol.get(c) ?? [];
    list.push({ id, layer: p.layer, site: p.site, index: p.index, head, x: columns[c].x, y: 0 });
    byCol.set(c, list);
  }
  const tallest = Math.max(1, ...[...byCol.values()].map((l) => l.length));
  const spacing = Math.max(4, Math.min(22, MAX_BODY / tallest));
  const body = Math.max(MIN_BODY, spacing * tallest);
  const nodes: LayoutNode[] = [];
  for (const [c, list] of [...byCol.entries()].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.index - b.index);
    columns[c].count = list.length;
    const start = TOP + (body - spacing * list.length) / 2 + spacing / 2;
    list.forEach((n, i) => {
      n.y = Math.round((start + i * spacing) * 10) / 10;
      nodes.push(n);
    });
  }
  const pos = new Map(nodes.map((n) => [n.id, n]));
  const drawable = edges.filter((e) => pos.has(e.from) && pos.has(e.to) && e.from !== e.to);
  const shown = [...drawable].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, MAX_EDGES);
  const maxW = Math.max(1e-12, ...shown.map((e) => Math.abs(e.weight)));
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const layoutEdges: LayoutEdge[] = shown.map((e) => {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const rel = Math.abs(e.weight) / maxW;
    return { ...e, x1: a.x, y1: a.y, x2: b.x, y2: b.y, width: r2(0.5 + 2.5 * rel), opacity: r2(0.15 + 0.6 * rel), sign: e.weight >= 0 ? 'pos' : 'neg' };
  });
  const layers = Array.from({ length: model.n_layers }, (_, l) => ({ layer: l, x: MARGIN_X + l * SITES.length * COL_W, width: SITES.length * COL_W }));
  return {
    width: MARGIN_X * 2 + columns.length * COL_W,
    height: TOP + body + BOTTOM,
    radius: Math.max(2, Math.min(7, spacing * 0.35)),
    showLabels: spacing >= 14,
    columns,
    layers,
    nodes,
    edges: layoutEdges,
    hiddenEdges: drawable.length - shown.length,
  };
}
