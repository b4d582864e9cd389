// Schema, aggregation, offline verifier and static site build, on the synthetic fixtures in
// test/fixtures/results (regenerate with `npx tsx test/fixtures/make-fixtures.ts`).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregate, bootstrapInterval, DEFAULT_AGGREGATE } from '../src/results/aggregate.ts';
import {
  RunResultSchema,
  SCORING_VERSION,
  computeRunId,
  parseNodeId,
  mibAreas,
  paretoFront,
  type RunResult,
} from '../src/results/schema.ts';
import { checkValue, lift, runOverall } from '../src/results/scoring.ts';
import { buildSite, jsonForScript, safeHref } from '../src/site/build.ts';
import { COLLAPSE_NODES, layoutCircuit, MAX_BODY } from '../src/site/layout.ts';
import { renderMarkdown } from '../src/site/markdown.ts';
import { lossBands, paretoFrontier } from '../src/site/plots.ts';
import { csvField, toCsv } from '../src/site/tables.ts';
import { makeWideFixture } from './fixtures/make-fixtures.ts';
import { loadResults } from '../src/site/load.ts';
import { checkRun, verifyBundle } from '../src/site/submit.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'results');
/** A fixed build time, so pages (and the snapshots) do not change with the clock. */
const BUILT_AT = new Date('2025-02-01T09:30:00Z');
const TEMPLATES = join(import.meta.dirname, '..', 'site', 'templates');

function fixtureRuns(): RunResult[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => RunResultSchema.parse(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))));
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const made: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `faithbench-${name}-`));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const N_RUNS = 56;
const byFile = (name: string): RunResult => RunResultSchema.parse(JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')));

/** A careful tamperer: changes a check's raw score and recomputes its value and the run's overall,
 *  so that only the figures stored beside the score can give it away. */
function retamper(run: RunResult, id: string, score: number): void {
  const c = run.checks[id];
  c.score = score;
  c.value = checkValue(c.role, score, c.random ? c.random.scores : null);
  run.overall = runOverall(run);
}

/** A node of the run's model that is not in its circuit. */
function outsideNode(run: RunResult): string {
  const kept = new Set(run.circuit.nodes);
  for (let i = 0; ; i++) if (!kept.has(`L1.mlp_out.${i}`)) return `L1.mlp_out.${i}`;
}

/** A fixture run given another method id (and the run id that follows from it). */
function rebrand(run: RunResult, methodId: string): RunResult {
  const r = clone(run);
  r.method.id = methodId;
  r.run_id = computeRunId(r);
  return r;
}

describe('results schema', () => {
  it('accepts every fixture and finds them internally consistent', () => {
    const runs = fixtureRuns();
    expect(runs).toHaveLength(N_RUNS);
    for (const r of runs) expect(checkRun(r)).toBeNull();
    expect(runs.every((r) => r.provenance.synthetic === true && r.schema_version === 2 && r.scoring_version === SCORING_VERSION)).toBe(true);
    // the fixtures cover a reference baseline (every node, every lifted value 0) and a flagged run
    const keepAll = runs.filter((r) => r.method.baseline === true);
    expect(keepAll).toHaveLength(12);
    for (const r of keepAll) {
      expect(r.circuit.size).toBe(r.circuit.total_nodes);
      for (const c of Object.values(r.checks)) if (c.role === 'lifted') expect(c.value).toBe(0);
      expect(r.overall).toBe(0);
    }
    const flagged = runs.filter((r) => r.flagged);
    expect(flagged.map((r) => `${r.method.id}/${r.model.id}/${r.task}/${r.seed}`)).toEqual(['zero/sparse-d16/ioi/1']);
    expect(flagged[0].checks).toEqual({});
    expect(flagged[0].overall).toBeNull();
  });

  it('hashes run inputs independently of key order, and changes with any input', () => {
    const [r] = fixtureRuns();
    const reordered = { ...r, method: { options: Object.fromEntries(Object.entries(r.method.options).reverse()), id: r.method.id } };
    expect(computeRunId(reordered)).toBe(r.run_id);
    expect(computeRunId({ ...r, seed: r.seed + 1 })).not.toBe(r.run_id);
  });

  it('parses node ids and rejects malformed ones', () => {
    expect(parseNodeId('L1.attn_out.12')).toEqual({ layer: 1, site: 'attn_out', index: 12 });
    for (const bad of ['L1.resid.3', 'L01.q.3', 'l1.q.3', 'L1.q.-1', 'L1.q.3 ', 'L1.q']) expect(parseNodeId(bad)).toBeNull();
    const [r] = fixtureRuns();
    const bad = clone(r);
    bad.circuit.nodes[0] = 'L1.attention.3';
    const res = RunResultSchema.safeParse(bad);
    expect(res.success).toBe(false);
  });

  it('rejects unknown keys, out-of-range scores and non-finite numbers', () => {
    const [r] = fixtureRuns();
    expect(RunResultSchema.safeParse({ ...clone(r), extra: 1 }).success).toBe(false);
    const hi = clone(r);
    hi.checks.roles.score = 1.5;
    expect(RunResultSchema.safeParse(hi).success).toBe(false);
    const nan = clone(r) as unknown as { provenance: { wall_time_s: number } };
    nan.provenance.wall_time_s = Infinity;
    expect(RunResultSchema.safeParse(nan).success).toBe(false);
  });

  it('computes Pareto fronts and MIB areas as documented', () => {
    expect(paretoFront([{ size: 5, loss: 0.1 }, { size: 2, loss: 0.5 }, { size: 3, loss: 0.6 }, { size: 2, loss: 0.4 }])).toEqual([
      { size: 2, loss: 0.4 },
      { size: 5, loss: 0.1 },
    ]);
    // f rises linearly from 0 to 1 over the whole range: CPR = 1/2, CMD = 1/2.
    expect(mibAreas([{ k: 0, f: 0 }, { k: 100, f: 1 }], 100)).toEqual({ cpr: 0.5, cmd: 0.5 });
    // f goes 0 → 2 over half the range: |1 − f| is two triangles (1 → 0 → 1), area 0.25, not the naive 0.5.
    const { cmd } = mibAreas([{ k: 0, f: 0 }, { k: 50, f: 2 }], 100);
    expect(cmd).toBeCloseTo(0.25, 12);
  });
});

describe('aggregate', () => {
  it('is deterministic and keeps each method together, all-models row first', () => {
    const runs = fixtureRuns();
    const a = aggregate(runs);
    expect(aggregate([...runs].reverse())).toEqual(a);
    expect(a.rows.map((r) => `${r.method}/${r.model ?? '*'}`)).toEqual([
      'stochastic/*', 'stochastic/sparse-d16', 'stochastic/dense-d8',
      'mean/*', 'mean/dense-d8', 'mean/sparse-d16',
      'zero/*', 'zero/sparse-d16', 'zero/dense-d8',
      'keep-all/*', 'keep-all/dense-d8', 'keep-all/sparse-d16',
    ]);
    for (const row of a.rows) {
      if (row.method === 'stochastic') {
        // 5 seeds: a bootstrap interval
        expect(row.overall!.n).toBe(5);
        expect(row.overall!.lo).toBeLessThanOrEqual(row.overall!.mean);
        expect(row.overall!.hi).toBeGreaterThanOrEqual(row.overall!.mean);
      } else {
        // 3 seeds: the mean and n, no interval claimed
        expect(row.overall).toMatchObject({ lo: null, hi: null, n: 3 });
      }
    }
    expect(a.columns.map((c) => `${c.id}:${c.role}`).sort()).toEqual(
      ['adversary:lifted', 'mib:report', 'minimality:lifted', 'nonsense:control', 'roles:lifted', 'same-gender:lifted', 'size:report'],
    );
  });

  it('averages each seed over tasks, then bootstraps over seeds', () => {
    const runs = fixtureRuns().filter((r) => r.method.id === 'mean' && r.model.id === 'sparse-d16');
    const row = aggregate(runs).rows.find((r) => r.model === 'sparse-d16')!;
    const perSeed = [0, 1, 2].map((s) => {
      const mine = runs.filter((r) => r.seed === s).map((r) => runOverall(r)!);
      return mine.reduce((a, b) => a + b, 0) / mine.length;
    });
    expect(row.overall!.mean).toBeCloseTo(perSeed.reduce((a, b) => a + b, 0) / 3, 12);
    // same-gender only exists on ioi runs: it still has 3 seeds
    expect(row.checks['same-gender']!.n).toBe(3);
    expect(row.raw['same-gender']!.n).toBe(3);
    expect(row.checks.nonsense!.n).toBe(3);
    expect(row.checks.mib).toBeUndefined();
    expect(row.tasks).toEqual(['ioi', 'pronoun']);
  });

  it('keeps flagged runs out of every score and counts them', () => {
    const runs = fixtureRuns().filter((r) => r.method.id === 'zero' && r.model.id === 'sparse-d16');
    const row = aggregate(runs).rows.find((r) => r.model === 'sparse-d16')!;
    expect(row.n_runs).toBe(6);
    expect(row.n_flagged).toBe(1);
    // the flagged seed-1 IOI run is gone: same-gender has two seeds left, seed 1 is its pronoun run only
    expect(row.checks['same-gender']!.n).toBe(2);
    const seed1 = runs.filter((r) => r.seed === 1 && !r.flagged);
    expect(seed1.map((r) => r.task)).toEqual(['pronoun']);
  });

  it('marks baselines and scores the whole model 0', () => {
    const rows = aggregate(fixtureRuns()).rows;
    const base = rows.filter((r) => r.baseline);
    expect(new Set(base.map((r) => r.method))).toEqual(new Set(['keep-all']));
    for (const r of base) {
      expect(r.overall!.mean).toBe(0);
      expect(r.size.fraction!.mean).toBe(1);
    }
  });

  it('claims no interval below 5 seeds, and null for none', () => {
    expect(bootstrapInterval([0.4], 'k', DEFAULT_AGGREGATE)).toEqual({ mean: 0.4, lo: null, hi: null, n: 1 });
    const five = bootstrapInterval([0.1, 0.2, 0.3, 0.4, 0.5], 'k', DEFAULT_AGGREGATE)!;
    expect(five.n).toBe(5);
    expect(five.lo).not.toBeNull();
    expect(bootstrapInterval([], 'k', DEFAULT_AGGREGATE)).toBeNull();
    expect(aggregate([]).rows).toEqual([]);
  });
});

describe('offline verifier', () => {
  const zeroBundle = () => {
    const results = fixtureRuns().filter((r) => r.method.id === 'zero');
    return { method: { id: 'zero', kind: 'ablation-scheme' as const, description: 'zero ablation' }, results, aggregate: aggregate(results) };
  };

  it('accepts a consistent bundle with its aggregate, flagged run included', () => {
    const b = zeroBundle();
    expect(b.results.some((r) => r.flagged)).toBe(true);
    const v = verifyBundle(b);
    expect(v.ok).toBe(true);
  });

  it('accepts a check it does not know, holding it to its value and the overall', () => {
    const b = zeroBundle();
    for (const r of b.results.filter((x) => !x.flagged)) {
      r.checks['novel-check'] = { title: 'Novel check', role: 'lifted', score: 0.7, random: { draws: 2, scores: [0.2, 0.4], mean: 0.3 }, value: lift(0.7, 0.4), figures: { anything: [1, 'two'] } };
      r.overall = runOverall(r);
    }
    b.aggregate = aggregate(b.results);
    expect(verifyBundle(b).ok).toBe(true);
  });

  it('refuses a check whose role differs from the stored results', () => {
    const b = zeroBundle();
    for (const r of b.results.filter((x) => !x.flagged)) {
      r.checks.adversary.role = 'report';
      r.checks.adversary.value = null;
      r.overall = runOverall(r);
    }
    delete (b as { aggregate?: unknown }).aggregate;
    expect(verifyBundle(b).ok).toBe(true); // consistent in itself
    const v = verifyBundle(b, { columns: aggregate(fixtureRuns()).columns });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.error).toMatch(/^results\[0\]\.checks\.adversary\.role: "report" but the stored results declare "lifted"$/);
  });

  const flaggedAt = (b: ReturnType<typeof zeroBundle>) => b.results.findIndex((r) => r.flagged);
  const cases: Array<[string, (b: ReturnType<typeof zeroBundle>) => void, RegExp]> = [
    ['a lifted value that is not its lift', (b) => { b.results[2].checks.adversary.value = 0.99; }, /^results\[2\]\.checks\.adversary\.value: 0\.99 does not equal lift\(score, max\(random\.scores\)\) = /],
    ['a control value that is not its score', (b) => { b.results[3].checks.nonsense.value = 1; }, /^results\[3\]\.checks\.nonsense\.value: 1 does not equal score = /],
    ['a report check with a value', (b) => { b.results[3].checks.mib.value = 0.5; }, /^results\[3\]\.checks\.mib\.value: 0\.5 but its role's formula gives null/],
    ['a random mean that is not the mean of its draws', (b) => { b.results[0].checks.roles.random!.mean += 0.1; }, /^results\[0\]\.checks\.roles\.random\.mean: .* does not equal the mean of random\.scores/],
    ['an overall that is not runOverall', (b) => { b.results[1].overall = 0.9; }, /^results\[1\]\.overall: 0\.9 does not equal runOverall\(run\) = /],
    ['an adversary score off its figures', (b) => retamper(b.results[2], 'adversary', 0.99), /^results\[2\]\.checks\.adversary\.score: 0\.99 does not equal clamp\(\(worst_acc − 0\.5\)\/\(acc_model − 0\.5\), 0, 1\)/],
    ['a same-gender score off its figures', (b) => retamper(b.results[0], 'same-gender', 0.5), /^results\[0\]\.checks\.same-gender\.score: 0\.5 does not equal clamp\(\(P_circ − 0\.5\)/],
    ['a nonsense score off its figures', (b) => retamper(b.results[3], 'nonsense', 0.01), /^results\[3\]\.checks\.nonsense\.score: 0\.01 does not equal mean over budgets of clamp\(\(L_circ\(B\) − target\)\/\(L_rand\(B\) − target\), 0, 1\)/],
    ['a roles score off its per-node r', (b) => retamper(b.results[0], 'roles', 0.99), /^results\[0\]\.checks\.roles\.score: 0\.99 does not equal rolesScore/],
    ['a flag that contradicts the verification', (b) => { b.results[0].flagged = true; }, /^results\[0\]\.flagged: true but circuit\.verification\.passed = true/],
    ['a verification that contradicts its loss', (b) => { b.results[0].circuit.verification.passed = false; }, /^results\[0\]\.circuit\.verification\.passed: false but loss .* ≤ target_loss 0\.15/],
    ['a flagged run with check results', (b) => { const r = b.results[flaggedAt(b)]; r.checks = { mib: clone(b.results[0].checks.mib) }; }, /^results\[\d+\]\.flagged: a flagged run carries no check results/],
    ['size that is not nodes.length', (b) => { b.results[1].circuit.size += 1; }, /^results\[1\]\.circuit\.size: \d+ does not equal nodes\.length/],
    ['a node beyond its site', (b) => { b.results[1].circuit.nodes[0] = 'L0.q.999'; }, /^results\[1\]\.circuit\.nodes\[0\]: L0\.q\.999 has index 999 but q has 8 nodes/],
    ['a node in a missing layer', (b) => { b.results[1].circuit.nodes[0] = 'L7.q.1'; }, /^results\[1\]\.circuit\.nodes\[0\]: L7\.q\.1 has layer 7/],
    ['a wrong total', (b) => { b.results[0].circuit.total_nodes = 100; }, /^results\[0\]\.circuit\.total_nodes: 100 does not equal/],
    ['a run id that is not the input hash', (b) => { b.results[0].seed = 9; }, /^results\[0\]\.run_id: .* is not the hash/],
    ['a fraction off n*/total', (b) => { b.results[0].checks.size.figures.fraction = 0.5; }, /^results\[0\]\.checks\.size\.figures\.fraction: 0\.5 does not equal n_star \/ total_nodes/],
    ['a roles summary off its nodes', (b) => { b.results[0].checks.roles.figures.mean_r = 0.99; }, /^results\[0\]\.checks\.roles\.figures\.mean_r/],
    ['a per-node r of a pruned node', (b) => { (b.results[0].checks.roles.figures.per_node as Array<{ node: string }>)[0].node = outsideNode(b.results[0]); }, /^results\[0\]\.checks\.roles\.figures\.per_node\[0\]\.node: L1\.mlp_out\.\d+ is not a circuit node/],
    ['a head beyond the model', (b) => { (b.results[0].checks.roles.figures.attention_js as Array<{ head: number }>)[0].head = 5; }, /^results\[0\]\.checks\.roles\.figures\.attention_js\[0\]\.head: 5 but the model has 2 heads/],
    ['a bad_circuit flag that contradicts P_circ', (b) => { const f = b.results[0].checks['same-gender'].figures; f.bad_circuit = !f.bad_circuit; }, /^results\[0\]\.checks\.same-gender\.figures\.bad_circuit/],
    ['MIB areas off the curve', (b) => { b.results[0].checks.mib.figures.cpr = 0.1; }, /^results\[0\]\.checks\.mib\.figures\.cpr: 0\.1 does not equal the area under f/],
    ['an edge to a pruned node', (b) => { b.results[0].viewer!.edges.push({ from: b.results[0].circuit.nodes[0], to: outsideNode(b.results[0]), weight: 1 }); }, /^results\[0\]\.viewer\.edges\[\d+\]\.to: L1\.mlp_out\.\d+ is not a circuit node/],
    ['attention that does not sum to 1', (b) => { b.results[0].viewer!.attention[0].pruned[0][0] += 0.5; }, /^results\[0\]\.viewer\.attention\[0\]\.pruned\[0\]: attention weights sum to/],
    ['a check relabelled as a report in one run', (b) => { const r = b.results[3]; r.checks.adversary.role = 'report'; r.checks.adversary.value = null; r.overall = runOverall(r); }, /^results\[3\]\.checks\.adversary\.role: "report" but results\[0\] declares "lifted"/],
    ['an aggregate that does not match', (b) => { b.aggregate.rows[0].checks.roles!.mean += 0.01; }, /^aggregate\.rows\[0\]\.checks\.roles\.mean: .* does not equal the recomputed/],
    ['a run of another method', (b) => { b.results[4] = rebrand(b.results[4], 'other'); }, /^results\[4\]\.method\.id: "other" does not match the bundle's method\.id "zero"/],
    ['a repeated run', (b) => { b.results[5] = clone(b.results[4]); }, /^results\[5\]\.run_id: [0-9a-f]{16} repeats results\[4\]/],
    ['a schema violation', (b) => { (b.results[2].checks.roles as unknown as { score: string }).score = 'high'; }, /^results\[2\]\.checks\.roles\.score: /],
    ['a results file of schema version 1', (b) => { (b.results[2] as unknown as { schema_version: number }).schema_version = 1; }, /^results\[2\]\.schema_version: /],
  ];
  for (const [name, mutate, pattern] of cases) {
    it(`rejects ${name} with one precise line`, () => {
      const b = zeroBundle();
      mutate(b);
      const v = verifyBundle(b);
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.error).toMatch(pattern);
        expect(v.error).not.toContain('\n');
      }
    });
  }
});

describe('site build', () => {
  let out: string;
  beforeAll(async () => {
    out = join(tmp('site'), 'site');
    const report = await buildSite({ resultsDir: FIXTURES, outDir: out, builtAt: BUILT_AT });
    expect(report.problems).toEqual([]);
    expect(report.runs).toBe(N_RUNS);
  });

  it('writes a leaderboard, a page per method, task, model and run, plots and data', () => {
    for (const p of [
      'index.html', 'checks.html', 'submit.html', 'cite.html', 'cite.bib', 'release.html', 'docs/suite.html', 'docs/site.html',
      'methods/zero.html', 'methods/mean.html', 'methods/stochastic.html', 'methods/keep-all.html', 'tasks/ioi.html', 'tasks/pronoun.html', 'models/dense-d8.html', 'models/sparse-d16.html',
      'plots/index-pareto-ioi.svg', 'plots/index-pareto-pronoun.svg', 'plots/same-gender.svg', 'plots/task-ioi-same-gender.svg', 'plots/task-ioi-loss-dense-d8.svg', 'plots/task-ioi-loss-sparse-d16.svg', 'plots/method-zero-loss-dense-d8.svg',
      'assets/style.css', 'assets/sort.js', 'assets/viewer.js', 'data/leaderboard.json', 'data/runs.json', 'data/runs.csv', 'data/tables/index-lb-methods.csv', 'data/tables/index-lb-methods.json',
    ]) {
      expect(existsSync(join(out, p)), p).toBe(true);
    }
    expect(readdirSync(join(out, 'runs'))).toHaveLength(N_RUNS);
    // every run as its whole result (JSON), as CSV, and its nodes
    expect(readdirSync(join(out, 'data', 'runs'))).toHaveLength(3 * N_RUNS);
    // no same-gender histogram where no run has the check
    expect(existsSync(join(out, 'plots/task-pronoun-same-gender.svg'))).toBe(false);
    const pareto = readFileSync(join(out, 'plots/index-pareto-ioi.svg'), 'utf8');
    expect(pareto).toMatch(/^<svg/);
    expect(pareto).toContain('pareto_front_marks');
    const sg = readFileSync(join(out, 'plots/task-ioi-same-gender.svg'), 'utf8');
    expect(sg).toContain('← bad circuit');
    expect(sg).toContain('half_rule_marks');
    const runs = JSON.parse(readFileSync(join(out, 'data/runs.json'), 'utf8')) as Array<{ flagged: boolean; overall: number | null; checks: Record<string, { role: string; score: number | null; value: number | null }> }>;
    expect(runs).toHaveLength(N_RUNS);
    expect(runs.filter((r) => r.flagged)).toEqual([expect.objectContaining({ overall: null, checks: {} })]);
    expect(runs.find((r) => !r.flagged && r.checks['same-gender'])!.checks['same-gender'].role).toBe('lifted');
  });

  it('takes the check columns from the results: titles, roles, lift over raw, the control as a multiplier', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const table = /<table class="sortable lb" id="lb-methods">[\s\S]*?<\/table>/.exec(html)![0];
    const headers = [...table.matchAll(/<th scope="col"[^>]*data-check="([^"]+)"[^>]*><button type="button">([^<]*)<\/button>/g)].map((m) => `${m[1]}=${m[2]}`);
    // lifted checks in the registry's order, then the control; reports (size, mib) are not columns
    expect(headers).toEqual(['same-gender=Same-gender generalization', 'roles=Node-role consistency', 'adversary=Adversarial ablation', 'minimality=Minimality', 'nonsense=× Nonsense resistance (negative control)']);
    const board = aggregate(fixtureRuns());
    const row = board.rows.find((r) => r.method === 'stochastic' && r.model === null)!;
    const tr = /<tr>\s*<td data-sort="stochastic">[\s\S]*?<\/tr>/.exec(table)![0];
    // 5 seeds: intervals; the lifted value with its raw score under it; the control as ×
    expect(tr).toContain(`${row.overall!.mean.toFixed(3)} <span class="ci">[${row.overall!.lo!.toFixed(3)}, ${row.overall!.hi!.toFixed(3)}]</span>`);
    expect(tr).toContain(`>${row.checks.roles!.mean.toFixed(3)} <span class="ci">[`);
    expect(tr).toContain(`<span class="raw">raw ${row.raw.roles!.mean.toFixed(3)}</span>`);
    expect(tr).toContain(`>×${row.checks.nonsense!.mean.toFixed(3)} <span class="ci">[`);
    // 3 seeds: the mean and n=3, no interval
    const mean = /<tr>\s*<td data-sort="mean">[\s\S]*?<\/tr>/.exec(table)![0];
    const meanRow = board.rows.find((r) => r.method === 'mean' && r.model === null)!;
    expect(mean).toContain(`${meanRow.overall!.mean.toFixed(3)} <span class="ci">n&#x3D;3</span>`); // n=3, HTML-escaped
    expect(mean).not.toMatch(/class="ci">\[/);
  });

  it('shows baselines as reference rows in score order, and flagged runs as flagged', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const table = /<table class="sortable lb" id="lb-methods">[\s\S]*?<\/table>/.exec(html)![0];
    const order = [...table.matchAll(/<tr( class="baseline")?>\s*<td data-sort="([^"]+)">/g)].map((m) => `${m[2]}${m[1] ? ' (baseline)' : ''}`);
    expect(order).toEqual(['stochastic', 'mean', 'zero', 'keep-all (baseline)']);
    expect(table).toContain('<span class="badge baseline"');
    expect(table).toMatch(/<td data-sort="zero">[\s\S]*?<span class="badge flagged"[^>]*>1 flagged<\/span>/);
    const flagged = fixtureRuns().find((r) => r.flagged)!;
    const page = readFileSync(join(out, 'runs', `${flagged.run_id}.html`), 'utf8');
    expect(page).toContain('<span class="badge flagged">flagged</span>');
    expect(page).toContain('<strong>Flagged.</strong> This circuit failed verification on held-out prompts (loss 0.213 on 24 held-out test prompts: failed');
    expect(page).not.toContain('<table class="checks">');
    const method = readFileSync(join(out, 'methods/zero.html'), 'utf8');
    expect(method).toMatch(/<td class="num" data-sort="">—( <span class="badge flagged"[^>]*>flagged<\/span>)<\/td>/);
    const keepAll = readFileSync(join(out, 'methods/keep-all.html'), 'utf8');
    expect(keepAll).toMatch(/<h1>Method <code>keep-all<\/code> <span class="badge baseline"/);
  });

  it('adds a column for a check it has never seen, from the data alone', async () => {
    const results = tmp('novel');
    for (const r of fixtureRuns()) {
      if (!r.flagged) {
        r.checks['novel-check'] = { title: 'Novel <check>', role: 'lifted', score: 0.7, random: { draws: 2, scores: [0.2, 0.4], mean: 0.3 }, value: lift(0.7, 0.4), figures: { widgets: 3 } };
        r.overall = runOverall(r);
      }
      writeFileSync(join(results, `${r.run_id}.json`), JSON.stringify(r));
    }
    const site = join(tmp('novel-site'), 's');
    const report = await buildSite({ resultsDir: results, outDir: site });
    expect(report.problems).toEqual([]);
    const html = readFileSync(join(site, 'index.html'), 'utf8');
    expect(html).toContain('data-check="novel-check"');
    expect(html).toContain('<button type="button">Novel &lt;check&gt;</button>');
    expect(html).toContain('<span class="raw">raw 0.700</span>');
    const method = readFileSync(join(site, 'methods/zero.html'), 'utf8');
    expect(method).toMatch(/<table class="raw" data-check="novel-check">[\s\S]*?<th>widgets<\/th>/);
  });

  it('uses only relative links (works from any static host) and no network', () => {
    for (const p of ['index.html', 'methods/zero.html', `runs/${readdirSync(join(out, 'runs'))[0]}`]) {
      const html = readFileSync(join(out, p), 'utf8');
      for (const m of html.matchAll(/(?:href|src)="([^"]*)"/g)) {
        const url = m[1];
        if (url === 'https://example.org/fixture-paper') continue; // the fixture method's paper link, an outbound <a>
        expect(url, `${p}: ${url}`).not.toMatch(/^(\/|[a-z]+:)/);
      }
    }
  });

  it('renders the method page as in the snapshot', async () => {
    await expect(readFileSync(join(out, 'methods/zero.html'), 'utf8')).toMatchFileSnapshot('__snapshots__/method-zero.html');
  });

  it('renders the leaderboard as in the snapshot', async () => {
    await expect(readFileSync(join(out, 'index.html'), 'utf8')).toMatchFileSnapshot('__snapshots__/index.html');
  });

  it('shows each check’s description when the registry passes them (the site imports no suite code)', async () => {
    const site = join(tmp('described'), 'site');
    await buildSite({ resultsDir: FIXTURES, outDir: site, checkDescriptions: { roles: 'Pearson r <pruned & unpruned>' } });
    const html = readFileSync(join(site, 'checks.html'), 'utf8');
    expect(html).toMatch(/<section class="check-def lifted" id="check-roles">[\s\S]*?<dt>What<\/dt><dd>Pearson r &lt;pruned &amp; unpruned&gt;<\/dd>/);
  });

  it('defines every check on one page, and every column header links to its definition', () => {
    const checks = readFileSync(join(out, 'checks.html'), 'utf8');
    const ids = new Set([...checks.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    const defs = [...index.matchAll(/<a class="def" href="checks\.html#([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(defs)).toEqual(new Set(['col-overall', 'check-same-gender', 'check-roles', 'check-adversary', 'check-minimality', 'check-nonsense', 'col-size', 'col-share', 'col-bad', 'col-runs']));
    for (const d of defs) expect(ids.has(d), d).toBe(true);
    const suite = readFileSync(join(out, 'docs/suite.html'), 'utf8');
    for (const id of ['size', 'nonsense', 'same-gender', 'roles', 'adversary', 'minimality', 'mib']) {
      const section = new RegExp(`<section class="check-def [a-z]+" id="check-${id}">([\\s\\S]*?)</section>`).exec(checks)![1];
      expect(section, id).toContain('<dt>Formula</dt>');
      expect(section, id).toContain('<dt>Why</dt>');
      // the docs link lands on the check's own item in the rendered docs/suite.md
      const anchor = /<a class="doc-link" href="docs\/suite\.html#([^"]+)"/.exec(section)![1];
      expect(suite, id).toContain(`id="${anchor}"`);
    }
    // the lifted formula is the scoring's (v4: against the best of the random draws)
    expect(checks).toContain('the best raw score of R random circuits of the same size');
  });

  it('recognises baselines by their results (method.baseline), never by id', async () => {
    const results = tmp('baseline-ids');
    for (const r of fixtureRuns()) {
      // the baseline renamed to an ordinary-looking id, and an ordinary method renamed keep-all
      const renamed = r.method.baseline ? rebrand(r, 'whole-model') : r.method.id === 'zero' ? rebrand(r, 'keep-all') : r;
      writeFileSync(join(results, `${renamed.run_id}.json`), JSON.stringify(renamed));
    }
    const site = join(tmp('baseline-ids-site'), 's');
    await buildSite({ resultsDir: results, outDir: site });
    const table = /<table class="sortable lb" id="lb-methods">[\s\S]*?<\/table>/.exec(readFileSync(join(site, 'index.html'), 'utf8'))![0];
    const order = [...table.matchAll(/<tr( class="baseline")?>\s*<td data-sort="([^"]+)">/g)].map((m) => `${m[2]}${m[1] ? ' (baseline)' : ''}`);
    expect(order).toEqual(['stochastic', 'mean', 'keep-all', 'whole-model (baseline)']);
  });

  it('labels the release: version, build date, the code commit of the results, and warns when they mix commits', async () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index).toContain('<p class="release" id="release-label"><a href="release.html">faithbench 0.1.0</a> · built <time datetime="2025-02-01T09:30:00.000Z">2025-02-01 09:30 UTC</time> · results from unrecorded code</p>');
    expect(index).not.toContain('id="mixed-code"');
    const results = tmp('two-commits');
    fixtureRuns().forEach((r, i) => {
      r.provenance.git_commit = i % 5 === 0 ? 'b'.repeat(40) : 'a'.repeat(40);
      writeFileSync(join(results, `${r.run_id}.json`), JSON.stringify(r));
    });
    const site = join(tmp('two-commits-site'), 's');
    await buildSite({ resultsDir: results, outDir: site, builtAt: BUILT_AT });
    for (const p of ['index.html', 'methods/zero.html', 'checks.html']) {
      const html = readFileSync(join(site, p), 'utf8');
      expect(html, p).toMatch(/<p class="banner mixed" role="note" id="mixed-code"><strong>Mixed code\.<\/strong> These results come from 2 code versions: aaaaaaaaaaaa \(44 runs\), bbbbbbbbbbbb \(12 runs\)\./);
      expect(html, p).toContain('results from 2 code commits');
    }
    const release = readFileSync(join(site, 'release.html'), 'utf8');
    expect(release).toContain(`<code class="commit">${'a'.repeat(40)}</code>`);
    expect(release).toContain(`<code class="commit">${'b'.repeat(40)}</code>`);
    // the footer says so where a page's own runs mix commits, and not on a run's page
    expect(readFileSync(join(site, 'index.html'), 'utf8')).toContain('class="mixed-note"');
    const run = readdirSync(join(site, 'runs'))[0];
    expect(readFileSync(join(site, 'runs', run), 'utf8')).not.toContain('class="mixed-note"');
  });

  it('writes every table as CSV and JSON with the rows the page shows', () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const id of ['lb-methods', 'lb-models']) {
      const body = new RegExp(`<table class="sortable lb" id="${id}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(index)![1];
      const methods = [...body.matchAll(/<tr[^>]*>\s*<td data-sort="([^"]+)">/g)].map((m) => m[1]);
      expect(index).toContain(`<a href="data/tables/index-${id}.csv" download data-format="csv">CSV</a>`);
      const json = JSON.parse(readFileSync(join(out, `data/tables/index-${id}.json`), 'utf8')) as { columns: string[]; rows: Array<Record<string, unknown>> };
      expect(json.rows.map((r) => r.method)).toEqual(methods);
      expect(json.columns.slice(0, 5)).toEqual(['method', 'baseline', 'submitted', 'model', 'overall']);
      const csv = readFileSync(join(out, `data/tables/index-${id}.csv`), 'utf8').trimEnd().split('\r\n');
      expect(csv).toHaveLength(methods.length + 1);
      expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(methods);
    }
    const run = fixtureRuns().find((r) => !r.flagged)!;
    expect(RunResultSchema.parse(JSON.parse(readFileSync(join(out, `data/runs/${run.run_id}.json`), 'utf8')))).toEqual(run);
    const nodes = readFileSync(join(out, `data/runs/${run.run_id}-nodes.csv`), 'utf8').trimEnd().split('\r\n');
    expect(nodes[0]).toBe('node,layer,site,index,head,rank,r');
    expect(nodes).toHaveLength(run.circuit.size + 1);
  });

  it('replaces a previous build but refuses a folder it did not build', async () => {
    await buildSite({ resultsDir: FIXTURES, outDir: out });
    const foreign = tmp('foreign');
    writeFileSync(join(foreign, 'keep.txt'), 'mine');
    await expect(buildSite({ resultsDir: FIXTURES, outDir: foreign })).rejects.toThrow(/refusing to replace/);
    expect(readFileSync(join(foreign, 'keep.txt'), 'utf8')).toBe('mine');
    await expect(buildSite({ resultsDir: FIXTURES, outDir: join(FIXTURES, 'site') })).rejects.toThrow(/must not contain each other/);
  });

  it('says "no results yet" for an empty or missing results folder', async () => {
    for (const results of [tmp('empty'), join(tmp('missing'), 'nothing-here')]) {
      const site = join(tmp('empty-site'), 'site');
      const report = await buildSite({ resultsDir: results, outDir: site });
      expect(report.runs).toBe(0);
      expect(readFileSync(join(site, 'index.html'), 'utf8')).toContain('No results yet');
    }
  });

  it('reports a corrupted or foreign file in one line naming it, and skips it', async () => {
    const results = tmp('mixed');
    cpSync(FIXTURES, results, { recursive: true });
    writeFileSync(join(results, 'broken.json'), '{"schema_version": 2, "run_id": ');
    mkdirSync(join(results, 'other'));
    writeFileSync(join(results, 'other', 'foreign.json'), JSON.stringify({ hello: 'world' }));
    const bad = byFile('fixture-zero-dense-d8-ioi-s0.json');
    bad.checks.roles.score = 0.001;
    writeFileSync(join(results, 'tampered.json'), JSON.stringify(bad));
    const old = { ...byFile('fixture-mean-dense-d8-ioi-s0.json'), schema_version: 1 };
    writeFileSync(join(results, 'v1.json'), JSON.stringify(old));
    const report = await buildSite({ resultsDir: results, outDir: join(tmp('mixed-site'), 's') });
    expect(report.runs).toBe(N_RUNS);
    expect(report.problems).toHaveLength(4);
    expect(report.problems[0]).toMatch(/^skipping broken\.json: not valid JSON/);
    expect(report.problems[1]).toMatch(/^skipping other\/foreign\.json: not a valid run result: schema_version: /);
    expect(report.problems[2]).toMatch(/^skipping tampered\.json: not a valid run result: checks\.roles\.value: .* does not equal lift\(score, max\(random\.scores\)\)/);
    expect(report.problems[3]).toMatch(/^skipping v1\.json: not a valid run result: schema_version: /);
    for (const p of report.problems) expect(p).not.toContain('\n');
  });

  it('renders user strings inert: escaped text, no javascript: links, JSON that cannot close its script', async () => {
    const results = tmp('xss');
    const evil = rebrand(byFile('fixture-zero-dense-d8-ioi-s0.json'), 'evil');
    evil.method.description = '<script>alert("desc")</script><img src=x onerror=alert(1)>';
    evil.checks.roles.title = '<img src=x onerror=alert("title")>';
    evil.checks.roles.figures.note = '<script>alert("figure")</script>';
    evil.method.paper_url = 'javascript:alert(document.cookie)';
    evil.viewer!.prompts[0] = '</script><script>alert("prompt")</script><!--';
    evil.viewer!.tokens![0][0] = '</SCRIPT>';
    writeFileSync(join(results, 'evil.json'), JSON.stringify(evil));
    const site = join(tmp('xss-site'), 's');
    const report = await buildSite({ resultsDir: results, outDir: site });
    expect(report.problems).toEqual([]);

    const method = readFileSync(join(site, 'methods/evil.html'), 'utf8');
    expect(method).toContain('&lt;script&gt;alert(&quot;desc&quot;)&lt;/script&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(method).not.toMatch(/<script>alert|<img src=x/);
    expect(method).not.toMatch(/href="javascript:/i);
    expect(method).toContain('<span class="inert-url" title="not an http(s) link">javascript:alert(document.cookie)</span>');
    expect(method).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(&quot;title&quot;)&gt;');
    const index = readFileSync(join(site, 'index.html'), 'utf8');
    expect(index).toContain('<button type="button">&lt;img src&#x3D;x onerror&#x3D;alert(&quot;title&quot;)&gt;</button>');
    expect(index).not.toMatch(/<img src=x|<script>alert/);

    const page = readFileSync(join(site, 'runs', `${evil.run_id}.html`), 'utf8');
    // Exactly the page's own scripts close: the JSON data script, viewer.js and sort.js.
    expect(page.match(/<\/script/gi)).toHaveLength(3);
    expect(page).not.toMatch(/<script>alert|<img src=x/);
    expect(page).toContain('note = &lt;script&gt;alert(&quot;figure&quot;)&lt;/script&gt;');
    const json = /<script type="application\/json" id="viewer-data">([^<]*)<\/script>/.exec(page)![1];
    const data = JSON.parse(json) as { prompts: string[]; tokens: string[][] };
    expect(data.prompts[0]).toBe(evil.viewer!.prompts[0]);
    expect(data.tokens[0][0]).toBe('</SCRIPT>');
  });
});

describe('site helpers', () => {
  it('turns only http(s) URLs into links', () => {
    expect(safeHref('https://example.org/a?b=1')).toBe('https://example.org/a?b=1');
    expect(safeHref('http://example.org')).toBe('http://example.org/');
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,x', 'vbscript:x', '//evil.example', '/local', 'mailto:a@b.c', '']) {
      expect(safeHref(bad), bad).toBeNull();
    }
  });

  it('escapes script-closing characters in embedded JSON', () => {
    const s = jsonForScript({ a: '</script><!-- & \u2028' });
    expect(s).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(s)).toEqual({ a: '</script><!-- & \u2028' });
  });

  it('quotes CSV fields and disarms spreadsheet formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-0.5')).toBe('-0.5');
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField(null)).toBe('');
    expect(toCsv({ table: 't', caption: '', columns: ['a', 'b'], rows: [{ a: 1, b: 'x\ny' }] })).toBe('a,b\r\n1,"x\ny"\r\n');
  });

  it('finds the Pareto front of size against faithfulness', () => {
    const p = (fraction: number, overall: number) => ({ fraction, overall });
    expect(paretoFrontier([p(0.5, 0.6), p(0.01, 0.3), p(0.1, 0.2), p(0.2, 0.6), p(1, 0)])).toEqual([p(0.01, 0.3), p(0.2, 0.6)]);
    expect(paretoFrontier([])).toEqual([]);
  });

  it('summarises loss curves per series on one share grid: median and range, never extrapolated', () => {
    const bands = lossBands([
      { series: 'a', total: 100, points: [{ size: 0, loss: 3 }, { size: 1, loss: 2 }, { size: 100, loss: 0 }] },
      { series: 'a', total: 100, points: [{ size: 1, loss: 4 }, { size: 10, loss: 1 }, { size: 100, loss: 0.5 }] },
      { series: 'a', total: 100, points: [{ size: 1, loss: 3 }, { size: 100, loss: 0.1 }] },
      { series: 'b', total: 1000, points: [{ size: 100, loss: 1 }, { size: 1000, loss: 0 }] },
    ]);
    const first = bands.find((b) => b.series === 'a' && Math.abs(b.share - 0.01) < 1e-12)!;
    expect(first).toMatchObject({ median: 3, lo: 2, hi: 4, runs: 3 });
    const last = bands.filter((b) => b.series === 'a').at(-1)!;
    expect(last.share).toBeCloseTo(1);
    expect(last).toMatchObject({ median: 0.1, lo: 0, hi: 0.5 });
    // series b starts at a share of 10%: nothing below it
    const bShares = bands.filter((b) => b.series === 'b').map((b) => b.share);
    expect(Math.min(...bShares)).toBeGreaterThanOrEqual(0.1 * (1 - 1e-9));
    // between two measured points the loss is linear in log share
    const mid = bands.find((b) => b.series === 'b' && b.share > 0.2 && b.share < 0.5)!;
    expect(mid.median).toBeCloseTo(1 - Math.log(mid.share / 0.1) / Math.log(10), 6);
  });

  it('renders the docs with every source string inert and only safe links', () => {
    const doc = renderMarkdown(
      [
        '# Title <b>',
        '',
        'Text with <script>alert(1)</script> and `<code>` and **bold** and [js](javascript:alert(1)) and [ok](https://example.org/a?b=1&c=2) and [doc](other.md#x).',
        '',
        '- **size** [report] — `n*` \\* 2',
        '- **roles** [lifted]',
        '',
        '| a | b |',
        '|---|---|',
        '| `x \\| y` | <i>z</i> |',
      ].join('\n'),
      { docHref: (f, frag) => (f === 'other.md' ? `other.html${frag}` : null) },
    );
    const html = doc.body.html;
    expect(doc.title).toBe('Title <b>');
    expect(html).toContain('<h1 id="title-b">Title &lt;b&gt;</h1>');
    expect(html).not.toMatch(/<script|<b>|<i>|javascript:/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<code>&lt;code&gt;</code>');
    expect(html).toContain('<a href="https://example.org/a?b&#x3D;1&amp;c&#x3D;2" rel="noopener noreferrer nofollow">ok</a>');
    expect(html).toContain('<a href="other.html#x">doc</a>');
    expect(html).toContain(' js ');
    expect(html).toContain('<li id="term-size"><strong>size</strong> [report] — <code>n*</code> * 2</li>');
    expect(doc.terms.get('roles')?.anchor).toBe('term-roles');
    expect(html).toContain('<td><code>x | y</code></td><td>&lt;i&gt;z&lt;/i&gt;</td>');
  });

  it('draws a large circuit collapsed by layer × site, in a bounded height', () => {
    const wide = makeWideFixture();
    expect(wide.circuit.size).toBe(5632);
    const l = layoutCircuit(wide.circuit.nodes, wide.model, wide.viewer!.edges);
    expect(l.collapsed).toBe(true);
    expect(l.height).toBeLessThanOrEqual(MAX_BODY + 100);
    expect(l.groups).toHaveLength(16);
    const neurons = l.groups.find((g) => g.layer === 0 && g.site === 'mlp_neuron')!;
    expect([neurons.count, neurons.width, neurons.label, neurons.nodes.length]).toEqual([1024, 1024, '1024/1024', 1024]);
    // a small circuit is drawn whole
    const small = fixtureRuns().find((r) => r.method.id === 'zero' && !r.flagged)!;
    expect(small.circuit.size).toBeLessThan(COLLAPSE_NODES);
    expect(layoutCircuit(small.circuit.nodes, small.model, []).collapsed).toBe(false);
  });

  it('templates never use triple-stash (unescaped) output', () => {
    for (const f of readdirSync(TEMPLATES)) expect(readFileSync(join(TEMPLATES, f), 'utf8'), f).not.toContain('{{{');
  });

  it('lays out nodes in forward-pass columns, heads together, strongest edges first', () => {
    const model = { n_layers: 2, d_head: 16, site_widths: { attn_in: 64, q: 64, k: 64, v: 64, attn_out: 64, mlp_in: 64, mlp_neuron: 256, mlp_out: 64 } };
    const l = layoutCircuit(['L1.mlp_out.3', 'L0.attn_in.5', 'L0.q.17', 'L0.q.2', 'L0.v.0'], model, [
      { from: 'L0.attn_in.5', to: 'L0.q.2', weight: -0.5 },
      { from: 'L0.attn_in.5', to: 'L0.q.17', weight: 0.1 },
      { from: 'L0.attn_in.5', to: 'L9.q.1', weight: 3 },
    ]);
    expect(l.columns).toHaveLength(16);
    const x = (id: string) => l.nodes.find((n) => n.id === id)!.x;
    expect(x('L0.attn_in.5')).toBeLessThan(x('L0.q.2'));
    expect(x('L0.q.2')).toBe(x('L0.q.17'));
    expect(x('L0.q.17')).toBeLessThan(x('L0.v.0'));
    expect(x('L0.v.0')).toBeLessThan(x('L1.mlp_out.3'));
    const q = l.nodes.filter((n) => n.site === 'q');
    expect(q.map((n) => [n.index, n.head])).toEqual([[2, 0], [17, 1]]);
    expect(l.edges.map((e) => e.sign)).toEqual(['neg', 'pos']); // the edge to a node outside the circuit is dropped
    expect(l.edges[0].width).toBeGreaterThan(l.edges[1].width);
  });

  it('loads nothing and reports nothing for a missing folder', () => {
    const r = loadResults(join(tmpdir(), 'faithbench-definitely-missing'));
    expect(r.runs).toEqual([]);
    expect(r.problems).toEqual([]);
  });
});
