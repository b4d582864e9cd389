// Plots for the static site: vega-lite specs compiled to vega and rendered to SVG at build time
// (a headless vega View needs no canvas and no browser), so the published site carries no
// plotting library. The site embeds the SVGs with <img>, so even a malicious label in an SVG
// could not run script in the page.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

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

export interface ParetoPoint {
  method: string;
  model: string;
  /** n* / total nodes (mean over seeds). */
  fraction: number;
  /** Overall faithfulness (mean over seeds) and its interval; lo/hi are null with too few seeds for one. */
  overall: number;
  lo: number | null;
  hi: number | null;
}

/** Size vs faithfulness: each (method, model) one point, with its 95% interval as a vertical rule
 *  where one is claimed. Up and to the left is better; a small circuit is not better by itself. */
export function paretoSpec(points: ParetoPoint[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 460,
    height: 280,
    data: { values: points },
    encoding: {
      x: { field: 'fraction', type: 'quantitative', title: 'circuit size n* / total nodes', scale: { type: 'log' }, axis: { format: '.1%' } },
      color: { field: 'method', type: 'nominal', title: 'method' },
    },
    layer: [
      {
        transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          y: { field: 'overall', type: 'quantitative', title: 'overall (mean of lifted checks × control)', scale: { domain: [0, 1] } },
          shape: { field: 'model', type: 'nominal', title: 'model' },
        },
      },
    ],
  };
}

/** Same-gender P_circ across runs, one panel per method; the rule at 0.5 separates the bad circuit. */
export function sameGenderSpec(values: Array<{ method: string; P_circ: number }>, title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { column: { field: 'method', type: 'nominal', title: null } },
    spec: {
      width: 150,
      height: 120,
      layer: [
        {
          mark: { type: 'bar', color: '#4c78a8' },
          encoding: {
            x: { field: 'P_circ', type: 'quantitative', bin: { extent: [0, 1], step: 0.05 }, title: 'same-gender P_circ' },
            y: { aggregate: 'count', type: 'quantitative', title: 'runs' },
          },
        },
        { mark: { type: 'rule', color: '#c33', strokeDash: [4, 3] }, data: { values: [{ x: 0.5 }] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      ],
    },
  };
}

export interface LossSizePoint {
  /** Colour group (task or method). */
  series: string;
  /** One line per run. */
  run: string;
  size: number;
  loss: number;
}

/** Task loss vs circuit size along each run's sweep, log size; the dashed rule is the target loss. */
export function lossSizeSpec(points: LossSizePoint[], target: number, seriesTitle: string, title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 460,
    height: 260,
    layer: [
      {
        data: { values: points.filter((p) => p.size > 0) },
        mark: { type: 'line', point: true, opacity: 0.75 },
        encoding: {
          x: { field: 'size', type: 'quantitative', scale: { type: 'log' }, title: 'circuit size (nodes)' },
          y: { field: 'loss', type: 'quantitative', scale: { type: 'symlog' }, title: 'task loss (ablated)' },
          color: { field: 'series', type: 'nominal', title: seriesTitle },
          detail: { field: 'run', type: 'nominal' },
          order: { field: 'size', type: 'quantitative' },
        },
      },
      { data: { values: [{ y: target }] }, mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  };
}
