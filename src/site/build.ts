// `faithbench site build`: results/*.json → a static folder that works from any static host.
//
// Everything a page shows is computed here into plain strings (view models); the handlebars
// templates in site/templates only place them, always with `{{ }}` so every string is
// HTML-escaped. The one exception is the viewer's embedded JSON, produced by the jsonScript helper,
// which escapes `<`, `>` and `&` itself so that data can never close its <script> element.
//
// The site is built into a temporary sibling folder and swapped in, so a server reading the old
// site during a rebuild never sees a half-written one.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import Handlebars from 'handlebars';
import { aggregate } from '../results/aggregate.ts';
import { runOverall } from '../results/scoring.ts';
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
import { layoutCircuit, type CircuitLayout } from './layout.ts';
import { loadResults, type LoadedResults, type LoadedRun } from './load.ts';
import { lossSizeSpec, paretoSpec, renderSvg, sameGenderSpec, type ParetoPoint } from './plots.ts';

const SITE_SRC = fileURLToPath(new URL('../../site/', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
/** Marks a folder as ours: only such a folder (or an empty one) is ever replaced by a build. */
export const SITE_MARKER = '.faithbench-site';

/** Where the checks are defined; the site names each check by the title its results carry. */
export const CHECKS_DOC = 'docs/suite.md';

// The site takes the checks (ids, titles, roles) from the results. Only these features read a
// particular check's figures, and each is left out when that check is absent: the loss-vs-size
// plots (the size check's sweep), the same-gender P_circ histograms, and the viewer's per-node r
// and attention divergence (the roles check).
const SIZE_CHECK = 'size';
const SAME_GENDER_CHECK = 'same-gender';
const ROLES_CHECK = 'roles';

export interface BuildOptions {
  resultsDir: string;
  outDir: string;
  /** What each check is, by id (the CLI passes the registered checks' descriptions; the site imports no suite code). */
  checkDescriptions?: Readonly<Record<string, string>>;
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
  return {
    runs: runs.length,
    backends: list(p.map((x) => x.backend)),
    tfjs: list(p.map((x) => x.tfjs_version)),
    packages: list(p.map((x) => x.package_version)),
    commits: list(p.map((x) => (x.git_commit ? x.git_commit.slice(0, 12) : 'unknown'))),
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
    badShare: row.bad_circuit_share === null ? EMPTY : { ...EMPTY, text: pct(row.bad_circuit_share, 0), sort: String(row.bad_circuit_share) },
    seeds: row.seeds.join(', '),
    nRuns: row.n_runs,
    nFlagged: row.n_flagged,
    submitted: submitted.has(row.method),
  };
}

function paretoPoints(rows: LeaderboardRow[]): ParetoPoint[] {
  return rows
    .filter((r) => r.model !== null && r.overall && r.size.fraction && r.size.fraction.mean > 0)
    .map((r) => ({ method: r.method, model: r.model!, fraction: r.size.fraction!.mean, overall: r.overall!.mean, lo: r.overall!.lo, hi: r.overall!.hi }));
}

/** Mean over runs, with min–max when they differ; for booleans, how many are true. Counts (all
 *  values integers, e.g. sizes and budgets) read as counts unless `scores` says they are scores. */
function stat(xs: unknown[], scores = false, digits = 3): string {
  const nums = xs.filter(isNum);
  if (nums.length) {
    const m = meanOf(nums)!;
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    // counts (sizes, budgets) read as counts: integers as they are, their mean to one decimal
    if (!scores && nums.every(Number.isInteger)) return lo === hi ? String(lo) : `${m.toFixed(1)} (${lo}–${hi})`;
    return lo === hi ? fmt(m, digits) : `${fmt(m, digits)} (${fmt(lo, digits)}–${fmt(hi, digits)})`;
  }
  const bools = xs.filter((x): x is boolean => typeof x === 'boolean');
  if (bools.length) return `${bools.filter(Boolean).length}/${bools.length}`;
  return '—';
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
  headers: string[];
  rows: Array<{ model: string; task: string; runs: number; cells: string[] }>;
}

/** Raw figures per check for one method: per (model, task), each figure's mean over seeds (min–max when they differ). */
function rawTables(runs: RunResult[], columns: readonly CheckColumn[], models: string[], tasks: string[]): RawTable[] {
  return columns
    .map((col) => {
      const results = runs.flatMap((r) => (Object.hasOwn(r.checks, col.id) ? [r.checks[col.id]] : []));
      const keys = scalarKeys(results);
      const scored = col.role !== 'report';
      const headers = [...(scored ? ['score'] : []), ...(col.role === 'lifted' ? ['random mean', 'lift'] : []), ...keys];
      const rows = models.flatMap((model) =>
        tasks.flatMap((task) => {
          const cs = runs.filter((r) => r.model.id === model && r.task === task && Object.hasOwn(r.checks, col.id)).map((r) => r.checks[col.id]);
          if (!cs.length) return [];
          const cells = [
            ...(scored ? [stat(cs.map((c) => c.score), true)] : []),
            ...(col.role === 'lifted' ? [stat(cs.map((c) => c.random?.mean), true), stat(cs.map((c) => c.value), true)] : []),
            ...keys.map((k) => stat(cs.map((c) => c.figures[k]))),
          ];
          return [{ model, task, runs: cs.length, cells }];
        }),
      );
      return { id: col.id, title: col.title, role: ROLE_TEXT[col.role], headers, rows };
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
  overall: Cell;
  flagged: boolean;
  submitted: boolean;
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
    overall: { ...EMPTY, text: fmt(o), sort: o === null ? '' : String(o) },
    flagged: l.run.flagged,
    submitted: l.source === 'submission',
    rowClass: [l.run.method.baseline === true ? 'baseline' : '', l.run.flagged ? 'flagged' : ''].filter(Boolean).join(' '),
  };
}

/** What the viewer script needs, and nothing else: activations, attention, and r and JS per node and head. */
function viewerPayload(run: RunResult) {
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

interface RunCheckView {
  id: string;
  title: string;
  role: CheckColumn['role'];
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
    score: fmt(c.score),
    random: c.random ? `${fmt(c.random.mean)} over ${c.random.draws} draws` : '—',
    value: c.value === null ? '—' : c.role === 'control' ? `×${fmt(c.value)}` : fmt(c.value),
    figures: Object.entries(c.figures).map(([key, v]) => ({ key, text: figureText(v) })),
  }));
}

const flaggedText = (n: number): string => (n ? `${n} run${n === 1 ? '' : 's'} failed verification on held-out prompts (kept out of every score)` : '');

/** The check catalogue of the leaderboard page: every check the results declare, with its role. */
let DESCRIPTIONS: Readonly<Record<string, string>> = {};

function checkList(columns: readonly CheckColumn[]) {
  return columns.map((c) => ({ id: c.id, title: c.title, role: c.role, roleText: ROLE_TEXT[c.role], description: DESCRIPTIONS[c.id] ?? '' }));
}

// ---------------------------------------------------------------------------------------------
// Templates

type Render = (name: string, view: object) => string;

function templates(dir: string): Render {
  const hb = Handlebars.create();
  hb.registerHelper('jsonScript', (value: unknown) => new hb.SafeString(jsonForScript(value)));
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
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
  DESCRIPTIONS = opts.checkDescriptions ?? {};
  const loaded = loadResults(opts.resultsDir);
  const out = resolve(opts.outDir);
  const tmp = `${out}.tmp-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    const pages = await renderAll(loaded, tmp);
    writeFileSync(join(tmp, SITE_MARKER), 'Built by `faithbench site build`; the next build replaces this folder.\n');
    swapIn(tmp, out);
    return { outDir: out, runs: loaded.runs.length, pages, problems: loaded.problems };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function renderAll(loaded: LoadedResults, dir: string): Promise<number> {
  const render = templates(join(SITE_SRC, 'templates'));
  const generator = `faithbench ${(JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version}`;
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
    footer: footerFor(pageRuns, generator),
  });
  let count = 0;
  const plot = async (rel: string, alt: string, spec: Parameters<typeof renderSvg>[0] | null): Promise<Plot | null> => {
    if (!spec) return null;
    write(`plots/${rel}`, await renderSvg(spec));
    return { src: `plots/${rel}`, alt };
  };
  const under = (root: string, p: Plot | null) => (p ? { ...p, src: `${root}${p.src}` } : null);

  // Leaderboard (index)
  const board = aggregate(runs);
  const order = checkOrder(runs);
  const boardColumns = scoreColumns(board.columns, order);
  const sgValues = (rs: RunResult[]) =>
    rs.flatMap((r) => {
      const p = figure(r, SAME_GENDER_CHECK, 'P_circ');
      return isNum(p) ? [{ method: r.method.id, P_circ: p }] : [];
    });
  const lossPointsOf = (r: RunResult, series: string) => {
    const points = figure(r, SIZE_CHECK, 'points');
    return (Array.isArray(points) ? points : []).flatMap((p) => (isObj(p) && isNum(p.size) && isNum(p.loss) ? [{ series, run: r.run_id, size: p.size, loss: p.loss }] : []));
  };
  const pp = paretoPoints(board.rows);
  const indexPlots = {
    pareto: await plot('pareto.svg', 'Circuit size against overall faithfulness, one point per method and model', pp.length ? paretoSpec(pp, 'Size vs faithfulness (per method and model)') : null),
    sameGender: await plot('same-gender.svg', 'Histograms of same-gender P_circ per method', sgValues(runs).length ? sameGenderSpec(sgValues(runs), 'Same-gender P_circ over runs') : null),
  };
  const nFlagged = runs.filter((r) => r.flagged).length;
  write(
    'index.html',
    render('index', {
      ...page('Leaderboard', '', runs),
      hasRuns: runs.length > 0,
      columns: boardColumns,
      checkList: checkList(ordered(board.columns, order)),
      checksDoc: CHECKS_DOC,
      allModels: board.rows.filter((r) => r.model === null).map((r) => lbRowView(r, boardColumns, '', submitted)),
      perModel: board.rows.filter((r) => r.model !== null).map((r) => lbRowView(r, boardColumns, '', submitted)),
      plots: indexPlots,
      flaggedText: nFlagged ? `${nFlagged} of ${runs.length} runs ${nFlagged === 1 ? 'is' : 'are'} flagged` : '',
      bootstrapText: `percentile-bootstrap ${Math.round(board.bootstrap.level * 100)}% intervals over seeds (${board.bootstrap.resamples} resamples); with fewer than ${MIN_SEEDS_FOR_INTERVAL} seeds no interval is claimed and the cell shows the mean with its number of seeds (e.g. n=3)`,
    }),
  );
  count++;

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
    const rows = own.rows.map((r) => lbRowView(r, columns, '../', submitted));
    const byTask = tasks.flatMap((t) =>
      aggregate(mr.filter((r) => r.task === t)).rows.map((r) => lbRowView(r, columns, '../', submitted, t)),
    );
    const lossPoints = mr.flatMap((r) => lossPointsOf(r, `${r.task} · ${r.model.id}`));
    const target = mr[0].circuit.target_loss;
    const plots = {
      lossSize: under('../', await plot(`method-${m}-loss-size.svg`, `Task loss against circuit size for ${m}`, lossPoints.length ? lossSizeSpec(lossPoints, target, 'task · model', `Loss vs size: ${m}`) : null)),
      sameGender: under('../', await plot(`method-${m}-same-gender.svg`, `Same-gender P_circ histogram for ${m}`, sgValues(mr).length ? sameGenderSpec(sgValues(mr), `Same-gender P_circ: ${m}`) : null)),
    };
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
        checksDoc: CHECKS_DOC,
        rows,
        byTask,
        raw: rawTables(mr, ordered(own.columns, order), models, tasks),
        runs: mine.map((l) => runLink(l, '../')),
        plots,
      }),
    );
    count++;
  }

  // Task pages
  for (const t of tasks) {
    const tr = runs.filter((r) => r.task === t);
    const own = aggregate(tr);
    const columns = scoreColumns(own.columns, order);
    const rows = own.rows.filter((r) => r.model !== null);
    const lossPoints = tr.flatMap((r) => lossPointsOf(r, r.method.id));
    const tp = paretoPoints(rows);
    const plots = {
      lossSize: under('../', await plot(`task-${t}-loss-size.svg`, `Task loss against circuit size on ${t}`, lossPoints.length ? lossSizeSpec(lossPoints, tr[0].circuit.target_loss, 'method', `Loss vs size: ${t}`) : null)),
      pareto: under('../', await plot(`task-${t}-pareto.svg`, `Size against faithfulness on ${t}`, tp.length ? paretoSpec(tp, `Size vs faithfulness: ${t}`) : null)),
    };
    write(
      `tasks/${t}.html`,
      render('task', {
        ...page(`Task ${t}`, '../', tr),
        task: t,
        columns,
        rows: rows.map((r) => lbRowView(r, columns, '../', submitted)),
        runs: all.filter((l) => l.run.task === t).map((l) => runLink(l, '../')),
        plots,
      }),
    );
    count++;
  }

  // Model pages
  for (const m of models) {
    const mr = runs.filter((r) => r.model.id === m);
    const info = mr[0].model;
    const own = aggregate(mr);
    const columns = scoreColumns(own.columns, order);
    const rows = own.rows.filter((r) => r.model !== null);
    const mp = paretoPoints(rows);
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
        runs: all.filter((l) => l.run.model.id === m).map((l) => runLink(l, '../')),
        plots: { pareto: under('../', await plot(`model-${m}-pareto.svg`, `Size against faithfulness on ${m}`, mp.length ? paretoSpec(mp, `Size vs faithfulness: ${m}`) : null)) },
      }),
    );
    count++;
  }

  // Circuit viewer, one page per run
  for (const l of all) {
    const r = l.run;
    const layout: CircuitLayout = layoutCircuit(r.circuit.nodes, r.model, r.viewer?.edges ?? []);
    const ver = r.circuit.verification;
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
        },
        links: { method: `../methods/${r.method.id}.html`, model: `../models/${r.model.id}.html`, task: `../tasks/${r.task}.html` },
        checks: runChecksView(r),
        checksDoc: CHECKS_DOC,
        layout,
        hasViewer: r.viewer !== null,
        data: viewerPayload(r),
      }),
    );
    count++;
  }

  // Machine-readable copies, so a static host offers what the server's API does.
  write('data/leaderboard.json', JSON.stringify(board, null, 2) + '\n');
  write('data/runs.json', JSON.stringify(all.map((l) => runSummary(l)), null, 2) + '\n');
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
