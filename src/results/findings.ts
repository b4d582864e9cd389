// The seed's findings (DESIGN.md §6, last paragraph) as measurable figures, per method and
// model, from a results folder: what docs/findings.md quotes. Also the size test of the
// scoring itself: Spearman ρ between a run's overall score and its circuit's share of nodes.
import { DEFAULT_AGGREGATE, hashString, mulberry32, percentileBounds, type AggregateOptions } from './aggregate.ts';
import type { RunResult } from './schema.ts';
import { runOverall } from './scoring.ts';
import { histogram, spearman, wilsonInterval } from './stats.ts';

export interface FindingRow {
  method: string;
  baseline: boolean;
  model: string;
  runs: number;
  flagged: number;
  /** circuit size n* (mean over seeds) per task, and as a share of all nodes */
  nStar: Record<string, number | null>;
  share: Record<string, number | null>;
  /** nonsense control at its largest budget: L_circ, L_rand, the share of runs where a prefix within some budget reaches the target */
  nonsenseLCirc: number | null;
  nonsenseLRand: number | null;
  nonsenseSolvedShare: number | null;
  resistance: number | null;
  sameGenderPCirc: number | null;
  sameGenderPModel: number | null;
  badCircuits: number;
  sameGenderRuns: number;
  /** raw scores (before lift) and lifted values */
  raw: Record<string, number | null>;
  lifted: Record<string, number | null>;
  overall: number | null;
}

const mean = (xs: Array<number | null | undefined>): number | null => {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};
const fig = (r: RunResult, check: string, name: string): number | null => {
  const v = r.checks[check]?.figures[name];
  return typeof v === 'number' ? v : null;
};

/** Runs grouped by a key of their fields, joined with NUL (no id contains one). */
function groupBy(runs: readonly RunResult[], key: (r: RunResult) => string[]): Map<string, RunResult[]> {
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) {
    const k = key(r).join('\u0000');
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return groups;
}

export function findings(runs: readonly RunResult[]): FindingRow[] {
  const groups = groupBy(runs, (r) => [r.method.id, r.model.id]);
  const checkIds = [...new Set(runs.flatMap((r) => Object.entries(r.checks).filter(([, c]) => c.role !== 'report').map(([id]) => id)))];
  const tasks = [...new Set(runs.map((r) => r.task))].sort();
  const rows: FindingRow[] = [];
  for (const [k, all] of [...groups.entries()].sort()) {
    const [method, model] = k.split('\u0000');
    const rs = all.filter((r) => !r.flagged);
    const sg = rs.filter((r) => r.checks['same-gender']);
    rows.push({
      method,
      baseline: all.some((r) => r.method.baseline === true),
      model,
      runs: all.length,
      flagged: all.length - rs.length,
      nStar: Object.fromEntries(tasks.map((t) => [t, mean(all.filter((r) => r.task === t).map((r) => r.circuit.size))])),
      share: Object.fromEntries(tasks.map((t) => [t, mean(all.filter((r) => r.task === t).map((r) => r.circuit.size / r.circuit.total_nodes))])),
      nonsenseLCirc: mean(rs.map((r) => fig(r, 'nonsense', 'L_circ'))),
      nonsenseLRand: mean(rs.map((r) => fig(r, 'nonsense', 'L_rand'))),
      nonsenseSolvedShare: mean(rs.filter((r) => r.checks.nonsense).map((r) => (r.checks.nonsense.figures.solved === true ? 1 : 0))),
      resistance: mean(rs.map((r) => r.checks.nonsense?.score)),
      sameGenderPCirc: mean(sg.map((r) => fig(r, 'same-gender', 'P_circ'))),
      sameGenderPModel: mean(sg.map((r) => fig(r, 'same-gender', 'P_model'))),
      badCircuits: sg.filter((r) => r.checks['same-gender'].figures.bad_circuit === true).length,
      sameGenderRuns: sg.length,
      raw: Object.fromEntries(checkIds.map((c) => [c, mean(rs.map((r) => r.checks[c]?.score))])),
      lifted: Object.fromEntries(checkIds.map((c) => [c, mean(rs.map((r) => r.checks[c]?.value))])),
      overall: mean(rs.map(runOverall)),
    });
  }
  return rows;
}

/**
 * The replication's bad-circuit figure, per (method, model, task with a same-gender split): of the
 * verified circuits, the share whose P_circ on same-gender prompts is below 0.5 (they answer the
 * gender opposite to name2 where the model tracks name1), its 95% Wilson interval, and the P_circ
 * histogram. Flagged circuits are counted apart, never as good or bad.
 */
export interface BadCircuitShare {
  method: string;
  baseline: boolean;
  model: string;
  task: string;
  /** verified circuits with a same-gender result */
  runs: number;
  flagged: number;
  bad: number;
  share: number | null;
  interval: [number, number] | null;
  p_model: number | null;
  p_circ: number[];
  /** P_circ in 10 equal bins over [0, 1] */
  histogram: { edges: number[]; counts: number[] };
}

export const BAD_CIRCUIT_BINS = 10;

export function badCircuitShares(runs: readonly RunResult[]): BadCircuitShare[] {
  const groups = groupBy(runs, (r) => [r.method.id, r.model.id, r.task]);
  const withCheck = new Set(runs.filter((r) => r.checks['same-gender']).map((r) => r.task));
  const out: BadCircuitShare[] = [];
  for (const [k, all] of [...groups.entries()].sort()) {
    const [method, model, task] = k.split('\u0000');
    const scored = all.filter((r) => !r.flagged && r.checks['same-gender']);
    const flagged = all.filter((r) => r.flagged).length;
    // a task no run has a same-gender result on (no such split) is not part of the figure
    if (!withCheck.has(task)) continue;
    const pCirc = scored.map((r) => fig(r, 'same-gender', 'P_circ')).filter((x): x is number => x !== null);
    const bad = scored.filter((r) => r.checks['same-gender'].figures.bad_circuit === true).length;
    const h = histogram(pCirc, BAD_CIRCUIT_BINS, [0, 1]);
    out.push({
      method,
      baseline: all.some((r) => r.method.baseline === true),
      model,
      task,
      runs: scored.length,
      flagged,
      bad,
      share: scored.length ? bad / scored.length : null,
      interval: wilsonInterval(bad, scored.length),
      p_model: mean(scored.map((r) => fig(r, 'same-gender', 'P_model'))),
      p_circ: pCirc,
      histogram: { edges: h.edges, counts: h.counts },
    });
  }
  return out;
}

const BARS = ' ▁▂▃▄▅▆▇█';

/** The bad-circuit table as markdown, with each cell's P_circ histogram as a row of bars (0 → 1). */
export function badCircuitMarkdown(rows: readonly BadCircuitShare[]): string {
  if (!rows.length) return '';
  const head = ['method', 'model', 'task', 'verified (flagged)', 'bad circuits', 'share [95% Wilson]', 'P_model', `P_circ histogram, ${BAD_CIRCUIT_BINS} bins 0 → 1 (counts)`];
  const lines = rows.map((r) => {
    const max = Math.max(1, ...r.histogram.counts);
    const bars = r.histogram.counts.map((c) => (c === 0 ? '·' : BARS[Math.max(1, Math.round((c / max) * 8))])).join('');
    return [
      r.baseline ? `${r.method} (baseline)` : r.method,
      r.model,
      r.task,
      `${r.runs} (${r.flagged})`,
      `${r.bad}/${r.runs}`,
      r.share === null ? '—' : `${r.share.toFixed(2)} [${r.interval![0].toFixed(2)}, ${r.interval![1].toFixed(2)}]`,
      f(r.p_model),
      `\`${bars}\` (${r.histogram.counts.join(' ')})`,
    ];
  });
  return `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n` + lines.map((l) => `| ${l.join(' | ')} |`).join('\n') + '\n';
}

export interface SizeCorrelation {
  /** ρ(run overall, circuit share) over every scored run, baselines included: the size test */
  rho: number | null;
  /**
   * 95% percentile-bootstrap interval of rho, resampling runs with replacement (2000 resamples,
   * seeded): with ~100 runs a ρ near the 0.3 bar cannot be told from it by the point alone.
   */
  rho_interval: [number, number] | null;
  runs: number;
  /** the same without the reference baselines (which score 0 by construction and are large) */
  rho_methods: number | null;
  rho_methods_interval: [number, number] | null;
  runs_methods: number;
  /** ρ(check value, circuit share) per scored check, methods only: which check carries the size */
  per_check: Record<string, number | null>;
  /**
   * Within one (method, model, task) the seeds give circuits of different sizes: the mean over
   * such cells (≥ 4 scored seeds, methods only) of ρ(overall, share) asks whether a bigger circuit
   * from the SAME method scores better — size buying score — apart from differences between
   * methods (which may be the very thing measured: conservative ablations learn larger circuits).
   */
  rho_within: number | null;
  cells_within: number;
}

/** Cells with fewer scored seeds than this are left out of rho_within (a ρ over 3 points is ±1 by chance too often). */
export const WITHIN_CELL_MIN_RUNS = 4;

/** Below this many runs no interval is given for ρ: a bootstrap of a handful of points says little. */
export const RHO_INTERVAL_MIN_RUNS = 10;

/** Pairs bootstrap of Spearman ρ: percentile interval at `level`; null below RHO_INTERVAL_MIN_RUNS points or when ρ is undefined. */
export function spearmanInterval(xs: readonly number[], ys: readonly number[], key: string, opts: Required<AggregateOptions> = DEFAULT_AGGREGATE): [number, number] | null {
  if (xs.length < RHO_INTERVAL_MIN_RUNS || spearman(xs, ys) === null) return null;
  const rng = mulberry32(hashString(`${opts.seed}|spearman|${key}`));
  const rhos: number[] = [];
  const bx = new Array<number>(xs.length);
  const by = new Array<number>(xs.length);
  for (let b = 0; b < opts.resamples; b++) {
    for (let i = 0; i < xs.length; i++) {
      const j = Math.floor(rng() * xs.length);
      bx[i] = xs[j];
      by[i] = ys[j];
    }
    const r = spearman(bx, by);
    if (r !== null) rhos.push(r); // a resample with no variance has no ρ; it is left out
  }
  return rhos.length ? percentileBounds(rhos, opts.level) : null;
}

/** The size test: Spearman ρ between a run's overall and its circuit's share of nodes. */
export function sizeCorrelation(runs: readonly RunResult[]): SizeCorrelation {
  const share = (r: RunResult) => r.circuit.size / r.circuit.total_nodes;
  const pts = runs.filter((r) => !r.flagged && runOverall(r) !== null);
  const methods = pts.filter((r) => r.method.baseline !== true);
  const checkIds = [...new Set(methods.flatMap((r) => Object.entries(r.checks).filter(([, c]) => c.role !== 'report').map(([id]) => id)))];
  const perCheck = Object.fromEntries(
    checkIds.map((id) => {
      const xs = methods.filter((r) => r.checks[id]?.value !== null && r.checks[id]?.value !== undefined);
      return [id, spearman(xs.map((r) => r.checks[id].value!), xs.map(share))];
    }),
  );
  const cells = groupBy(methods, (r) => [r.method.id, r.model.id, r.task]);
  const within = [...cells.values()]
    .filter((c) => c.length >= WITHIN_CELL_MIN_RUNS)
    .map((c) => spearman(c.map((r) => runOverall(r)!), c.map(share)))
    .filter((x): x is number => x !== null && Number.isFinite(x));
  const all = { overall: pts.map((r) => runOverall(r)!), share: pts.map(share) };
  const own = { overall: methods.map((r) => runOverall(r)!), share: methods.map(share) };
  return {
    rho: spearman(all.overall, all.share),
    rho_interval: spearmanInterval(all.overall, all.share, 'all'),
    runs: pts.length,
    rho_methods: spearman(own.overall, own.share),
    rho_methods_interval: spearmanInterval(own.overall, own.share, 'methods'),
    runs_methods: methods.length,
    per_check: perCheck,
    rho_within: within.length ? within.reduce((a, b) => a + b, 0) / within.length : null,
    cells_within: within.length,
  };
}

const f = (x: number | null, d = 3) => (x === null ? '—' : x.toFixed(d));

export function findingsMarkdown(rows: readonly FindingRow[], runs: readonly RunResult[]): string {
  const tasks = [...new Set(rows.flatMap((r) => Object.keys(r.nStar)))].sort();
  const checks = [...new Set(rows.flatMap((r) => Object.keys(r.lifted)))];
  const head = ['method', 'model', 'runs (flagged)', ...tasks.map((t) => `n* ${t} (share)`), 'nonsense L_circ / L_rand (largest budget)', 'nonsense solved', 'same-gender P_circ (model)', 'bad circuits', ...checks.map((c) => `${c} raw → lifted`), 'overall'];
  const lines = rows.map((r) => [
    r.baseline ? `${r.method} (baseline)` : r.method,
    r.model,
    `${r.runs} (${r.flagged})`,
    ...tasks.map((t) => `${f(r.nStar[t], 0)} (${r.share[t] === null ? '—' : (100 * r.share[t]!).toFixed(1)}%)`),
    `${f(r.nonsenseLCirc, 2)} / ${f(r.nonsenseLRand, 2)}`,
    f(r.nonsenseSolvedShare, 2),
    `${f(r.sameGenderPCirc)} (${f(r.sameGenderPModel)})`,
    r.sameGenderRuns ? `${r.badCircuits}/${r.sameGenderRuns}` : '—',
    ...checks.map((c) => `${f(r.raw[c], 2)} → ${f(r.lifted[c], 2)}`),
    f(r.overall),
  ]);
  const sc = sizeCorrelation(runs);
  const perCheck = Object.entries(sc.per_check).map(([id, r]) => `${id} ${f(r, 2)}`).join(', ');
  const iv = (x: [number, number] | null) => (x ? ` [${f(x[0])}, ${f(x[1])}]` : '');
  return (
    `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n` +
    lines.map((l) => `| ${l.join(' | ')} |`).join('\n') +
    `\n\nSize test: Spearman ρ(run overall, circuit share) = ${f(sc.rho)}${iv(sc.rho_interval)} over ${sc.runs} scored runs (|ρ| ≤ 0.3 required; 95% bootstrap over runs); ` +
    `methods only ${f(sc.rho_methods)}${iv(sc.rho_methods_interval)} over ${sc.runs_methods}; within a (method, model, task) across seeds ${f(sc.rho_within)} ` +
    `(mean over ${sc.cells_within} cells); per check (methods only, value vs share): ${perCheck || '—'}.\n`
  );
}
