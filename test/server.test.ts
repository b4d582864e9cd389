// The fastify server through `inject` (no sockets): the read API, the static site, and every way a
// submission can be refused. Each refusal must be a 4xx JSON error that leaves the disk unchanged.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { aggregate } from '../src/results/aggregate.ts';
import { RunResultSchema, computeRunId, type RunResult, type SubmissionBundle } from '../src/results/schema.ts';
import { runOverall } from '../src/results/scoring.ts';
import { createServer, storeSubmission } from '../src/site/server.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'results');
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

function fixtureRuns(method: string): RunResult[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.startsWith(`fixture-${method}-`))
    .sort()
    .map((f) => RunResultSchema.parse(JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'))));
}

function rebrand(runs: RunResult[], id: string): RunResult[] {
  return runs.map((run) => {
    const r = clone(run);
    r.method.id = id;
    r.run_id = computeRunId(r);
    return r;
  });
}

/** A snapshot of every file under dir (path → size and mtime), to prove a refusal wrote nothing. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)}:${st.size}:${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

/** A results folder holding the suite's mean, stochastic and keep-all runs; `zero` (with its flagged run) arrives by submission. */
function setup(name: string) {
  const root = tmp(name);
  const results = join(root, 'results');
  for (const f of readdirSync(FIXTURES).filter((f) => !f.startsWith('fixture-zero-'))) cpSync(join(FIXTURES, f), join(results, f));
  return { root, results, site: join(root, 'site') };
}

const zeroBundle = (): SubmissionBundle => {
  const results = fixtureRuns('zero');
  return { method: { id: 'zero', kind: 'ablation-scheme', description: 'Zero ablation.', paper_url: 'https://example.org/zero' }, results, aggregate: aggregate(results) };
};

const post = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/submissions', payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });

describe('server', () => {
  let app: FastifyInstance;
  let env: ReturnType<typeof setup>;
  const logged: string[] = [];

  beforeAll(async () => {
    env = setup('server');
    writeFileSync(join(env.results, 'corrupt.json'), '{ not json');
    app = await createServer({ resultsDir: env.results, siteDir: env.site, bodyLimit: 2 * 1024 * 1024, rateLimit: { max: 1000, timeWindow: 60_000 }, log: (l) => logged.push(l) });
  });
  afterAll(async () => app?.close());

  it('starts despite a corrupted results file, reporting it in one line', () => {
    expect(logged).toContain('skipping corrupt.json: not valid JSON (Expected property name or \'}\' in JSON at position 2)');
  });

  it('serves the site with a strict content security policy', async () => {
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('Faithfulness leaderboard');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((await app.inject({ url: '/methods/mean.html' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/assets/viewer.js' })).statusCode).toBe(200);
  });

  it('does not serve files outside the site folder', async () => {
    for (const url of ['/../results/corrupt.json', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd', '/.faithbench-site']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('not json');
    }
  });

  it('GET /api/leaderboard, /api/runs and /api/runs/:id', async () => {
    const lb = (await app.inject({ url: '/api/leaderboard' })).json() as { schema_version: number; columns: Array<{ id: string }>; rows: Array<{ method: string; baseline: boolean }> };
    expect(lb.schema_version).toBe(2);
    expect(new Set(lb.rows.map((r) => r.method))).toEqual(new Set(['mean', 'stochastic', 'keep-all']));
    expect(new Set(lb.rows.filter((r) => r.baseline).map((r) => r.method))).toEqual(new Set(['keep-all']));
    expect(lb.columns.map((c) => c.id)).toContain('same-gender');
    const runs = (await app.inject({ url: '/api/runs' })).json() as { runs: Array<{ run_id: string; source: string; baseline: boolean; flagged: boolean; overall: number | null; checks: Record<string, { role: string; score: number | null; value: number | null }> }> };
    expect(runs.runs).toHaveLength(44);
    expect(runs.runs.filter((r) => r.baseline)).toHaveLength(12);
    expect(runs.runs[0].checks.roles).toEqual({ role: 'lifted', score: expect.any(Number), value: expect.any(Number) });
    const one = await app.inject({ url: `/api/runs/${runs.runs[0].run_id}` });
    expect(one.statusCode).toBe(200);
    expect(RunResultSchema.safeParse(one.json()).success).toBe(true);
    const bad = await app.inject({ url: '/api/runs/..%2F..%2Fetc' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: { code: 'bad_run_id', message: 'run id must be 16 lowercase hex digits', path: 'id' } });
    const missing = await app.inject({ url: '/api/runs/0123456789abcdef' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    expect((await app.inject({ url: '/api/nothing' })).json().error.code).toBe('not_found');
  });

  it('accepts a valid submission, stores it atomically and rebuilds the site', async () => {
    const res = await post(app, zeroBundle());
    expect(res.statusCode).toBe(201);
    const body = res.json() as { stored: string; run_ids: string[]; site_rebuilt: boolean };
    expect(body.stored).toMatch(/^submissions\/zero\/[0-9a-f]{12}$/);
    expect(body.site_rebuilt).toBe(true);
    const dir = join(env.results, body.stored);
    expect(readdirSync(dir).sort()).toEqual(['method.json', ...body.run_ids.map((id) => `${id}.json`)].sort());
    expect(readdirSync(join(env.results, 'submissions', 'zero')).filter((n) => n.startsWith('.'))).toEqual([]);
    const all = ((await app.inject({ url: '/api/runs' })).json() as { runs: Array<{ flagged: boolean; source: string; overall: number | null }> }).runs;
    expect(all).toHaveLength(56);
    expect(all.filter((r) => r.flagged)).toEqual([expect.objectContaining({ source: 'submission', overall: null })]);
    const page = await app.inject({ url: '/methods/zero.html' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('>submitted</span>');
    expect(page.body).toContain('href="https://example.org/zero"');
    expect(page.body).toContain('<dt>flagged</dt><dd>1 run failed verification on held-out prompts');
    const lb = (await app.inject({ url: '/api/leaderboard' })).json() as { rows: Array<{ method: string; model: string | null; n_flagged: number }> };
    expect(lb.rows.find((r) => r.method === 'zero' && r.model === null)!.n_flagged).toBe(1);
  });

  it('refuses a duplicate (409) and writes nothing', async () => {
    const before = tree(env.results);
    const res = await post(app, zeroBundle());
    expect(res.statusCode).toBe(409);
    const err = res.json().error as { code: string; run_ids: string[] };
    expect(err.code).toBe('duplicate');
    expect(err.run_ids).toHaveLength(12);
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses an oversized body (413) with a JSON error', async () => {
    const before = tree(env.results);
    const big = zeroBundle();
    big.method.description = 'x'.repeat(3 * 1024 * 1024);
    const res = await post(app, big);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: { code: 'too_large', message: `submission body exceeds ${2 * 1024 * 1024} bytes` } });
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses malformed JSON (400) and non-JSON content types (415)', async () => {
    const before = tree(env.results);
    const res = await post(app, '{"method": {"id": "x",');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/JSON/);
    const text = await post(app, 'hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBeDefined();
    const proto = await post(app, '{"__proto__": {"polluted": true}, "method": {}}');
    expect(proto.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses a schema violation (400) naming the path and the problem', async () => {
    const before = tree(env.results);
    const b = zeroBundle() as unknown as { results: Array<{ checks: { roles: { score: unknown } } }> };
    b.results[3].checks.roles.score = 1.7;
    const res = await post(app, b);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { code: 'invalid', path: 'results[3].checks.roles.score', message: 'results[3].checks.roles.score: Too big: expected number to be <=1' },
    });
    const missing = await post(app, { method: { id: 'm', kind: 'ablation-scheme' } });
    expect(missing.json().error.path).toBe('results');
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses an internally inconsistent bundle (422) naming the figure', async () => {
    const before = tree(env.results);
    const b = zeroBundle();
    b.results[0].checks.adversary.score = 1;
    const res = await post(app, b);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.path).toBe('results[0].checks.adversary.value');
    expect(res.json().error.message).toMatch(/does not equal lift\(score, random\.mean\)/);
    // the value and overall recomputed too: the figures beside the score still give it away
    const careful = zeroBundle();
    const r = careful.results[0];
    r.checks.adversary.score = 1;
    r.checks.adversary.value = 1;
    r.overall = runOverall(r);
    delete careful.aggregate;
    const res2 = await post(app, careful);
    expect(res2.statusCode).toBe(422);
    expect(res2.json().error.path).toBe('results[0].checks.adversary.score');
    expect(res2.json().error.message).toMatch(/does not equal clamp\(\(worst_acc − 0\.5\)\/\(acc_model − 0\.5\), 0, 1\)/);
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses a bundle that turns a stored lifted check into a report (422)', async () => {
    const before = tree(env.results);
    const results = rebrand(fixtureRuns('zero'), 'relabelled');
    for (const r of results.filter((x) => !x.flagged)) {
      r.checks.adversary.role = 'report';
      r.checks.adversary.value = null;
      r.overall = runOverall(r);
    }
    const res = await post(app, { method: { id: 'relabelled', kind: 'ablation-scheme' }, results });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toEqual({ code: 'inconsistent', path: 'results[0].checks.adversary.role', message: 'results[0].checks.adversary.role: "report" but the stored results declare "lifted"' });
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses names that would leave results/submissions/ (path traversal)', async () => {
    const before = tree(env.results);
    for (const id of ['../../evil', '..', 'a/b', '.hidden', 'a\\b', 'UPPER', '']) {
      const b = zeroBundle();
      b.method.id = id;
      b.results = rebrand(b.results, id.length ? id : 'x');
      delete b.aggregate;
      const res = await post(app, b);
      expect(res.statusCode, id).toBe(400);
      expect(res.json().error.path, id).toBe('method.id');
    }
    expect(tree(env.results)).toEqual(before);
    expect(existsSync(join(env.root, 'evil'))).toBe(false);
    // The storage layer refuses on its own too, should a bad name ever get past the schema.
    const forged = { ...zeroBundle(), method: { id: '../../escape', kind: 'ablation-scheme' as const } };
    expect(() => storeSubmission(env.results, forged)).toThrow(/not a safe folder name/);
    expect(existsSync(join(env.root, 'escape'))).toBe(false);
  });

  it('renders submitted strings inert on the rebuilt site', async () => {
    const id = 'xss-probe';
    const results = rebrand(fixtureRuns('zero').slice(0, 2), id);
    results[0].viewer!.prompts[0] = '</script><script>alert("prompt")</script>';
    const bundle: SubmissionBundle = {
      method: {
        id,
        kind: 'ablation-scheme',
        description: '<script>alert("x")</script><img src=x onerror=alert(1)>',
        paper_url: 'javascript:alert(document.cookie)',
        code_url: 'data:text/html,<script>alert(1)</script>',
        authors: ['<b onmouseover=alert(1)>Mallory</b>'],
      },
      results,
    };
    const res = await post(app, bundle);
    expect(res.statusCode).toBe(201);
    const page = (await app.inject({ url: `/methods/${id}.html` })).body;
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page).toContain('&lt;b onmouseover&#x3D;alert(1)&gt;Mallory&lt;/b&gt;');
    expect(page).not.toMatch(/<script>alert|<img src=x|<b onmouseover/);
    expect(page).not.toMatch(/href="(javascript|data):/i);
    expect(page).toContain('<span class="inert-url" title="not an http(s) link">javascript:alert(document.cookie)</span>');
    const run = (await app.inject({ url: `/runs/${results[0].run_id}.html` })).body;
    expect(run).not.toContain('<script>alert');
    expect(run.match(/<\/script/gi)).toHaveLength(3);
    // Leaderboard and API hold the same strings as data, not markup.
    const api = (await app.inject({ url: `/api/runs/${results[0].run_id}` })).json() as RunResult;
    expect(api.viewer!.prompts[0]).toBe('</script><script>alert("prompt")</script>');
  });
});

describe('server rate limit', () => {
  it('answers 429 with a JSON error once a client exceeds the submission limit', async () => {
    const env = setup('ratelimit');
    const app = await createServer({ resultsDir: env.results, siteDir: env.site, rateLimit: { max: 2, timeWindow: 60_000 }, log: () => {} });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await post(app, { method: {}, results: [] })).statusCode);
      expect(codes).toEqual([400, 400, 429]);
      const limited = await post(app, zeroBundle());
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe('rate_limited');
      expect(limited.headers['retry-after']).toBeDefined();
      expect(existsSync(join(env.results, 'submissions'))).toBe(false);
      // Reading is not limited.
      expect((await app.inject({ url: '/api/leaderboard' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
