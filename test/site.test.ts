// Schema, aggregation, offline verifier and static site build, on the synthetic fixtures in
// test/fixtures/results (regenerate with `npx tsx test/fixtures/make-fixtures.ts`).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregate, bootstrapInterval, DEFAULT_AGGREGATE } from '../src/benchmarks/aggregate.ts';
import {
  RunResultSchema,
  computeRunId,
  parseNodeId,
  runOverall,
  mibAreas,
  paretoFront,
  type RunResult,
} from '../src/benchmarks/results-schema.ts';
import { buildSite, jsonForScript, safeHref } from '../src/site/build.ts';
import { layoutCircuit } from '../src/site/layout.ts';
import { loadResults } from '../src/site/load.ts';
import { checkRun, verifyBundle } from '../src/site/submit.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'results');
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
    expect(runs).toHaveLength(36);
    for (const r of runs) expect(checkRun(r)).toBeNull();
    expect(runs.every((r) => r.provenance.synthetic === true)).toBe(true);
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
    hi.checks.roles!.score = 1.5;
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
      'stochastic/*', 'stochastic/dense-d64', 'stochastic/sparse-d128',
      'mean/*', 'mean/sparse-d128', 'mean/dense-d64',
      'zero/*', 'zero/dense-d64', 'zero/sparse-d128',
    ]);
    for (const row of a.rows) {
      expect(row.overall!.lo).toBeLessThanOrEqual(row.overall!.mean);
      expect(row.overall!.hi).toBeGreaterThanOrEqual(row.overall!.mean);
      expect(row.overall!.n).toBe(3);
    }
  });

  it('averages each seed over tasks, then bootstraps over seeds', () => {
    const runs = fixtureRuns().filter((r) => r.method.id === 'zero' && r.model.id === 'dense-d64');
    const row = aggregate(runs).rows.find((r) => r.model === 'dense-d64')!;
    const perSeed = [0, 1, 2].map((s) => {
      const mine = runs.filter((r) => r.seed === s).map((r) => runOverall(r)!);
      return mine.reduce((a, b) => a + b, 0) / mine.length;
    });
    expect(row.overall!.mean).toBeCloseTo(perSeed.reduce((a, b) => a + b, 0) / 3, 12);
    // nonsense only exists on pronoun runs, same-gender only on ioi runs: each still has 3 seeds
    expect(row.checks.nonsense!.n).toBe(3);
    expect(row.checks.same_gender!.n).toBe(3);
    expect(row.tasks).toEqual(['ioi', 'pronoun']);
  });

  it('overall of a run is the mean of the checks that ran', () => {
    const [r] = fixtureRuns();
    const c = clone(r);
    c.checks = { ...c.checks, nonsense: null, same_gender: null, roles: { ...c.checks.roles!, score: 0.2 }, adversary: { ...c.checks.adversary!, score: 0.6 } };
    expect(runOverall(c)).toBeCloseTo(0.4, 12);
    c.checks = { ...c.checks, roles: null, adversary: null };
    expect(runOverall(c)).toBeNull();
  });

  it('gives a degenerate interval for one seed and null for none', () => {
    expect(bootstrapInterval([0.4], 'k', DEFAULT_AGGREGATE)).toEqual({ mean: 0.4, lo: 0.4, hi: 0.4, n: 1 });
    expect(bootstrapInterval([], 'k', DEFAULT_AGGREGATE)).toBeNull();
    expect(aggregate([]).rows).toEqual([]);
  });
});

describe('offline verifier', () => {
  const zeroBundle = () => {
    const results = fixtureRuns().filter((r) => r.method.id === 'zero');
    return { method: { id: 'zero', kind: 'ablation-scheme' as const, description: 'zero ablation' }, results, aggregate: aggregate(results) };
  };

  it('accepts a consistent bundle with its aggregate', () => {
    const v = verifyBundle(zeroBundle());
    expect(v.ok).toBe(true);
  });

  const cases: Array<[string, (b: ReturnType<typeof zeroBundle>) => void, RegExp]> = [
    ['a score that is not its formula', (b) => { b.results[2].checks.adversary!.score = 0.99; }, /^results\[2\]\.checks\.adversary\.score: 0\.99 does not equal clamp\(worst_acc \/ acc_model, 0, 1\)/],
    ['a same-gender score off its formula', (b) => { b.results[0].checks.same_gender!.score = 0.5; }, /^results\[0\]\.checks\.same_gender\.score: .*clamp\(\(P_circ − 0\.5\)/],
    ['a nonsense score off its formula', (b) => { b.results[3].checks.nonsense!.score = 0.01; }, /^results\[3\]\.checks\.nonsense\.score: .*clamp\(L_circ \/ L_model, 0, 1\)/],
    ['size that is not nodes.length', (b) => { b.results[1].circuit.size += 1; }, /^results\[1\]\.circuit\.size: \d+ does not equal nodes\.length/],
    ['a node beyond its site', (b) => { b.results[1].circuit.nodes[0] = 'L0.q.999'; }, /^results\[1\]\.circuit\.nodes\[0\]: L0\.q\.999 has index 999 but q has 64 nodes/],
    ['a node in a missing layer', (b) => { b.results[1].circuit.nodes[0] = 'L7.q.1'; }, /^results\[1\]\.circuit\.nodes\[0\]: L7\.q\.1 has layer 7/],
    ['a wrong total', (b) => { b.results[0].circuit.total_nodes = 100; }, /^results\[0\]\.circuit\.total_nodes: 100 does not equal/],
    ['a run id that is not the input hash', (b) => { b.results[0].seed = 9; }, /^results\[0\]\.run_id: .* is not the hash/],
    ['a fraction off n*/total', (b) => { b.results[0].checks.size!.fraction = 0.5; }, /^results\[0\]\.checks\.size\.fraction/],
    ['a roles summary off its nodes', (b) => { b.results[0].checks.roles!.mean_r = 0.99; }, /^results\[0\]\.checks\.roles\.mean_r/],
    ['a bad_circuit flag that contradicts P_circ', (b) => { const s = b.results[0].checks.same_gender!; s.bad_circuit = !s.bad_circuit; }, /^results\[0\]\.checks\.same_gender\.bad_circuit/],
    ['an edge to a pruned node', (b) => { b.results[0].viewer!.edges.push({ from: b.results[0].circuit.nodes[0], to: 'L1.mlp_out.63', weight: 1 }); }, /^results\[0\]\.viewer\.edges\[\d+\]\.to: L1\.mlp_out\.63 is not a circuit node/],
    ['an aggregate that does not match', (b) => { b.aggregate.rows[0].checks.roles!.mean += 0.01; }, /^aggregate\.rows\[0\]\.checks\.roles\.mean: .* does not equal the recomputed/],
    ['a run of another method', (b) => { b.results[4] = rebrand(b.results[4], 'other'); }, /^results\[4\]\.method\.id: "other" does not match the bundle's method\.id "zero"/],
    ['a repeated run', (b) => { b.results[5] = clone(b.results[4]); }, /^results\[5\]\.run_id: [0-9a-f]{16} repeats results\[4\]/],
    ['a schema violation', (b) => { (b.results[2].checks.roles as unknown as { score: string }).score = 'high'; }, /^results\[2\]\.checks\.roles\.score: /],
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
    const report = await buildSite({ resultsDir: FIXTURES, outDir: out });
    expect(report.problems).toEqual([]);
    expect(report.runs).toBe(36);
  });

  it('writes a leaderboard, a page per method, task, model and run, plots and data', () => {
    for (const p of ['index.html', 'methods/zero.html', 'methods/mean.html', 'methods/stochastic.html', 'tasks/ioi.html', 'tasks/pronoun.html', 'models/dense-d64.html', 'models/sparse-d128.html', 'plots/pareto.svg', 'plots/same-gender.svg', 'plots/method-zero-loss-size.svg', 'assets/style.css', 'assets/sort.js', 'assets/viewer.js', 'data/leaderboard.json', 'data/runs.json']) {
      expect(existsSync(join(out, p)), p).toBe(true);
    }
    expect(readdirSync(join(out, 'runs'))).toHaveLength(36);
    expect(readFileSync(join(out, 'plots/pareto.svg'), 'utf8')).toMatch(/^<svg/);
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
    writeFileSync(join(results, 'broken.json'), '{"schema_version": 1, "run_id": ');
    mkdirSync(join(results, 'other'));
    writeFileSync(join(results, 'other', 'foreign.json'), JSON.stringify({ hello: 'world' }));
    const bad = clone(fixtureRuns()[0]);
    bad.checks.roles!.score = 0.001;
    writeFileSync(join(results, 'tampered.json'), JSON.stringify(bad));
    const report = await buildSite({ resultsDir: results, outDir: join(tmp('mixed-site'), 's') });
    expect(report.runs).toBe(36);
    expect(report.problems).toHaveLength(3);
    expect(report.problems[0]).toMatch(/^skipping broken\.json: not valid JSON/);
    expect(report.problems[1]).toMatch(/^skipping other\/foreign\.json: not a valid run result: schema_version: /);
    expect(report.problems[2]).toMatch(/^skipping tampered\.json: not a valid run result: checks\.roles\.score: 0\.001 does not equal/);
    for (const p of report.problems) expect(p).not.toContain('\n');
  });

  it('renders user strings inert: escaped text, no javascript: links, JSON that cannot close its script', async () => {
    const results = tmp('xss');
    const evil = rebrand(fixtureRuns()[0], 'evil');
    evil.method.description = '<script>alert("desc")</script><img src=x onerror=alert(1)>';
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

    const page = readFileSync(join(site, 'runs', `${evil.run_id}.html`), 'utf8');
    // Exactly the page's own scripts close: the JSON data script, viewer.js and sort.js.
    expect(page.match(/<\/script/gi)).toHaveLength(3);
    expect(page).not.toContain('<script>alert');
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

  it('templates never use triple-stash (unescaped) output', () => {
    for (const f of readdirSync(TEMPLATES)) expect(readFileSync(join(TEMPLATES, f), 'utf8'), f).not.toContain('{{{');
  });

  it('lays out nodes in forward-pass columns, heads together, strongest edges first', () => {
    const model = { n_layers: 2, d_head: 16 };
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
