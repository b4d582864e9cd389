// Leaderboard aggregation: one row per (method, model) and one per method over all models.
//
// The unit of uncertainty is the seed (DESIGN §6): for each seed, a figure is averaged over the
// runs of that seed (tasks, and models for the all-models row), and the interval is a percentile
// bootstrap over those per-seed values. The bootstrap is seeded, so the same results always give
// the same leaderboard (a bundle's aggregate can be recomputed exactly).
import { mean, quantileSorted, sampleWithReplacement } from 'simple-statistics';
import {
  SCHEMA_VERSION,
  SCORING_VERSION,
  MIN_SEEDS_FOR_INTERVAL,
  type CheckColumn,
  type Interval,
  type Leaderboard,
  type LeaderboardRow,
  type RunResult,
} from './schema.ts';
import { runOverall } from './scoring.ts';
import { wilsonInterval } from './stats.ts';

export interface AggregateOptions {
  resamples?: number;
  level?: number;
  seed?: number;
}

export const DEFAULT_AGGREGATE: Required<AggregateOptions> = { resamples: 2000, level: 0.95, seed: 20250101 };

/** mulberry32: a tiny, well-mixed 32-bit PRNG; enough for resampling indices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to derive a per-figure bootstrap seed from its name: row order then cannot change results. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mean with a percentile-bootstrap interval; null when there is no value. */
export function bootstrapInterval(values: number[], key: string, opts: Required<AggregateOptions>): Interval | null {
  if (values.length === 0) return null;
  const m = mean(values);
  // with few seeds a percentile bootstrap is only the seeds' min–max: no interval is claimed
  if (values.length < MIN_SEEDS_FOR_INTERVAL) return { mean: m, lo: null, hi: null, n: values.length };
  const rng = mulberry32(hashString(`${opts.seed}|${key}`));
  const means: number[] = new Array(opts.resamples);
  for (let b = 0; b < opts.resamples; b++) means[b] = mean(sampleWithReplacement(values, values.length, rng));
  const [lo, hi] = percentileBounds(means, opts.level);
  return { mean: m, lo, hi, n: values.length };
}

/** The central `level` percentile interval of bootstrap statistics (sorts them in place). */
export function percentileBounds(stats: number[], level: number): [number, number] {
  stats.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(stats, tail), quantileSorted(stats, 1 - tail)];
}

/** Per seed, the mean of `pick` over that seed's runs where it is defined; seeds with none are left out. */
function perSeed(runs: RunResult[], pick: (r: RunResult) => number | null | undefined): number[] {
  const bySeed = new Map<number, number[]>();
  for (const r of runs) {
    const v = pick(r);
    if (v === null || v === undefined) continue;
    const list = bySeed.get(r.seed) ?? [];
    list.push(v);
    bySeed.set(r.seed, list);
  }
  return [...bySeed.keys()].sort((a, b) => a - b).map((s) => mean(bySeed.get(s)!));
}

const uniqSorted = <T extends string | number>(xs: T[]): T[] =>
  [...new Set(xs)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));

/** The checks the runs declare, in first-seen order (results carry their checks' titles and roles). */
export function checkColumns(runs: readonly RunResult[]): CheckColumn[] {
  const cols = new Map<string, CheckColumn>();
  for (const r of runs) for (const [id, c] of Object.entries(r.checks)) if (!cols.has(id)) cols.set(id, { id, title: c.title, role: c.role });
  return [...cols.values()];
}

function row(method: string, model: string | null, runs: RunResult[], columns: CheckColumn[], opts: Required<AggregateOptions>): LeaderboardRow {
  const key = `${method}|${model ?? '*'}`;
  const iv = (name: string, pick: (r: RunResult) => number | null | undefined) => bootstrapInterval(perSeed(runs, pick), `${key}|${name}`, opts);
  // flagged runs (circuit failed verification) are kept out of every score
  const scored = runs.filter((r) => !r.flagged);
  const ivScored = (name: string, pick: (r: RunResult) => number | null | undefined) => bootstrapInterval(perSeed(scored, pick), `${key}|${name}`, opts);
  const scoring = columns.filter((c) => c.role !== 'report');
  const sg = scored.filter((r) => r.checks['same-gender']);
  const badCount = sg.filter((r) => r.checks['same-gender'].figures.bad_circuit === true).length;
  return {
    method,
    baseline: runs.some((r) => r.method.baseline === true),
    model,
    seeds: uniqSorted(runs.map((r) => r.seed)),
    tasks: uniqSorted(runs.map((r) => r.task)),
    models: uniqSorted(runs.map((r) => r.model.id)),
    n_runs: runs.length,
    n_flagged: runs.length - scored.length,
    overall: ivScored('overall', runOverall),
    checks: Object.fromEntries(scoring.map((c) => [c.id, ivScored(c.id, (r) => r.checks[c.id]?.value)])),
    raw: Object.fromEntries(scoring.map((c) => [c.id, ivScored(`raw|${c.id}`, (r) => r.checks[c.id]?.score)])),
    size: { n_star: iv('n_star', (r) => r.circuit.size), fraction: iv('fraction', (r) => r.circuit.size / r.circuit.total_nodes) },
    bad_circuit_share: sg.length ? badCount / sg.length : null,
    // as every interval on the board: claimed only from MIN_SEEDS_FOR_INTERVAL seeds up
    bad_circuit_interval: new Set(sg.map((r) => r.seed)).size >= MIN_SEEDS_FOR_INTERVAL ? wilsonInterval(badCount, sg.length) : null,
    bad_circuit_runs: sg.length,
    wall_time_s: runs.reduce((a, r) => a + r.provenance.wall_time_s, 0),
  };
}

const byOverall = (a: LeaderboardRow, b: LeaderboardRow): number =>
  (b.overall?.mean ?? -Infinity) - (a.overall?.mean ?? -Infinity) || a.method.localeCompare(b.method) || (a.model ?? '').localeCompare(b.model ?? '');

/** Methods best first by their all-models overall (no score last, ties by name); within a method its
 *  all-models row, then its models best first. Keeps each method's rows together for reading. */
function orderRows(rows: LeaderboardRow[]): LeaderboardRow[] {
  const methodOrder = rows.filter((r) => r.model === null).sort(byOverall).map((r) => r.method);
  return methodOrder.flatMap((m) => {
    const mine = rows.filter((r) => r.method === m);
    return [...mine.filter((r) => r.model === null), ...mine.filter((r) => r.model !== null).sort(byOverall)];
  });
}

export function aggregate(results: RunResult[], options: AggregateOptions = {}): Leaderboard {
  const opts = { ...DEFAULT_AGGREGATE, ...options };
  // Float sums depend on order; a canonical order makes the leaderboard a function of the set of runs.
  const sorted = [...results].sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0));
  const byMethod = new Map<string, RunResult[]>();
  for (const r of sorted) byMethod.set(r.method.id, [...(byMethod.get(r.method.id) ?? []), r]);
  const columns = checkColumns(sorted);
  const rows: LeaderboardRow[] = [];
  for (const [method, runs] of byMethod) {
    rows.push(row(method, null, runs, columns, opts));
    for (const model of uniqSorted(runs.map((r) => r.model.id))) {
      rows.push(row(method, model, runs.filter((r) => r.model.id === model), columns, opts));
    }
  }
  return {
    schema_version: SCHEMA_VERSION,
    scoring_version: SCORING_VERSION,
    bootstrap: { resamples: opts.resamples, level: opts.level, seed: opts.seed },
    columns,
    rows: orderRows(rows),
  };
}
