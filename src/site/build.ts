// `faithbench site build`: results/*.json → a static folder that works from any static host.
//
// Everything a page shows is computed here into plain strings (view models); the handlebars
// templates in site/templates only place them, always with `{{ }}` so every string is
// HTML-escaped. Two helpers emit markup: jsonScript (the viewer's embedded JSON, which escapes
// `<`, `>` and `&` itself so that data can never close its <script> element) and html (only a
// RenderedHtml, which src/site/markdown.ts makes from escaped text).
//
// The site is built into a temporary sibling folder and swapped in, so a server reading the old
// site during a rebuild never sees a half-written one.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import Handlebars from 'handlebars';
import { aggregate } from '../results/aggregate.ts';
import { nullReference, OVERALL_FORMULA, ROLE_FORMULA, runOverall } from '../results/scoring.ts';
import {
  MIN_SEEDS_FOR_INTERVAL,
  type CheckColumn,
  type CheckResult,
  type Interval,
  type LeaderboardRow,
  type MethodCard,
  type RunResult,
} from '../results/schema.ts';
import { UserError } from '../util/errors.ts';
import { groupId, layoutCircuit, type CircuitLayout } from './layout.ts';
import { loadResults, type LoadedResults, type LoadedRun } from './load.ts';
import { RenderedHtml, renderInline, renderMarkdown, type RenderedDoc } from './markdown.ts';
import { lossBands, lossSizeSpec, methodColor, paretoSpec, renderSvg, sameGenderSpec, type LossCurve, type ParetoPoint, type SameGenderValue } from './plots.ts';
import { citations, commitGroups, releaseOf, shortCommit, type Release } from './release.ts';
import { fileSafe, toCsv, toJson, type CellValue, type Downloads, type TableExport } from './tables.ts';

const SITE_SRC = fileURLToPath(new URL('../../site/', import.meta.url));
const DOCS_SRC = fileURLToPath(new URL('../../docs/', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
/** Marks a folder as ours: only such a folder (or an empty one) is ever replaced by a build. */
export const SITE_MARKER = '.faithbench-site';

/** Where the checks are defined in the repository; the site renders it as docs/suite.html. */
export const CHECKS_DOC = 'docs/suite.md';

// The site takes the checks (ids, titles, roles) from the results. Only these features read a
// particular check's figures, and each is left out when that check is absent: the loss-vs-size
// plots (the size check's sweep), the same-gender P_circ histograms and the bad-circuit column,
// and the viewer's per-node r and attention divergence (the roles check).
const SIZE_CHECK = 'size';
const SAME_GENDER_CHECK = 'same-gender';
const ROLES_CHECK = 'roles';

export interface BuildOptions {
  resultsDir: string;
  outDir: string;
  /** What each check is, by id (the CLI passes the registered checks' descriptions; the site imports no suite code). */
  checkDescriptions?: Readonly<Record<string, string>>;
  /** The build time the release label shows (default: now). */
  builtAt?: Date;
}

export interface BuildReport {
  outDir: string;
  runs: number;
  pages: number;
  /** One line per results file that was skipped. */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------
// Formatting: every number on the site goes through these, so pages agree with each other.

const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined ? '—' : x.toFixed(digits));
const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(digits)}%`);

function fmtDuration(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** A table cell: shown text, its interval (or n when there are too few seeds for one), an optional
 *  second line (the raw score under a lifted value), a tooltip, and the value a column sort uses
 *  ('' sorts last). */
interface Cell {
  text: string;
  range: string;
  sort: string;
  raw: string;
  title: string;
}

const EMPTY: Cell = { text: '—', range: '', sort: '', raw: '', title: '' };

/** `[lo, hi]` when the interval is claimed; `n=3` when there are too few seeds for one. */
function rangeText(iv: Interval, format: (x: number) => string): string {
  return iv.lo !== null && iv.hi !== null ? `[${format(iv.lo)}, ${format(iv.hi)}]` : `n=${iv.n}`;
}

function cell(iv: Interval | null | undefined, format: (x: number) => string = (x) => fmt(x)): Cell {
  if (!iv) return EMPTY;
  return { text: format(iv.mean), range: rangeText(iv, format), sort: String(iv.mean), raw: '', title: '' };
}

/** Only http(s) URLs become links; anything else (javascript:, data:, relative paths) stays inert text. */
export function safeHref(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** JSON for a <script type="application/json"> element: no character of the data can end the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
const sortedUniq = (xs: string[]): string[] => uniq(xs).sort((a, b) => a.localeCompare(b));
const meanOf = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** A figure of a check, read defensively (figures are free-form JSON). */
function figure(run: RunResult, check: string, key: string): unknown {
  return Object.hasOwn(run.checks, check) ? run.checks[check].figures[key] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Checks as the results declare them

const ROLE_TEXT: Record<CheckColumn['role'], string> = {
  lifted: 'lifted: credited only beyond size-matched random circuits; the overall is the mean of these',
  control: 'control: multiplies the overall',
  report: 'report: shown beside the score, never folded in',
};

/** Why each role enters the overall as it does (DESIGN §6, the scoring principles). */
const ROLE_WHY: Record<CheckColumn['role'], string> = {
  lifted:
    'A check that credited whatever a circuit does would be bought by size: the whole model passes every check. Only what the circuit does beyond random circuits of its own size counts, so the whole model scores 0 and a random circuit about 0.',
  control:
    'A method that can make a few nodes do what the model never does can make any circuit look good. Its circuits are discounted, however good they look, so the control multiplies instead of adding.',
  report: 'Context, not merit: a small circuit is not a better one, so this is shown beside the score and never folded into it.',
};

interface ColumnView {
  id: string;
  title: string;
  role: CheckColumn['role'];
  control: boolean;
  hint: string;
}

/**
 * One order of the checks for every page: the suite writes a run's checks in the registry's order,
 * so the order of the run that carries the most checks, then any other id as first seen.
 */
function checkOrder(runs: readonly RunResult[]): string[] {
  const fullest = runs.reduce<RunResult | null>((best, r) => (!best || Object.keys(r.checks).length > Object.keys(best.checks).length ? r : best), null);
  return uniq([...(fullest ? Object.keys(fullest.checks) : []), ...runs.flatMap((r) => Object.keys(r.checks))]);
}

/** Columns in the site's check order. */
function ordered(columns: readonly CheckColumn[], order: readonly string[]): CheckColumn[] {
  const at = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  return [...columns].sort((a, b) => at(a.id) - at(b.id));
}

/** The scored checks of a leaderboard as table columns: lifted ones, then controls (overall = mean × controls). */
function scoreColumns(columns: readonly CheckColumn[], order: readonly string[]): ColumnView[] {
  const sorted = ordered(columns, order);
  const scored = [...sorted.filter((c) => c.role === 'lifted'), ...sorted.filter((c) => c.role === 'control')];
  return scored.map((c) => ({
    id: c.id,
    title: c.title,
    role: c.role,
    control: c.role === 'control',
    hint: c.role === 'lifted' ? `${c.title} (${c.id}): lift over size-matched random circuits; the raw score is under it` : `${c.title} (${c.id}): a negative control that multiplies the overall`,
  }));
}

function checkCell(col: ColumnView, value: Interval | null | undefined, raw: Interval | null | undefined): Cell {
  if (!value) return raw ? { ...EMPTY, raw: fmt(raw.mean), title: `raw score ${fmt(raw.mean)} (${rangeText(raw, (x) => fmt(x))})` } : EMPTY;
  const base = cell(value);
  if (col.control) return { ...base, text: `×${base.text}`, title: `${col.title}: multiplies the overall by ${fmt(value.mean)} (${base.range})` };
  return {
    ...base,
    raw: raw ? fmt(raw.mean) : '',
    title: `${col.title}: lift ${fmt(value.mean)} (${base.range})${raw ? `; raw score ${fmt(raw.mean)} (${rangeText(raw, (x) => fmt(x))})` : ''}`,
  };
}

// ---------------------------------------------------------------------------------------------
// View models

interface Link {
  text: string;
  href: string;
}

interface Footer {
  runs: number;
  backends: string;
  tfjs: string;
  packages: string;
  commits: string;
  mixed: boolean;
  dates: string;
  wall: string;
  generator: string;
}

interface Page {
  title: string;
  /** Relative path from this page to the site root ('' or '../'). */
  root: string;
  synthetic: boolean;
  nav: { methods: Link[]; tasks: Link[]; models: Link[] };
  release: Release;
  footer: Footer;
}

interface LbRowView {
  method: string;
  methodHref: string;
  baseline: boolean;
  model: string | null;
  modelHref: string;
  task: string | null;
  overall: Cell;
  checks: Cell[];
  nStar: Cell;
  fraction: Cell;
  badShare: Cell;
  seeds: string;
  nRuns: number;
  nFlagged: number;
  submitted: boolean;
}

interface Plot {
  src: string;
  alt: string;
}

function footerFor(runs: RunResult[], generator: string): Footer {
  const p = runs.map((r) => r.provenance);
  const list = (xs: string[]) => (xs.length ? sortedUniq(xs).join(', ') : '—');
  const dates = p.map((x) => x.date).sort();
  const commits = commitGroups(runs);
  return {
    runs: runs.length,
    backends: list(p.map((x) => x.backend)),
    tfjs: list(p.map((x) => x.tfjs_version)),
    packages: list(p.map((x) => x.package_version)),
    commits: commits.length ? commits.map((c) => `${c.short} (${c.runs} run${c.runs === 1 ? '' : 's'})`).join(', ') : '—',
    mixed: commits.length > 1,
    dates: dates.length ? (dates[0] === dates[dates.length - 1] ? dates[0] : `${dates[0]} – ${dates[dates.length - 1]}`) : '—',
    wall: fmtDuration(p.reduce((a, x) => a + x.wall_time_s, 0)),
    generator,
  };
}

function lbRowView(row: LeaderboardRow, columns: ColumnView[], root: string, submitted: Set<string>, task: string | null = null): LbRowView {
  return {
    method: row.method,
    methodHref: `${root}methods/${row.method}.html`,
    baseline: row.baseline,
    model: row.model,
    modelHref: row.model ? `${root}models/${row.model}.html` : '',
    task,
    overall: cell(row.overall),
    checks: columns.map((c) => checkCell(c, row.checks[c.id], row.raw[c.id])),
    nStar: cell(row.size.n_star, (x) => x.toFixed(1)),
    fraction: cell(row.size.fraction, (x) => pct(x, 2)),
    badShare:
      row.bad_circuit_share === null
        ? EMPTY
        : {
            ...EMPTY,
            text: pct(row.bad_circuit_share, 0),
            // the interval goes in the tooltip: the table must fit 1280 px beside every check column
            title: `${Math.round(row.bad_circuit_share * row.bad_circuit_runs)} of ${row.bad_circuit_runs} verified circuits answer the gender opposite to name2 on same-gender prompts; ${row.bad_circuit_interval ? `95% Wilson interval [${pct(row.bad_circuit_interval[0], 0)}, ${pct(row.bad_circuit_interval[1], 0)}]` : 'too few seeds for an interval'}`,
            sort: String(row.bad_circuit_share),
          },
    seeds: row.seeds.join(', '),
    nRuns: row.n_runs,
    nFlagged: row.n_flagged,
    submitted: submitted.has(row.method),
  };
}

/** A leaderboard table's rows as data: every interval's mean, lo, hi and n, full precision. */
function lbExport(rows: Array<{ row: LeaderboardRow; task: string | null }>, columns: ColumnView[], submitted: Set<string>): Array<Record<string, CellValue>> {
  const iv = (name: string, x: Interval | null | undefined): Record<string, CellValue> => ({ [name]: x?.mean ?? null, [`${name}_lo`]: x?.lo ?? null, [`${name}_hi`]: x?.hi ?? null, [`${name}_seeds`]: x?.n ?? null });
  return rows.map(({ row, task }) => ({
    method: row.method,
    baseline: row.baseline,
    submitted: submitted.has(row.method),
    ...(task !== null ? { task } : {}),
    model: row.model,
    ...iv('overall', row.overall),
    ...Object.assign({}, ...columns.map((c) => ({ ...iv(c.id, row.checks[c.id]), ...(c.role === 'lifted' ? { [`${c.id}_raw`]: row.raw[c.id]?.mean ?? null } : {}) }))),
    ...iv('n_star', row.size.n_star),
    share: row.size.fraction?.mean ?? null,
    bad_circuit_share: row.bad_circuit_share,
    seeds: row.seeds.join(' '),
    runs: row.n_runs,
    flagged_runs: row.n_flagged,
  }));
}

function paretoPoints(rows: LeaderboardRow[]): ParetoPoint[] {
  return rows
    .filter((r) => r.model !== null && r.overall && r.size.fraction && r.size.fraction.mean > 0)
    .map((r) => ({ method: r.method, model: r.model!, baseline: r.baseline, fraction: r.size.fraction!.mean, overall: r.overall!.mean, lo: r.overall!.lo, hi: r.overall!.hi }));
}

/** Mean over runs, with min–max when they differ; for booleans, how many are true. Counts (all
 *  values integers, e.g. sizes and budgets) read as counts unless `scores` says they are scores. */
function stat(xs: unknown[], scores = false, digits = 3): { text: string; range: string } {
  const nums = xs.filter(isNum);
  if (nums.length) {
    const m = meanOf(nums)!;
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    // counts (sizes, budgets) read as counts: integers as they are, their mean to one decimal
    if (!scores && nums.every(Number.isInteger)) return lo === hi ? { text: String(lo), range: '' } : { text: m.toFixed(1), range: `(${lo}–${hi})` };
    return lo === hi ? { text: fmt(m, digits), range: '' } : { text: fmt(m, digits), range: `(${fmt(lo, digits)}–${fmt(hi, digits)})` };
  }
  const bools = xs.filter((x): x is boolean => typeof x === 'boolean');
  if (bools.length) return { text: `${bools.filter(Boolean).length}/${bools.length}`, range: '' };
  return { text: '—', range: '' };
}

/** The same figures as data: mean, min and max of numbers; count true and n of yes/no figures. */
function statData(name: string, xs: unknown[]): Record<string, CellValue> {
  const nums = xs.filter(isNum);
  if (nums.length) return { [`${name}_mean`]: meanOf(nums), [`${name}_min`]: Math.min(...nums), [`${name}_max`]: Math.max(...nums) };
  const bools = xs.filter((x): x is boolean => typeof x === 'boolean');
  if (bools.length) return { [`${name}_true`]: bools.filter(Boolean).length, [`${name}_n`]: bools.length };
  return { [`${name}_mean`]: null };
}

/** The figures of a check that fit a table cell: numbers and booleans, in first-seen order. */
function scalarKeys(results: CheckResult[]): string[] {
  const keys: string[] = [];
  for (const c of results) for (const [k, v] of Object.entries(c.figures)) if ((isNum(v) || typeof v === 'boolean') && !keys.includes(k)) keys.push(k);
  return keys;
}

interface RawTable {
  id: string;
  title: string;
  role: string;
  defHref: string;
  headers: string[];
  rows: Array<{ model: string; task: string; runs: number; cells: Array<{ text: string; range: string }> }>;
  data: Array<Record<string, CellValue>>;
  downloads?: Downloads;
}

/** Raw figures per check for one method: per (model, task), each figure's mean over seeds (min–max when they differ). */
function rawTables(runs: RunResult[], columns: readonly CheckColumn[], models: string[], tasks: string[], root: string): RawTable[] {
  return columns
    .map((col) => {
      const results = runs.flatMap((r) => (Object.hasOwn(r.checks, col.id) ? [r.checks[col.id]] : []));
      const keys = scalarKeys(results);
      const scored = col.role !== 'report';
      const lifted = col.role === 'lifted';
      const headers = [...(scored ? ['score'] : []), ...(lifted ? ['best random', 'random mean', 'lift'] : []), ...keys];
      const rows: RawTable['rows'] = [];
      const data: RawTable['data'] = [];
      for (const model of models) {
        for (const task of tasks) {
          const cs = runs.filter((r) => r.model.id === model && r.task === task && Object.hasOwn(r.checks, col.id)).map((r) => r.checks[col.id]);
          if (!cs.length) continue;
          const best = cs.map((c) => nullReference(c.random?.scores ?? null));
          rows.push({
            model,
            task,
            runs: cs.length,
            cells: [
              ...(scored ? [stat(cs.map((c) => c.score), true)] : []),
              ...(lifted ? [stat(best, true), stat(cs.map((c) => c.random?.mean), true), stat(cs.map((c) => c.value), true)] : []),
              ...keys.map((k) => stat(cs.map((c) => c.figures[k]))),
            ],
          });
          data.push({
            model,
            task,
            runs: cs.length,
            ...(scored ? statData('score', cs.map((c) => c.score)) : {}),
            ...(lifted ? { ...statData('best_random', best), ...statData('random_mean', cs.map((c) => c.random?.mean)), ...statData('lift', cs.map((c) => c.value)) } : {}),
            ...Object.assign({}, ...keys.map((k) => statData(k, cs.map((c) => c.figures[k])))),
          });
        }
      }
      return { id: col.id, title: col.title, role: ROLE_TEXT[col.role], defHref: `${root}checks.html#check-${col.id}`, headers, rows, data };
    })
    .filter((t) => t.rows.length);
}

interface RunLinkView {
  href: string;
  method: string;
  baseline: boolean;
  model: string;
  task: string;
  seed: number;
  size: number;
  share: string;
  shareSort: string;
  overall: Cell;
  flagged: boolean;
  submitted: boolean;
  commit: string;
  rowClass: string;
}

function runLink(l: LoadedRun, root: string): RunLinkView {
  const o = runOverall(l.run);
  return {
    href: `${root}runs/${l.run.run_id}.html`,
    method: l.run.method.id,
    baseline: l.run.method.baseline === true,
    model: l.run.model.id,
    task: l.run.task,
    seed: l.run.seed,
    size: l.run.circuit.size,
    share: pct(l.run.circuit.size / l.run.circuit.total_nodes, 1),
    shareSort: String(l.run.circuit.size / l.run.circuit.total_nodes),
    overall: { ...EMPTY, text: fmt(o), sort: o === null ? '' : String(o) },
    flagged: l.run.flagged,
    submitted: l.source === 'submission',
    commit: shortCommit(l.run.provenance.git_commit),
    rowClass: [l.run.method.baseline === true ? 'baseline' : '', l.run.flagged ? 'flagged' : ''].filter(Boolean).join(' '),
  };
}

const RUN_COLUMNS = ['run_id', 'method', 'baseline', 'submitted', 'model', 'task', 'seed', 'size', 'total_nodes', 'share', 'overall', 'flagged', 'git_commit', 'date', 'file'];

/** A runs table as data (and the row of data/runs.csv). */
function runRow(l: LoadedRun): Record<string, CellValue> {
  const r = l.run;
  return {
    run_id: r.run_id,
    method: r.method.id,
    baseline: r.method.baseline === true,
    submitted: l.source === 'submission',
    model: r.model.id,
    task: r.task,
    seed: r.seed,
    size: r.circuit.size,
    total_nodes: r.circuit.total_nodes,
    share: r.circuit.size / r.circuit.total_nodes,
    overall: runOverall(r),
    flagged: r.flagged,
    git_commit: r.provenance.git_commit,
    date: r.provenance.date,
    file: l.file,
  };
}

/** What the viewer script needs, and nothing else: activations, attention, r and JS per node and head, and the groups. */
function viewerPayload(run: RunResult, layout: CircuitLayout) {
  const v = run.viewer;
  const perNode = figure(run, ROLES_CHECK, 'per_node');
  const js = figure(run, ROLES_CHECK, 'attention_js');
  return {
    run_id: run.run_id,
    d_head: run.model.d_head,
    prompts: v?.prompts ?? [],
    tokens: v?.tokens ?? null,
    activations: v?.activations ?? [],
    attention: v?.attention ?? [],
    roles: Array.isArray(perNode) ? perNode.filter((p) => isObj(p) && typeof p.node === 'string' && (p.r === null || isNum(p.r))).map((p) => ({ node: (p as { node: string }).node, r: (p as { r: number | null }).r })) : [],
    js: Array.isArray(js) ? js.filter((h) => isObj(h) && isNum(h.layer) && isNum(h.head) && isNum(h.js)).map((h) => ({ layer: (h as { layer: number }).layer, head: (h as { head: number }).head, js: (h as { js: number }).js })) : [],
    groups: layout.groups.map((g) => ({ group: groupId(g.layer, g.site), col: g.col, count: g.count, width: g.width, links: g.links })),
  };
}

/** A figure as short text: numbers rounded, booleans as is, lists by their length. */
function figureText(v: unknown): string {
  if (isNum(v)) return Number.isInteger(v) ? String(v) : fmt(v, 4);
  if (typeof v === 'boolean' || typeof v === 'string') return String(v);
  if (v === null) return '—';
  if (Array.isArray(v)) return `${v.length} entries`;
  return 'object';
}

/** A figure as one CSV/JSON cell: scalars as they are, anything else as its JSON text. */
const figureCell = (v: unknown): CellValue => (v === null || typeof v === 'string' || typeof v === 'boolean' || isNum(v) ? (v as CellValue) : v === undefined ? null : JSON.stringify(v));

interface RunCheckView {
  id: string;
  title: string;
  role: CheckColumn['role'];
  defHref: string;
  score: string;
  random: string;
  value: string;
  figures: Array<{ key: string; text: string }>;
}

function runChecksView(run: RunResult): RunCheckView[] {
  return Object.entries(run.checks).map(([id, c]) => ({
    id,
    title: c.title,
    role: c.role,
    defHref: `../checks.html#check-${id}`,
    score: fmt(c.score),
    random: c.random ? `best ${fmt(nullReference(c.random.scores))}, mean ${fmt(c.random.mean)} over ${c.random.draws} draws` : '—',
    value: c.value === null ? '—' : c.role === 'control' ? `×${fmt(c.value)}` : fmt(c.value),
    figures: Object.entries(c.figures).map(([key, v]) => ({ key, text: figureText(v) })),
  }));
}

function runChecksData(run: RunResult): Array<Record<string, CellValue>> {
  return Object.entries(run.checks).map(([id, c]) => ({
    check: id,
    title: c.title,
    role: c.role,
    score: c.score,
    random_best: nullReference(c.random?.scores ?? null),
    random_mean: c.random?.mean ?? null,
    random_draws: c.random?.draws ?? null,
    value: c.value,
    // as the page shows them (lists by their length); every figure in full is in the run's JSON and CSV
    figures: Object.entries(c.figures)
      .map(([k, v]) => `${k} = ${figureText(v)}`)
      .join('; '),
  }));
}

/** The whole run as one long table: (section, key, value), every circuit field and check figure. */
function runLongData(run: RunResult): Array<Record<string, CellValue>> {
  const rows: Array<Record<string, CellValue>> = [];
  const add = (section: string, key: string, value: unknown) => rows.push({ section, key, value: figureCell(value) });
  for (const [k, v] of Object.entries({ run_id: run.run_id, method: run.method.id, baseline: run.method.baseline === true, model: run.model.id, model_hash: run.model.hash, task: run.task, seed: run.seed, flagged: run.flagged, overall: run.overall })) add('run', k, v);
  for (const [k, v] of Object.entries(run.circuit)) add('circuit', k, v);
  for (const [id, c] of Object.entries(run.checks)) {
    add(`check:${id}`, 'role', c.role);
    add(`check:${id}`, 'score', c.score);
    add(`check:${id}`, 'random_best', nullReference(c.random?.scores ?? null));
    add(`check:${id}`, 'random_mean', c.random?.mean ?? null);
    add(`check:${id}`, 'value', c.value);
    for (const [k, v] of Object.entries(c.figures)) add(`check:${id}`, k, v);
  }
  for (const [k, v] of Object.entries(run.provenance)) add('provenance', k, v);
  return rows;
}

function nodesData(run: RunResult, layout: CircuitLayout): Array<Record<string, CellValue>> {
  const perNode = figure(run, ROLES_CHECK, 'per_node');
  const r = new Map<string, number | null>();
  if (Array.isArray(perNode)) for (const p of perNode) if (isObj(p) && typeof p.node === 'string' && (p.r === null || isNum(p.r))) r.set(p.node, p.r as number | null);
  const rank = new Map((run.circuit.ranking ?? run.circuit.nodes).map((n, i) => [n, i + 1]));
  return layout.nodes.map((n) => ({ node: n.id, layer: n.layer, site: n.site, index: n.index, head: n.head, rank: rank.get(n.id) ?? null, r: r.has(n.id) ? r.get(n.id)! : null }));
}

const flaggedText = (n: number): string => (n ? `${n} run${n === 1 ? '' : 's'} failed verification on held-out prompts (kept out of every score)` : '');

// ---------------------------------------------------------------------------------------------
// Templates

type Render = (name: string, view: object) => string;

function templates(dir: string): Render {
  const hb = Handlebars.create();
  hb.registerHelper('jsonScript', (value: unknown) => new hb.SafeString(jsonForScript(value)));
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // markup only from the markdown renderer (escaped text + its own tags); anything else is escaped
  hb.registerHelper('html', (value: unknown) => (value instanceof RenderedHtml ? new hb.SafeString(value.html) : hb.escapeExpression(String(value ?? ''))));
  const pages = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
    const name = file.slice(0, -4);
    const src = readFileSync(join(dir, file), 'utf8');
    if (name.startsWith('_')) hb.registerPartial(name.slice(1), src);
    else pages.set(name, hb.compile(src, { noEscape: false }));
  }
  return (name, view) => {
    const t = pages.get(name);
    if (!t) throw new Error(`missing template ${name}.hbs`);
    return t(view);
  };
}

// ---------------------------------------------------------------------------------------------
// Output folder handling

/** Refuses to replace a folder that is not a previous build, and keeps results and site apart. */
function checkOutDir(outDir: string, resultsDir: string): void {
  const out = resolve(outDir);
  const res = resolve(resultsDir);
  if (out === res || out.startsWith(res + sep) || res.startsWith(out + sep)) {
    throw new UserError(`the site folder ${outDir} and the results folder ${resultsDir} must not contain each other`);
  }
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError(`${outDir} exists and is not a folder`);
  if (readdirSync(out).length > 0 && !existsSync(join(out, SITE_MARKER))) {
    throw new UserError(`refusing to replace ${outDir}: it is not empty and was not built by faithbench (no ${SITE_MARKER})`);
  }
}

function swapIn(tmp: string, out: string): void {
  if (!existsSync(out)) {
    mkdirSync(dirname(out), { recursive: true });
    renameSync(tmp, out);
    return;
  }
  const old = `${out}.old-${randomBytes(4).toString('hex')}`;
  renameSync(out, old);
  renameSync(tmp, out);
  rmSync(old, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The build

export async function buildSite(opts: BuildOptions): Promise<BuildReport> {
  checkOutDir(opts.outDir, opts.resultsDir);
  const loaded = loadResults(opts.resultsDir);
  const out = resolve(opts.outDir);
  const tmp = `${out}.tmp-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const pages = await renderAll(loaded, tmp, opts.checkDescriptions ?? {}, opts.builtAt ?? new Date());
    writeFileSync(join(tmp, SITE_MARKER), 'Built by `faithbench site build`; the next build replaces this folder.\n');
    swapIn(tmp, out);
    return { outDir: out, runs: loaded.runs.length, pages, problems: loaded.problems };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** The project's docs, rendered: file name (suite.md) → page. Links between them stay within docs/. */
function renderDocs(): Map<string, RenderedDoc> {
  const docs = new Map<string, RenderedDoc>();
  if (!existsSync(DOCS_SRC)) return docs;
  const files = readdirSync(DOCS_SRC).filter((f) => /^[A-Za-z0-9_-]+\.md$/.test(f)).sort();
  const docHref = (file: string, frag: string) => (files.includes(file) ? `${file.slice(0, -3)}.html${frag}` : null);
  for (const f of files) docs.set(f, renderMarkdown(readFileSync(join(DOCS_SRC, f), 'utf8'), { docHref }));
  return docs;
}

async function renderAll(loaded: LoadedResults, dir: string, descriptions: Readonly<Record<string, string>>, builtAt: Date): Promise<number> {
  const render = templates(join(SITE_SRC, 'templates'));
  const version = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;
  const generator = `faithbench ${version}`;
  const write = (rel: string, content: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  };
  cpSync(join(SITE_SRC, 'assets'), join(dir, 'assets'), { recursive: true });

  const all = loaded.runs;
  const runs = all.map((l) => l.run);
  const submitted = new Set(all.filter((l) => l.source === 'submission').map((l) => l.run.method.id));
  const methods = sortedUniq(runs.map((r) => r.method.id));
  const tasks = sortedUniq(runs.map((r) => r.task));
  const models = sortedUniq(runs.map((r) => r.model.id));
  const synthetic = runs.some((r) => r.provenance.synthetic === true);
  const release = releaseOf(runs, version, builtAt);
  const colours = methodColor(methods);
  const navFor = (root: string) => ({
    methods: methods.map((m) => ({ text: m, href: `${root}methods/${m}.html` })),
    tasks: tasks.map((t) => ({ text: t, href: `${root}tasks/${t}.html` })),
    models: models.map((m) => ({ text: m, href: `${root}models/${m}.html` })),
  });
  const page = (title: string, root: string, pageRuns: RunResult[]): Page => ({
    title,
    root,
    synthetic,
    nav: navFor(root),
    release,
    footer: footerFor(pageRuns, generator),
  });
  let count = 0;
  const plot = async (rel: string, alt: string, spec: Parameters<typeof renderSvg>[0] | null): Promise<Plot | null> => {
    if (!spec) return null;
    write(`plots/${rel}`, await renderSvg(spec));
    return { src: `plots/${rel}`, alt };
  };
  const under = (root: string, p: Plot | null) => (p ? { ...p, src: `${root}${p.src}` } : null);
  /** Writes a table's CSV and JSON under data/tables/ and returns the links from a page at `root`. */
  const table = (name: string, caption: string, rows: Array<Record<string, CellValue>>, root: string): Downloads => {
    const columns = uniq(rows.flatMap((r) => Object.keys(r)));
    const t: TableExport = { table: name, caption, columns, rows: rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))) };
    const base = `data/tables/${fileSafe(name)}`;
    write(`${base}.csv`, toCsv(t));
    write(`${base}.json`, toJson(t));
    return { csv: `${root}${base}.csv`, json: `${root}${base}.json` };
  };
  const runsTable = (name: string, ls: LoadedRun[], root: string) => table(name, 'Runs', ls.map(runRow), root);

  // Shared pieces
  const board = aggregate(runs);
  const order = checkOrder(runs);
  const boardColumns = scoreColumns(board.columns, order);
  const sgValues = (rs: RunResult[]): SameGenderValue[] =>
    rs.flatMap((r) => {
      const p = figure(r, SAME_GENDER_CHECK, 'P_circ');
      return isNum(p) ? [{ method: r.method.id, model: r.model.id, P_circ: p }] : [];
    });
  const lossCurve = (r: RunResult, series: string): LossCurve[] => {
    const points = figure(r, SIZE_CHECK, 'points');
    const pts = (Array.isArray(points) ? points : []).flatMap((p) => (isObj(p) && isNum(p.size) && isNum(p.loss) ? [{ size: p.size, loss: p.loss }] : []));
    return pts.length ? [{ series, points: pts, total: r.circuit.total_nodes }] : [];
  };
  /** One loss-vs-size plot per model: median over seeds per series, on a share axis. */
  const lossPlots = async (prefix: string, rs: RunResult[], seriesOf: (r: RunResult) => string, colour: { title: string; scale?: ReturnType<typeof methodColor> }, what: string, root: string) => {
    const out: Plot[] = [];
    for (const m of sortedUniq(rs.map((r) => r.model.id))) {
      const mine = rs.filter((r) => r.model.id === m);
      const bands = lossBands(mine.flatMap((r) => lossCurve(r, seriesOf(r))));
      const p = await plot(`${prefix}-loss-${fileSafe(m)}.svg`, `Task loss against circuit share on ${m}${what}: median over seeds per ${colour.title}, band = range over seeds`, bands.length ? lossSizeSpec(bands, mine[0].circuit.target_loss, colour, `Loss vs size: ${m}${what}`) : null);
      if (p) out.push(under(root, p)!);
    }
    return out;
  };
  /** One size-vs-faithfulness scatter per task (shares of the model's nodes), with its Pareto front. */
  const paretoPlots = async (prefix: string, rs: RunResult[], what: string, root: string) => {
    const out: Plot[] = [];
    for (const t of sortedUniq(rs.map((r) => r.task))) {
      const pts = paretoPoints(aggregate(rs.filter((r) => r.task === t)).rows);
      const p = await plot(`${prefix}-pareto-${fileSafe(t)}.svg`, `Size against faithfulness on ${t}${what}: one point per method and model (mean over seeds, bar = 95% interval), dashed line = Pareto front, hollow grey = baselines`, pts.length ? paretoSpec(pts, methods, `Size vs faithfulness: ${t}${what}`) : null);
      if (p) out.push(under(root, p)!);
    }
    return out;
  };
  const sameGenderPlot = async (rel: string, rs: RunResult[], what: string, root: string) => {
    const v = sgValues(rs);
    return under(root, await plot(rel, `Same-gender P_circ over seeds, per method${what}; left of 0.5 is the bad circuit`, v.length ? sameGenderSpec(v, `Same-gender P_circ${what}`) : null));
  };

  // Leaderboard (index)
  const nFlagged = runs.filter((r) => r.flagged).length;
  const allRows = board.rows.filter((r) => r.model === null);
  const modelRows = board.rows.filter((r) => r.model !== null);
  write(
    'index.html',
    render('index', {
      ...page('Leaderboard', '', runs),
      hasRuns: runs.length > 0,
      columns: boardColumns,
      checkList: ordered(board.columns, order).map((c) => ({ id: c.id, title: c.title, role: c.role, roleText: ROLE_TEXT[c.role] })),
      allModels: allRows.map((r) => lbRowView(r, boardColumns, '', submitted)),
      perModel: modelRows.map((r) => lbRowView(r, boardColumns, '', submitted)),
      downloads: {
        methods: table('index-lb-methods', 'Methods, over all models and tasks', lbExport(allRows.map((row) => ({ row, task: null })), boardColumns, submitted), ''),
        models: table('index-lb-models', 'Methods per model, over tasks', lbExport(modelRows.map((row) => ({ row, task: null })), boardColumns, submitted), ''),
      },
      plots: {
        pareto: await paretoPlots('index', runs, '', ''),
        sameGender: await sameGenderPlot('same-gender.svg', runs, '', ''),
      },
      flaggedText: nFlagged ? `${nFlagged} of ${runs.length} runs ${nFlagged === 1 ? 'is' : 'are'} flagged` : '',
      bootstrapText: `percentile-bootstrap ${Math.round(board.bootstrap.level * 100)}% intervals over seeds (${board.bootstrap.resamples} resamples); with fewer than ${MIN_SEEDS_FOR_INTERVAL} seeds no interval is claimed and the cell shows the mean with its number of seeds (e.g. n=3)`,
    }),
  );
  count++;

  // Docs, rendered, and the check definitions that link into them
  const docs = renderDocs();
  for (const [file, doc] of docs) {
    write(`docs/${file.slice(0, -3)}.html`, render('doc', { ...page(doc.title || file, '../', runs), doc, file, docs: [...docs.keys()].map((f) => ({ text: f, href: `${f.slice(0, -3)}.html`, current: f === file })) }));
    count++;
  }
  const suiteDoc = docs.get('suite.md');
  const docHrefFromRoot = (file: string, frag: string) => (docs.has(file) ? `docs/${file.slice(0, -3)}.html${frag}` : null);
  const allChecks = ordered(board.columns, order);
  const checkDefs = allChecks.map((c) => {
    const term = suiteDoc?.terms.get(c.id);
    return {
      id: c.id,
      title: c.title,
      role: c.role,
      roleText: ROLE_TEXT[c.role],
      formula: ROLE_FORMULA[c.role],
      why: ROLE_WHY[c.role],
      description: descriptions[c.id] ?? '',
      tasks: sortedUniq(runs.filter((r) => Object.hasOwn(r.checks, c.id)).map((r) => r.task)).join(', '),
      docHref: suiteDoc ? `docs/suite.html${term ? `#${term.anchor}` : ''}` : '',
      docExcerpt: term ? new RenderedHtml(renderInline(term.source, { docHref: docHrefFromRoot })) : null,
    };
  });
  write(
    'checks.html',
    render('checks', {
      ...page('Checks', '', runs),
      checks: checkDefs,
      overallFormula: OVERALL_FORMULA,
      liftFormula: ROLE_FORMULA.lifted,
      sameGender: allChecks.some((c) => c.id === SAME_GENDER_CHECK),
      checksDoc: CHECKS_DOC,
      suiteHref: suiteDoc ? 'docs/suite.html' : '',
      minSeeds: MIN_SEEDS_FOR_INTERVAL,
      downloads: table('checks', 'Checks', checkDefs.map((c) => ({ id: c.id, title: c.title, role: c.role, formula: c.formula, tasks: c.tasks, description: c.description })), ''),
    }),
  );
  count++;

  // Release, submission guide, citation
  write(
    'release.html',
    render('release', {
      ...page('Release', '', runs),
      commits: release.commits.map((c) => ({ ...c, commit: c.commit ?? 'unknown (not recorded)', methods: c.methods.join(', '), models: c.models.join(', '), tasks: c.tasks.join(', '), packages: c.packages.join(', '), dates: c.first === c.last ? c.first : `${c.first} – ${c.last}` })),
      downloads: table('release-commits', 'Code commits of the results', release.commits.map((c) => ({ commit: c.commit, runs: c.runs, methods: c.methods.join(' '), models: c.models.join(' '), tasks: c.tasks.join(' '), package_versions: c.packages.join(' '), first: c.first, last: c.last })), ''),
      runsDownloads: { csv: 'data/runs.csv', json: 'data/runs.json' },
    }),
  );
  const cites = citations(release);
  write('cite.bib', cites.map((c) => c.bibtex).join('\n\n') + '\n');
  write('cite.html', render('cite', { ...page('Cite', '', runs), cites }));
  write('submit.html', render('submit', { ...page('Submit a method', '', runs), siteHref: docs.has('site.md') ? 'docs/site.html' : '', suiteHref: suiteDoc ? 'docs/suite.html' : '', tasks: tasks.filter((t) => t !== 'nonsense').join(', '), models: models.join(', ') }));
  count += 3;

  // Method pages
  for (const m of methods) {
    const mine = all.filter((l) => l.run.method.id === m);
    const mr = mine.map((l) => l.run);
    const card: MethodCard | undefined = loaded.cards.get(m);
    const first = mr[0].method;
    const paperUrl = card?.paper_url ?? mr.find((r) => r.method.paper_url)?.method.paper_url;
    const codeUrl = card?.code_url;
    const own = aggregate(mr);
    const columns = scoreColumns(own.columns, order);
    const byTaskRows = tasks.flatMap((t) => aggregate(mr.filter((r) => r.task === t)).rows.map((row) => ({ row, task: t })));
    const key = `method-${m}`;
    const raw = rawTables(mr, ordered(own.columns, order), models, tasks, '../').map((t) => ({ ...t, downloads: table(`${key}-raw-${t.id}`, `${t.title}: raw figures`, t.data, '../') }));
    write(
      `methods/${m}.html`,
      render('method', {
        ...page(`Method ${m}`, '../', mr),
        card: {
          id: m,
          kind: card?.kind ?? first.kind,
          baseline: mr.some((r) => r.method.baseline === true),
          description: card?.description ?? mr.find((r) => r.method.description)?.method.description ?? '',
          paper: paperUrl ? { href: safeHref(paperUrl), text: paperUrl } : null,
          code: codeUrl ? { href: safeHref(codeUrl), text: codeUrl } : null,
          authors: card?.authors?.join(', ') ?? '',
          options: uniq(mr.map((r) => JSON.stringify(r.method.options, null, 2))),
          ablations: sortedUniq(mr.map((r) => `${r.circuit.ablation}${r.circuit.frozen_norms ? ' + frozen norms' : ''}`)).join(', '),
          compute: `${fmtDuration(mr.reduce((a, r) => a + r.provenance.wall_time_s, 0))} over ${mr.length} runs (${sortedUniq(mr.map((r) => r.provenance.backend)).join(', ')})`,
          flagged: flaggedText(mr.filter((r) => r.flagged).length),
          submitted: submitted.has(m),
        },
        columns,
        rows: own.rows.map((r) => lbRowView(r, columns, '../', submitted)),
        byTask: byTaskRows.map(({ row, task }) => lbRowView(row, columns, '../', submitted, task)),
        raw,
        runs: mine.map((l) => runLink(l, '../')),
        downloads: {
          scores: table(`${key}-scores`, `${m}: over tasks`, lbExport(own.rows.map((row) => ({ row, task: null })), columns, submitted), '../'),
          byTask: table(`${key}-by-task`, `${m}: per task`, lbExport(byTaskRows, columns, submitted), '../'),
          runs: runsTable(`${key}-runs`, mine, '../'),
        },
        plots: {
          lossSize: await lossPlots(key, mr, (r) => r.task, { title: 'task' }, ` · ${m}`, '../'),
          sameGender: await sameGenderPlot(`${key}-same-gender.svg`, mr, `: ${m}`, '../'),
        },
      }),
    );
    count++;
  }

  // Task pages
  for (const t of tasks) {
    const tl = all.filter((l) => l.run.task === t);
    const tr = tl.map((l) => l.run);
    const own = aggregate(tr);
    const columns = scoreColumns(own.columns, order);
    const rows = own.rows.filter((r) => r.model !== null);
    const key = `task-${t}`;
    write(
      `tasks/${t}.html`,
      render('task', {
        ...page(`Task ${t}`, '../', tr),
        task: t,
        columns,
        rows: rows.map((r) => lbRowView(r, columns, '../', submitted)),
        runs: tl.map((l) => runLink(l, '../')),
        downloads: { scores: table(`${key}-scores`, `${t}: per method and model`, lbExport(rows.map((row) => ({ row, task: null })), columns, submitted), '../'), runs: runsTable(`${key}-runs`, tl, '../') },
        plots: {
          pareto: await paretoPlots(key, tr, '', '../'),
          lossSize: await lossPlots(key, tr, (r) => r.method.id, { title: 'method', scale: colours }, ` · ${t}`, '../'),
          sameGender: await sameGenderPlot(`${key}-same-gender.svg`, tr, ` on ${t}`, '../'),
        },
      }),
    );
    count++;
  }

  // Model pages
  for (const m of models) {
    const ml = all.filter((l) => l.run.model.id === m);
    const mr = ml.map((l) => l.run);
    const info = mr[0].model;
    const own = aggregate(mr);
    const columns = scoreColumns(own.columns, order);
    const rows = own.rows.filter((r) => r.model !== null);
    const key = `model-${m}`;
    write(
      `models/${m}.html`,
      render('model', {
        ...page(`Model ${m}`, '../', mr),
        model: {
          id: m,
          hashes: sortedUniq(mr.map((r) => r.model.hash)).join(', '),
          arch: `${info.n_layers} layers, ${info.n_heads} heads × ${info.d_head}, d_model ${info.site_widths.attn_in}, MLP ${info.site_widths.mlp_neuron}`,
          total: mr[0].circuit.total_nodes,
        },
        columns,
        rows: rows.map((r) => lbRowView(r, columns, '../', submitted)),
        runs: ml.map((l) => runLink(l, '../')),
        downloads: { scores: table(`${key}-scores`, `${m}: per method, over tasks`, lbExport(rows.map((row) => ({ row, task: null })), columns, submitted), '../'), runs: runsTable(`${key}-runs`, ml, '../') },
        plots: { pareto: await paretoPlots(key, mr, ` · ${m}`, '../') },
      }),
    );
    count++;
  }

  // Circuit viewer, one page per run; every run also as JSON (the whole result) and CSV
  for (const l of all) {
    const r = l.run;
    const layout: CircuitLayout = layoutCircuit(r.circuit.nodes, r.model, r.viewer?.edges ?? []);
    const ver = r.circuit.verification;
    const base = `data/runs/${r.run_id}`;
    write(`${base}.json`, JSON.stringify(r) + '\n');
    const long = runLongData(r);
    write(`${base}.csv`, toCsv({ table: `run-${r.run_id}`, caption: 'The run: every field', columns: ['section', 'key', 'value'], rows: long }));
    write(`${base}-nodes.csv`, toCsv({ table: `run-${r.run_id}-nodes`, caption: 'Circuit nodes', columns: ['node', 'layer', 'site', 'index', 'head', 'rank', 'r'], rows: nodesData(r, layout) }));
    write(
      `runs/${r.run_id}.html`,
      render('run', {
        ...page(`Circuit ${r.method.id} · ${r.model.id} · ${r.task} · seed ${r.seed}`, '../', [r]),
        run: {
          id: r.run_id,
          method: r.method.id,
          baseline: r.method.baseline === true,
          model: r.model.id,
          task: r.task,
          seed: r.seed,
          size: r.circuit.size,
          total: r.circuit.total_nodes,
          share: pct(r.circuit.size / r.circuit.total_nodes, 2),
          ablation: `${r.circuit.ablation}${r.circuit.frozen_norms ? ' + frozen norms' : ''}`,
          loss: fmt(r.circuit.loss),
          target: fmt(r.circuit.target_loss),
          validation: fmt(r.circuit.validation_loss),
          verification: `loss ${fmt(ver.loss)} on ${ver.prompts} held-out test prompts: ${ver.passed ? 'passed' : `failed (above the target ${fmt(r.circuit.target_loss)})`}`,
          lambda: r.circuit.lambda === null ? '' : fmt(r.circuit.lambda, 6),
          notMonotone: r.circuit.monotone === false,
          flagged: r.flagged,
          overall: fmt(runOverall(r)),
          file: l.file,
          submitted: l.source === 'submission',
          options: JSON.stringify(r.method.options),
          commit: r.provenance.git_commit ?? 'unknown (not recorded)',
          date: r.provenance.date,
        },
        links: { method: `../methods/${r.method.id}.html`, model: `../models/${r.model.id}.html`, task: `../tasks/${r.task}.html` },
        checks: runChecksView(r),
        checksDownloads: table(`run-${r.run_id}-checks`, 'Checks of the run', runChecksData(r), '../'),
        runDownloads: { json: `../${base}.json`, csv: `../${base}.csv`, nodes: `../${base}-nodes.csv` },
        layout,
        manyHeads: (r.viewer?.attention.length ?? 0) > 2,
        hasViewer: r.viewer !== null,
        data: viewerPayload(r, layout),
      }),
    );
    count++;
  }

  // Machine-readable copies, so a static host offers what the server's API does.
  write('data/leaderboard.json', JSON.stringify(board, null, 2) + '\n');
  write('data/runs.json', JSON.stringify(all.map((l) => runSummary(l)), null, 2) + '\n');
  write('data/runs.csv', toCsv({ table: 'runs', caption: 'Every run', columns: RUN_COLUMNS, rows: all.map(runRow) }));
  return count;
}

/** The row of GET /api/runs and data/runs.json: per check its role, raw score and value. */
export function runSummary(l: LoadedRun) {
  const r = l.run;
  return {
    run_id: r.run_id,
    method: r.method.id,
    baseline: r.method.baseline === true,
    model: r.model.id,
    task: r.task,
    seed: r.seed,
    size: r.circuit.size,
    total_nodes: r.circuit.total_nodes,
    flagged: r.flagged,
    overall: runOverall(r),
    checks: Object.fromEntries(Object.entries(r.checks).map(([id, c]) => [id, { role: c.role, score: c.score, value: c.value }])),
    source: l.source,
    date: r.provenance.date,
  };
}
