// Plots for the static site: vega-lite specs compiled to vega and rendered to SVG at build time
// (a headless vega View needs no canvas and no browser), so the published site carries no
// plotting library. The site embeds the SVGs with <img>, so even a malicious label in an SVG
// could not run script in the page.
//
// Every plot that colours by method takes the same colour domain (all methods of the site), so a
// method has one colour on every page. Sizes are shares of the model's nodes, so models of
// different sizes share one axis.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelColor: '#333', titleColor: '#222', gridColor: '#eee' },
  legend: { labelLimit: 220 },
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One colour per method, the same on every page. */
export function methodColor(methods: readonly string[]): { domain: string[]; scheme: 'tableau10' | 'tableau20' } {
  return { domain: [...methods], scheme: methods.length > 10 ? 'tableau20' : 'tableau10' };
}

// ---------------------------------------------------------------------------------------------
// Size vs faithfulness

/** A log axis of shares: ticks from 0.05% to 100%, labelled as percentages. */
const SHARE_AXIS = { values: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], format: '.2~%' };

export interface ParetoPoint {
  method: string;
  model: string;
  baseline: boolean;
  /** n* / total nodes (mean over seeds). */
  fraction: number;
  /** Overall faithfulness (mean over seeds) and its interval; lo/hi are null with too few seeds for one. */
  overall: number;
  lo: number | null;
  hi: number | null;
}

/**
 * The Pareto front of size against faithfulness: the points that no other point beats on both
 * (a smaller or equal share with a higher or equal overall, one of them strictly). Sorted by share,
 * so overall rises along it.
 */
export function paretoFrontier<T extends { fraction: number; overall: number }>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.fraction - b.fraction || b.overall - a.overall);
  const front: T[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.overall > best) {
      front.push(p);
      best = p.overall;
    }
  }
  return front;
}

/** Size vs faithfulness on one task: each (method, model) one point with its 95% interval where one
 *  is claimed, the Pareto front as a step line, baselines as hollow grey reference points. Up and to
 *  the left is better; a small circuit is not better by itself. */
export function paretoSpec(points: ParetoPoint[], methods: readonly string[], title: string): TopLevelSpec {
  const front = paretoFrontier(points).map((p) => ({ fraction: p.fraction, overall: p.overall }));
  const least = Math.min(...points.map((p) => p.fraction));
  // baseline labels stacked above their points, so two baselines near 100% do not overprint
  const baselines = points
    .filter((p) => p.baseline)
    .sort((a, b) => a.fraction - b.fraction)
    .map((p, i) => ({ ...p, label: `${p.method} (baseline)`, labelY: Math.min(0.95, p.overall + 0.07 * (i + 1)) }));
  const x = {
    field: 'fraction',
    type: 'quantitative' as const,
    title: 'circuit size n* as a share of the model’s nodes (log)',
    scale: { type: 'log' as const, domain: [Math.max(1e-4, least / 1.5), 1.15] },
    axis: SHARE_AXIS,
  };
  const y = { field: 'overall', type: 'quantitative' as const, title: 'overall (mean of lifted checks × control)', scale: { domain: [0, 1] } };
  return {
    $schema: SCHEMA,
    title,
    width: 440,
    height: 280,
    layer: [
      {
        name: 'pareto_front',
        data: { values: front.length ? [...front, { fraction: 1, overall: front[front.length - 1].overall }] : [] },
        mark: { type: 'line', interpolate: 'step-after', color: '#444', strokeDash: [5, 3], strokeWidth: 1.5 },
        encoding: { x, y },
      },
      {
        data: { values: points.filter((p) => !p.baseline && p.lo !== null && p.hi !== null) },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'method', type: 'nominal', title: 'method', scale: methodColor(methods) } },
      },
      {
        name: 'methods',
        data: { values: points.filter((p) => !p.baseline) },
        mark: { type: 'point', filled: true, size: 90, opacity: 0.9 },
        encoding: {
          x,
          y,
          color: { field: 'method', type: 'nominal', title: 'method', scale: methodColor(methods) },
          shape: { field: 'model', type: 'nominal', title: 'model' },
        },
      },
      {
        name: 'baselines',
        data: { values: baselines },
        mark: { type: 'point', filled: false, size: 110, color: '#777', strokeWidth: 1.5 },
        encoding: { x, y, shape: { field: 'model', type: 'nominal', title: 'model' } },
      },
      {
        data: { values: baselines },
        mark: { type: 'text', align: 'right', dx: -4, color: '#666', fontSize: 10 },
        encoding: { x, y: { field: 'labelY', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Same-gender P_circ histograms

export interface SameGenderValue {
  method: string;
  model: string;
  P_circ: number;
}

/** Same-gender P_circ over seeds, one panel per method (bars stacked by model); left of the rule at
 *  0.5 is the "bad circuit" (it tracks the wrong name), shaded and labelled. */
export function sameGenderSpec(values: SameGenderValue[], title: string): TopLevelSpec {
  const methods = [...new Set(values.map((v) => v.method))];
  // annotations are drawn once per panel, not once per datum
  const once = [{ aggregate: [{ op: 'count' as const, as: 'n' }] }];
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { field: 'method', type: 'nominal', title: null, sort: methods },
    columns: Math.min(4, methods.length),
    spec: {
      width: 170,
      height: 120,
      layer: [
        {
          name: 'bad_region',
          transform: once,
          mark: { type: 'rect', color: '#c33', opacity: 0.07 },
          encoding: { x: { datum: 0, type: 'quantitative' }, x2: { datum: 0.5 } },
        },
        {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'P_circ', type: 'quantitative', bin: { extent: [0, 1], step: 0.05 }, title: 'same-gender P_circ (one per seed)', scale: { domain: [0, 1] } },
            y: { aggregate: 'count', type: 'quantitative', title: 'runs', axis: { tickMinStep: 1 } },
            color: { field: 'model', type: 'nominal', title: 'model' },
          },
        },
        { name: 'half_rule', transform: once, mark: { type: 'rule', color: '#c33', strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x: { datum: 0.5, type: 'quantitative' } } },
        {
          name: 'bad_label',
          transform: once,
          mark: { type: 'text', text: '← bad circuit', align: 'right', baseline: 'top', dx: -3, y: 3, color: '#a22', fontSize: 10 },
          encoding: { x: { datum: 0.5, type: 'quantitative' } },
        },
        { transform: once, mark: { type: 'text', text: '0.5', align: 'left', baseline: 'top', dx: 3, y: 3, color: '#a22', fontSize: 10 }, encoding: { x: { datum: 0.5, type: 'quantitative' } } },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Loss vs size

export interface LossCurve {
  /** Colour group (method, or task on a method's page). */
  series: string;
  /** The run's sweep: (size, loss) along its ranking. */
  points: Array<{ size: number; loss: number }>;
  total: number;
}

export interface LossBand {
  series: string;
  share: number;
  median: number;
  lo: number;
  hi: number;
  runs: number;
}

const GRID_POINTS = 36;

/**
 * Curves of different runs are measured at different sizes, so each is read on one grid of shares
 * (log-spaced, interpolated linearly in log share between its measured points, never extrapolated),
 * then summarised per series: median, min and max over the runs that reach that share.
 */
export function lossBands(curves: readonly LossCurve[]): LossBand[] {
  const readable = curves
    .map((c) => ({ series: c.series, pts: c.points.filter((p) => p.size > 0 && Number.isFinite(p.loss)).map((p) => ({ s: p.size / c.total, loss: p.loss })).sort((a, b) => a.s - b.s) }))
    .filter((c) => c.pts.length > 0);
  if (!readable.length) return [];
  const least = Math.min(...readable.map((c) => c.pts[0].s));
  const most = Math.max(...readable.map((c) => c.pts[c.pts.length - 1].s));
  const grid = least === most ? [least] : Array.from({ length: GRID_POINTS }, (_, i) => least * (most / least) ** (i / (GRID_POINTS - 1)));
  const at = (pts: Array<{ s: number; loss: number }>, g: number): number | null => {
    const eps = 1e-9;
    if (g < pts[0].s * (1 - eps) || g > pts[pts.length - 1].s * (1 + eps)) return null;
    for (let i = 0; i < pts.length; i++) {
      if (Math.abs(pts[i].s - g) <= eps * g) return pts[i].loss;
      if (i + 1 < pts.length && pts[i].s < g && g < pts[i + 1].s) {
        const t = (Math.log(g) - Math.log(pts[i].s)) / (Math.log(pts[i + 1].s) - Math.log(pts[i].s));
        return pts[i].loss + t * (pts[i + 1].loss - pts[i].loss);
      }
    }
    return null;
  };
  const bands: LossBand[] = [];
  for (const series of [...new Set(readable.map((c) => c.series))]) {
    const mine = readable.filter((c) => c.series === series);
    for (const g of grid) {
      const ls = mine.map((c) => at(c.pts, g)).filter((x): x is number => x !== null).sort((a, b) => a - b);
      if (!ls.length) continue;
      const mid = ls.length % 2 ? ls[(ls.length - 1) / 2] : (ls[ls.length / 2 - 1] + ls[ls.length / 2]) / 2;
      bands.push({ series, share: g, median: mid, lo: ls[0], hi: ls[ls.length - 1], runs: ls.length });
    }
  }
  return bands;
}

/** Task loss against circuit share on one model: per series the median over seeds (line) and the
 *  range over seeds (band); the dashed rule is the target loss. */
export function lossSizeSpec(bands: LossBand[], target: number, colour: { title: string; scale?: ReturnType<typeof methodColor> }, title: string): TopLevelSpec {
  const x = { field: 'share', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'circuit size as a share of the model’s nodes (log)', axis: SHARE_AXIS };
  const color = { field: 'series', type: 'nominal' as const, title: colour.title, ...(colour.scale ? { scale: colour.scale } : {}) };
  return {
    $schema: SCHEMA,
    title,
    width: 440,
    height: 260,
    config: { legend: { labelLimit: 220, symbolOpacity: 1 } },
    layer: [
      {
        data: { values: bands },
        mark: { type: 'area', opacity: 0.12 },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', scale: { type: 'symlog', constant: 0.01 }, axis: { values: [0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10], format: '~g' }, title: 'task loss, ablated (median over seeds; band: range)' },
          y2: { field: 'hi' },
          // the band's own channel (fill); vega-lite merges its legend with the lines' colour
          fill: color,
        },
      },
      {
        name: 'medians',
        data: { values: bands },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'median', type: 'quantitative' }, color },
      },
      { name: 'target', data: { values: [{}] }, mark: { type: 'rule', color: '#555', strokeDash: [4, 3] }, encoding: { y: { datum: target, type: 'quantitative' } } },
      { data: { values: [{}] }, mark: { type: 'text', text: `target loss ${target}`, align: 'left', baseline: 'bottom', x: 4, dy: -2, color: '#666', fontSize: 10 }, encoding: { y: { datum: target, type: 'quantitative' } } },
    ],
  };
}
