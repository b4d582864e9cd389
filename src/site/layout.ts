// Layered layout of a circuit for the viewer. Columns follow the forward pass: for each layer the
// sites in order attn_in, q, k, v, attn_out, mlp_in, mlp_neuron, mlp_out, so a node's column says
// where it sits in the computation. Within a column nodes are ordered by index, which keeps the
// nodes of one attention head together (head = ⌊index / d_head⌋). Computed at build time so the
// graph is plain SVG in the page.
//
// A large circuit (a near-whole-model one has thousands of nodes) is drawn COLLAPSED: one box per
// (layer, site) group with its count, and its nodes laid out within the same fixed height, to be
// expanded group by group in the page. Either way the graph's height is bounded, and the page
// script gives the nodes one tab stop in all (arrow keys move between them).
import { SITES, parseNodeId, type ModelInfo, type Site } from '../results/schema.ts';

export interface LayoutNode {
  id: string;
  layer: number;
  site: Site;
  index: number;
  head: number | null;
  /** Column index (layer × sites + site). */
  col: number;
  x: number;
  y: number;
  r: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  weight: number;
  /** Columns of the two ends (the page shows an edge of a collapsed graph once both are expanded). */
  cf: number;
  ct: number;
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
  col: number;
  x: number;
  layer: number;
  site: Site;
  /** Circuit nodes in this column, and the site's width in the model. */
  count: number;
  width: number;
  /** The group box of a collapsed graph: the kept share of the site fills it from the bottom. */
  box: { x: number; y: number; w: number; h: number; fillY: number; fillH: number };
  label: string;
  /** The groups this one shares the most drawn edge weight with (Σ|w|), strongest first. */
  links: Array<{ group: string; weight: number; edges: number }>;
  /** Its nodes, top to bottom. */
  nodes: LayoutNode[];
}

export interface CircuitLayout {
  width: number;
  height: number;
  collapsed: boolean;
  showLabels: boolean;
  columns: LayoutColumn[];
  /** Columns that hold circuit nodes (the groups of a collapsed graph). */
  groups: LayoutColumn[];
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
/** The graph body never grows beyond this, whatever the circuit's size. */
export const MAX_BODY = 560;
/** Small circuits still get a readable band rather than a single squeezed row. */
const MIN_BODY = 120;
/** Beyond this the picture is a hairball; the strongest edges carry the story. */
export const MAX_EDGES = 600;
/** A circuit with more nodes than this, or a column too tall for 4 px per node, is drawn collapsed. */
export const COLLAPSE_NODES = 256;
const MIN_SPACING = 4;

export const groupId = (layer: number, site: Site): string => `L${layer}.${site}`;

export function layoutCircuit(
  nodeIds: string[],
  model: Pick<ModelInfo, 'n_layers' | 'd_head' | 'site_widths'>,
  edges: Array<{ from: string; to: string; weight: number }>,
): CircuitLayout {
  const columns: LayoutColumn[] = [];
  for (let l = 0; l < model.n_layers; l++) {
    for (const site of SITES) {
      const col = columns.length;
      columns.push({ col, x: MARGIN_X + col * COL_W + COL_W / 2, layer: l, site, count: 0, width: model.site_widths[site], box: { x: 0, y: 0, w: 0, h: 0, fillY: 0, fillH: 0 }, label: '', links: [], nodes: [] });
    }
  }
  const colIndex = (layer: number, site: Site) => layer * SITES.length + SITES.indexOf(site);
  const byCol = new Map<number, LayoutNode[]>();
  const seen = new Set<string>();
  for (const id of nodeIds) {
    const p = parseNodeId(id);
    if (!p || p.layer >= model.n_layers || seen.has(id)) continue;
    seen.add(id);
    const c = colIndex(p.layer, p.site);
    const head = p.site === 'q' || p.site === 'k' || p.site === 'v' ? Math.floor(p.index / model.d_head) : null;
    const list = byCol.get(c) ?? [];
    list.push({ id, layer: p.layer, site: p.site, index: p.index, head, col: c, x: columns[c].x, y: 0, r: 0 });
    byCol.set(c, list);
  }
  const total = seen.size;
  const tallest = Math.max(1, ...[...byCol.values()].map((l) => l.length));
  const collapsed = total > COLLAPSE_NODES || MAX_BODY / tallest < MIN_SPACING;
  // expanded: one spacing for every column (from the tallest); collapsed: each column fills the body
  const spacing = Math.min(22, MAX_BODY / tallest);
  const body = collapsed ? MAX_BODY : Math.max(MIN_BODY, spacing * tallest);
  const radius = (s: number) => Math.round(Math.max(collapsed ? 1.2 : 2, Math.min(7, s * 0.35)) * 100) / 100;
  const nodes: LayoutNode[] = [];
  for (const [c, list] of [...byCol.entries()].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => a.index - b.index);
    const s = collapsed ? Math.min(22, body / list.length) : spacing;
    const column = columns[c];
    column.count = list.length;
    column.nodes = list;
    const start = TOP + (body - s * list.length) / 2 + s / 2;
    list.forEach((n, i) => {
      n.y = Math.round((start + i * s) * 10) / 10;
      n.r = radius(s);
      nodes.push(n);
    });
  }
  for (const column of columns) {
    const w = COL_W * 0.7;
    const share = column.width > 0 ? column.count / column.width : 0;
    const fillH = Math.round(body * share * 10) / 10;
    column.box = { x: Math.round((column.x - w / 2) * 10) / 10, y: TOP, w, h: body, fillY: Math.round((TOP + body - fillH) * 10) / 10, fillH };
    column.label = `${column.count}/${column.width}`;
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
    return { ...e, cf: a.col, ct: b.col, x1: a.x, y1: a.y, x2: b.x, y2: b.y, width: r2(0.5 + 2.5 * rel), opacity: r2(0.15 + 0.6 * rel), sign: e.weight >= 0 ? 'pos' : 'neg' };
  });
  // the groups' strongest connections (over the drawn edges), for the panel of a collapsed graph
  const links = new Map<number, Map<number, { weight: number; edges: number }>>();
  const addLink = (a: number, b: number, w: number) => {
    const m = links.get(a) ?? new Map<number, { weight: number; edges: number }>();
    const cur = m.get(b) ?? { weight: 0, edges: 0 };
    m.set(b, { weight: cur.weight + Math.abs(w), edges: cur.edges + 1 });
    links.set(a, m);
  };
  for (const e of layoutEdges) {
    if (e.cf === e.ct) continue;
    addLink(e.cf, e.ct, e.weight);
    addLink(e.ct, e.cf, e.weight);
  }
  for (const [c, m] of links) {
    columns[c].links = [...m.entries()]
      .sort((a, b) => b[1].weight - a[1].weight)
      .slice(0, 5)
      .map(([o, v]) => ({ group: groupId(columns[o].layer, columns[o].site), weight: Math.round(v.weight * 1000) / 1000, edges: v.edges }));
  }
  const layers = Array.from({ length: model.n_layers }, (_, l) => ({ layer: l, x: MARGIN_X + l * SITES.length * COL_W, width: SITES.length * COL_W }));
  return {
    width: MARGIN_X * 2 + columns.length * COL_W,
    height: TOP + body + BOTTOM,
    collapsed,
    showLabels: !collapsed && spacing >= 14,
    columns,
    groups: columns.filter((c) => c.count > 0),
    layers,
    nodes,
    edges: layoutEdges,
    hiddenEdges: drawable.length - shown.length,
  };
}
