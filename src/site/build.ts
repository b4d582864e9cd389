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
import { aggregate } from '../benchmarks/aggregate.ts';
import {
  SCORED_CHECKS,
  runOverall,
  type Interval,
  type LeaderboardRow,
  type MethodCard,
  type RunResult,
} from '../benchmarks/results-schema.ts';
import { UserError } from '../util/errors.ts';
import { layoutCircuit, type CircuitLayout } from './layout.ts';
import { loadResults, type LoadedResults, type LoadedRun } from './load.ts';
import { lossSizeSpec, paretoSpec, renderSvg, sameGenderSpec, type ParetoPoint } from './plots.ts';

const SITE_SRC = fileURLToPath(new URL('../../site/', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
/** Marks a folder as ours: only such a folder (or an empty one) is ever replaced by a build. */
export const SITE_MARKER = '.faithbench-site';

export interface BuildOptions {
  resultsDir: string;
  outDir: string;
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

const CHECK_TITLES: Record<(typeof SCORED_CHECKS)[number], string> = {
  nonsense: 'Nonsense',
  same_gender: 'Same-gender',
  roles: 'Roles',
  adversary: 'Adversary',
};

const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined ? '—' : x.toFixed(digits));
const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(digits)}%`);

function fmtDuration(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** A table cell: shown text, its interval, and the value a column sort uses ('' sorts last). */
interface Cell {
  text: string;
  range: string;
  sort: string;
}

function cell(iv: Interval | null, format: (x: number) => string = (x) => fmt(x)): Cell {
  if (!iv) return { text: '—', range: '', sort: '' };
  return { text: format(iv.mean), range: iv.n > 1 ? `[${format(iv.lo)}, ${format(iv.hi)}]` : '', sort: String(iv.mean) };
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

function lbRowView(row: LeaderboardRow, root: string, submitted: Set<string>, task: string | null = null): LbRowView {
  return {
    method: row.method,
    methodHref: `${root}methods/${row.method}.html`,
    model: row.model,
    modelHref: row.model ? `${root}models/${row.model}.html` : '',
    task,
    overall: cell(row.overall),
    checks: SCORED_CHECKS.map((c) => cell(row.checks[c])),
    nStar: cell(row.size.n_star, (x) => x.toFixed(1)),
    fraction: cell(row.size.fraction, (x) => pct(x, 2)),
    badShare: row.bad_circuit_share === null ? { text: '—', range: '', sort: '' } : { text: pct(row.bad_circuit_share, 0), range: '', sort: String(row.bad_circuit_share) },
    seeds: row.seeds.join(', '),
    nRuns: row.n_runs,
    submitted: submitted.has(row.method),
  };
}

function paretoPoints(rows: LeaderboardRow[]): ParetoPoint[] {
  return rows
    .filter((r) => r.model !== null && r.overall && r.size.fraction && r.size.fraction.mean > 0)
    .map((r) => ({ method: r.method, model: r.model!, fraction: r.size.fraction!.mean, overall: r.overall!.mean, lo: r.overall!.lo, hi: r.overall!.hi }));
}

/** Raw figures of one (model, task) for a method: mean over seeds, with min–max when seeds differ. */
function rawFigures(runs: RunResult[]) {
  const stat = (xs: Array<number | null | undefined>, digits = 3, asPct = false): string => {
    const v = xs.filter((x): x is number => typeof x === 'number');
    if (!v.length) return '—';
    const f = (x: number) => (asPct ? pct(x, 0) : fmt(x, digits));
    const m = meanOf(v)!;
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return lo === hi ? f(m) : `${f(m)} (${f(lo)}–${f(hi)})`;
  };
  const c = runs.map((r) => r.checks);
  const sg = c.filter((x) => x.same_gender);
  return {
    seeds: runs.length,
    nStar: stat(c.map((x) => x.size?.n_star), 1),
    fraction: stat(c.map((x) => x.size?.fraction), 4),
    L_model: stat(c.map((x) => x.nonsense?.L_model)),
    L_circ: stat(c.map((x) => x.nonsense?.L_circ)),
    budget: stat(c.map((x) => x.nonsense?.budget), 0),
    P_circ: stat(c.map((x) => x.same_gender?.P_circ)),
    P_model: stat(c.map((x) => x.same_gender?.P_model)),
    bad: sg.length ? `${sg.filter((x) => x.same_gender!.bad_circuit).length}/${sg.length}` : '—',
    mean_r: stat(c.map((x) => x.roles?.mean_r)),
    flipped: stat(c.map((x) => x.roles?.flipped_share), 0, true),
    js: stat(c.map((x) => meanOf(x.roles?.attention_js.map((a) => a.js) ?? []))),
    worst_loss: stat(c.map((x) => x.adversary?.worst_loss)),
    worst_acc: stat(c.map((x) => x.adversary?.worst_acc)),
    acc_model: stat(c.map((x) => x.adversary?.acc_model)),
    random_acc: stat(c.map((x) => x.adversary?.random_mean_acc)),
    cpr: stat(c.map((x) => x.mib?.cpr)),
    cmd: stat(c.map((x) => x.mib?.cmd)),
  };
}

interface RunLinkView {
  href: string;
  method: string;
  model: string;
  task: string;
  seed: number;
  size: number;
  overall: Cell;
  submitted: boolean;
}

function runLink(l: LoadedRun, root: string): RunLinkView {
  const o = runOverall(l.run);
  return {
    href: `${root}runs/${l.run.run_id}.html`,
    method: l.run.method.id,
    model: l.run.model.id,
    task: l.run.task,
    seed: l.run.seed,
    size: l.run.circuit.size,
    overall: { text: fmt(o), range: '', sort: o === null ? '' : String(o) },
    submitted: l.source === 'submission',
  };
}

/** What the viewer script needs, and nothing else: activations, attention and r per node. */
function viewerPayload(run: RunResult) {
  const v = run.viewer;
  return {
    run_id: run.run_id,
    d_head: run.model.d_head,
    prompts: v?.prompts ?? [],
    tokens: v?.tokens ?? null,
    activations: v?.activations ?? [],
    attention: v?.attention ?? [],
    roles: run.checks.roles?.per_node ?? [],
    js: run.checks.roles?.attention_js ?? [],
  };
}

function runChecksView(run: RunResult): Array<{ name: string; score: string; figures: string }> {
  const c = run.checks;
  const rows: Array<{ name: string; score: string; figures: string }> = [];
  if (c.size) rows.push({ name: 'Size (1)', score: `n* = ${c.size.n_star}`, figures: `${pct(c.size.fraction, 2)} of ${run.circuit.total_nodes} nodes; ${c.size.points.length} sweep points, ${c.size.pareto.length} on the Pareto front` });
  if (c.nonsense) rows.push({ name: 'Nonsense (2)', score: fmt(c.nonsense.score), figures: `L_circ ${fmt(c.nonsense.L_circ)} / L_model ${fmt(c.nonsense.L_model)}; budget B = ${c.nonsense.budget} (circuit ${c.nonsense.circuit_size} nodes)` });
  if (c.same_gender) rows.push({ name: 'Same-gender (3)', score: fmt(c.same_gender.score), figures: `P_circ ${fmt(c.same_gender.P_circ)}, P_model ${fmt(c.same_gender.P_model)}${c.same_gender.bad_circuit ? ' — bad circuit (P_circ < 0.5)' : ''}` });
  if (c.roles) rows.push({ name: 'Roles (4)', score: fmt(c.roles.score), figures: `mean r ${fmt(c.roles.mean_r)}, flipped ${pct(c.roles.flipped_share, 0)}, ${c.roles.attention_js.length} heads, mean JS ${fmt(meanOf(c.roles.attention_js.map((a) => a.js)))}` });
  if (c.adversary) rows.push({ name: 'Adversary (5)', score: fmt(c.adversary.score), figures: `worst acc ${fmt(c.adversary.worst_acc)} (loss ${fmt(c.adversary.worst_loss)}) vs model ${fmt(c.adversary.acc_model)}; random patterns acc ${fmt(c.adversary.random_mean_acc)} (loss ${fmt(c.adversary.random_mean_loss)})` });
  if (c.mib) rows.push({ name: 'MIB', score: `CPR ${fmt(c.mib.cpr)}`, figures: `CMD ${fmt(c.mib.cmd)} over ${c.mib.curve.length} curve points` });
  return rows;
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
  const sgValues = (rs: RunResult[]) => rs.filter((r) => r.checks.same_gender).map((r) => ({ method: r.method.id, P_circ: r.checks.same_gender!.P_circ }));
  const pp = paretoPoints(board.rows);
  const indexPlots = {
    pareto: await plot('pareto.svg', 'Circuit size against overall faithfulness, one point per method and model', pp.length ? paretoSpec(pp, 'Size vs faithfulness (per method and model)') : null),
    sameGender: await plot('same-gender.svg', 'Histograms of same-gender P_circ per method', sgValues(runs).length ? sameGenderSpec(sgValues(runs), 'Same-gender P_circ over runs') : null),
  };
  write(
    'index.html',
    render('index', {
      ...page('Leaderboard', '', runs),
      hasRuns: runs.length > 0,
      checkTitles: SCORED_CHECKS.map((c) => CHECK_TITLES[c]),
      allModels: board.rows.filter((r) => r.model === null).map((r) => lbRowView(r, '', submitted)),
      perModel: board.rows.filter((r) => r.model !== null).map((r) => lbRowView(r, '', submitted)),
      plots: indexPlots,
      bootstrapText: `bootstrap ${Math.round(board.bootstrap.level * 100)}% intervals over seeds (${board.bootstrap.resamples} resamples)`,
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
    const rows = aggregate(mr).rows.map((r) => lbRowView(r, '../', submitted));
    const byTask = tasks.flatMap((t) =>
      aggregate(mr.filter((r) => r.task === t)).rows.map((r) => lbRowView(r, '../', submitted, t)),
    );
    const raw = models.flatMap((model) =>
      tasks
        .map((task) => ({ model, task, runs: mr.filter((r) => r.model.id === model && r.task === task) }))
        .filter((g) => g.runs.length)
        .map((g) => ({ model: g.model, task: g.task, ...rawFigures(g.runs) })),
    );
    const lossPoints = mr.flatMap((r) => (r.checks.size?.points ?? []).map((p) => ({ series: `${r.task} · ${r.model.id}`, run: r.run_id, size: p.size, loss: p.loss })));
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
          description: card?.description ?? mr.find((r) => r.method.description)?.method.description ?? '',
          paper: paperUrl ? { href: safeHref(paperUrl), text: paperUrl } : null,
          code: codeUrl ? { href: safeHref(codeUrl), text: codeUrl } : null,
          authors: card?.authors?.join(', ') ?? '',
          options: uniq(mr.map((r) => JSON.stringify(r.method.options, null, 2))),
          ablations: sortedUniq(mr.map((r) => `${r.circuit.ablation}${r.circuit.frozen_norms ? ' + frozen norms' : ''}`)).join(', '),
          compute: `${fmtDuration(mr.reduce((a, r) => a + r.provenance.wall_time_s, 0))} over ${mr.length} runs (${sortedUniq(mr.map((r) => r.provenance.backend)).join(', ')})`,
          submitted: submitted.has(m),
        },
        checkTitles: SCORED_CHECKS.map((c) => CHECK_TITLES[c]),
        rows,
        byTask,
        raw,
        runs: mine.map((l) => runLink(l, '../')),
        plots,
      }),
    );
    count++;
  }

  // Task pages
  for (const t of tasks) {
    const tr = runs.filter((r) => r.task === t);
    const rows = aggregate(tr).rows.filter((r) => r.model !== null);
    const lossPoints = tr.flatMap((r) => (r.checks.size?.points ?? []).map((p) => ({ series: r.method.id, run: r.run_id, size: p.size, loss: p.loss })));
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
        checkTitles: SCORED_CHECKS.map((c) => CHECK_TITLES[c]),
        rows: rows.map((r) => lbRowView(r, '../', submitted)),
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
    const rows = aggregate(mr).rows.filter((r) => r.model !== null);
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
        checkTitles: SCORED_CHECKS.map((c) => CHECK_TITLES[c]),
        rows: rows.map((r) => lbRowView(r, '../', submitted)),
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
    write(
      `runs/${r.run_id}.html`,
      render('run', {
        ...page(`Circuit ${r.method.id} · ${r.model.id} · ${r.task} · seed ${r.seed}`, '../', [r]),
        run: {
          id: r.run_id,
          method: r.method.id,
          model: r.model.id,
          task: r.task,
          seed: r.seed,
          size: r.circuit.size,
          total: r.circuit.total_nodes,
          ablation: `${r.circuit.ablation}${r.circuit.frozen_norms ? ' + frozen norms' : ''}`,
          loss: fmt(r.circuit.loss),
          target: fmt(r.circuit.target_loss),
          overall: fmt(runOverall(r)),
          file: l.file,
          submitted: l.source === 'submission',
          options: JSON.stringify(r.method.options),
        },
        links: { method: `../methods/${r.method.id}.html`, model: `../models/${r.model.id}.html`, task: `../tasks/${r.task}.html` },
        checks: runChecksView(r),
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

/** The row of GET /api/runs and data/runs.json. */
export function runSummary(l: LoadedRun) {
  const r = l.run;
  return {
    run_id: r.run_id,
    method: r.method.id,
    model: r.model.id,
    task: r.task,
    seed: r.seed,
    size: r.circuit.size,
    total_nodes: r.circuit.total_nodes,
    overall: runOverall(r),
    scores: Object.fromEntries(SCORED_CHECKS.map((c) => [c, r.checks[c]?.score ?? null])),
    source: l.source,
    date: r.provenance.date,
  };
}
