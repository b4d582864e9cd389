// The fastify server: the read API, the static site, submissions recomputed on the server's own zoo
// (real worker threads, the tiny preset's settings), and every way a submission can be refused.
// Each refusal must be a 4xx/5xx JSON error that leaves the disk unchanged.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RunResultSchema, type Leaderboard, type RunResult } from '../src/results/schema.ts';
import type { Submission } from '../src/results/submission.ts';
import { createServer, type ServerOptions, type SubmissionServer } from '../src/server/server.ts';
import { readCached } from '../src/suite/suite.ts';
import { PRESETS } from '../src/suite/presets.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'results');
const SUBMISSION = join(import.meta.dirname, 'fixtures', 'submission-zero-tiny.json');
const made: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `faithbench-${name}-`));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A real submission: circuits the built-in zero learner found (test/fixtures/make-submission.ts). */
const submission = (name = 'zero-again', seed = 0): Submission => {
  const s = JSON.parse(readFileSync(SUBMISSION, 'utf8')) as Submission;
  s.method.id = name;
  for (const r of s.runs) r.seed = seed;
  return s;
};

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

/** A results folder holding the suite's fixture runs. */
function setup(name: string) {
  const root = tmp(name);
  const results = join(root, 'results');
  for (const f of readdirSync(FIXTURES)) cpSync(join(FIXTURES, f), join(results, f));
  return { root, results, site: join(root, 'site') };
}

const start = (env: ReturnType<typeof setup>, extra: Partial<ServerOptions> = {}, logged: string[] = []) =>
  createServer({ resultsDir: env.results, siteDir: env.site, settings: PRESETS.tiny.settings, bodyLimit: 2 * 1024 * 1024, rebuildDebounceMs: 50, log: (l) => logged.push(l), ...extra });

const post = (app: SubmissionServer, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/submissions', payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });

type Status = { id: string; method: string; state: string; runs: number; done: number; stored?: string; run_ids?: string[]; flagged?: number; disagreements?: string[] };

describe('server', () => {
  let app: SubmissionServer;
  let env: ReturnType<typeof setup>;
  const logged: string[] = [];

  beforeAll(async () => {
    env = setup('server');
    writeFileSync(join(env.results, 'corrupt.json'), '{ not json');
    app = await start(env, { rateLimit: { max: 1000, windowMs: 60_000 } }, logged);
  });
  afterAll(async () => app?.close());

  it('starts despite a corrupted results file, reporting it in one line', () => {
    expect(logged).toContain('skipping corrupt.json: not valid JSON (Expected property name or \'}\' in JSON at position 2)');
  });

  it('serves the site with a strict content security policy, compressed when asked', async () => {
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('Faithfulness leaderboard');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((await app.inject({ url: '/methods/mean.html' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/assets/viewer.js' })).statusCode).toBe(200);
    const gz = await app.inject({ url: '/api/runs', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString('utf8')).runs.length).toBeGreaterThan(0);
  });

  it('does not serve files outside the site folder', async () => {
    for (const url of ['/../results/corrupt.json', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd', '/.faithbench-site']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('not json');
    }
  });

  it('GET /api/leaderboard, /api/runs and /api/runs/:id', async () => {
    const lb = (await app.inject({ url: '/api/leaderboard' })).json() as Leaderboard;
    expect(new Set(lb.rows.map((r) => r.method))).toEqual(new Set(['zero', 'mean', 'stochastic', 'keep-all']));
    const runs = (await app.inject({ url: '/api/runs' })).json() as { runs: Array<{ run_id: string }> };
    expect(runs.runs).toHaveLength(56);
    const one = await app.inject({ url: `/api/runs/${runs.runs[0].run_id}` });
    expect(one.statusCode).toBe(200);
    expect(RunResultSchema.safeParse(one.json()).success).toBe(true);
    const bad = await app.inject({ url: '/api/runs/..%2F..%2Fetc' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: { code: 'bad_run_id', message: 'run id must be 16 lowercase hex digits', path: 'id' } });
    expect((await app.inject({ url: '/api/runs/0123456789abcdef' })).json().error.code).toBe('not_found');
    expect((await app.inject({ url: '/api/nothing' })).json().error.code).toBe('not_found');
  });

  it('recomputes a submission in the background and stores only recomputed figures (edited claims are reported back)', async () => {
    const s = submission();
    // the attack that used to top the board: the submitter's own figures, edited
    s.runs[0].claimed = { overall: 0.99, flagged: false, checks: { adversary: { score: 0.123456, value: 0.654321 } } };
    const res = await post(app, s);
    expect(res.statusCode).toBe(202);
    const queued = res.json() as Status;
    expect(queued).toMatchObject({ method: 'sub.zero-again', state: expect.stringMatching(/queued|running/), runs: 2 });
    expect(res.headers.location).toBe(`/api/submissions/${queued.id}`);
    await app.settled();
    const status = (await app.inject({ url: `/api/submissions/${queued.id}` })).json() as Status;
    expect(status.state).toBe('stored');
    expect(status.stored).toBe(`submissions/sub.zero-again/${queued.id}`);
    expect(status.disagreements!.map((d) => d.split(':')[0])).toEqual(['runs[0].claimed.overall', 'runs[0].claimed.checks.adversary.score', 'runs[0].claimed.checks.adversary.value']);
    const dir = join(env.results, status.stored!);
    expect(readdirSync(dir).sort()).toEqual(['.report.json', 'method.json', ...status.run_ids!.map((id) => `${id}.json`)].sort());
    const run = (await app.inject({ url: `/api/runs/${status.run_ids![0]}` })).json() as RunResult;
    expect(run.method).toEqual({ id: 'sub.zero-again', kind: 'ablation-scheme', options: {}, description: s.method.description, paper_url: 'https://example.org/zero' });
    expect(run.model.hash).toBe(s.runs[0].model_hash);
    expect(run.circuit.nodes).toEqual(s.runs[0].circuit.nodes);
    expect(run.overall).not.toBe(0.99);
    expect(run.checks.adversary.score).not.toBe(0.123456);
    expect(run.checks.nonsense.figures.nonsense_ablation).toBe('zero');
    // the leaderboard shows the recomputed row, namespaced, and the site its page
    const lb = (await app.inject({ url: '/api/leaderboard' })).json() as Leaderboard;
    const row = lb.rows.find((r) => r.method === 'sub.zero-again' && r.model === null)!;
    expect(row.n_runs).toBe(2);
    expect(row.baseline).toBe(false);
    expect(row.overall?.mean).toBe(run.overall ?? undefined);
    const page = await app.inject({ url: '/methods/sub.zero-again.html' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('>submitted</span>');
    // the built-in `zero` row is untouched
    const zero = lb.rows.find((r) => r.method === 'zero' && r.model === null)!;
    expect(zero.n_runs).toBe(12);
  });

  it('refuses a duplicate (409): the same bundle, or the same method, model, task and seed again', async () => {
    const before = tree(env.results);
    const again = await post(app, submission());
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('duplicate');
    const other = submission();
    other.runs[1].circuit.nodes = other.runs[1].circuit.nodes.slice(1);
    const res = await post(app, other);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.runs).toEqual(['dense-d64/pronoun/s0', 'dense-d64/ioi/s0']);
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses built-in ids, the baseline flag, foreign models and node ids the server\'s model does not have (422 / 400)', async () => {
    const before = tree(env.results);
    const n = submission().runs[0].circuit.nodes.length;
    const cases: Array<[string, (s: Submission) => void, number, string, RegExp]> = [
      ['built-in id', (s) => (s.method.id = 'zero'), 422, 'method.id', /reserved by a built-in method/],
      ['baseline flag', (s) => Object.assign(s.method, { baseline: true }), 400, 'method', /baseline/],
      ['namespace in the name', (s) => (s.method.id = 'sub.zero'), 400, 'method.id', /a-z 0-9 -/],
      ['unknown model', (s) => (s.runs[1].model = 'dense-d8'), 422, 'runs[1].model', /not a model of this server/],
      ['made-up model hash', (s) => (s.runs[0].model_hash = 'ab'.repeat(32)), 422, 'runs[0].model_hash', /is not this server's dense-d64/],
      ['a layer the model lacks', (s) => s.runs[0].circuit.nodes.push('L9.mlp_neuron.0'), 422, `runs[0].circuit.nodes[${n}]`, /dense-d64 has 2 layers/],
      ['an index the site lacks', (s) => (s.runs[0].nonsense.ranking[3] = 'L1.mlp_neuron.256'), 422, 'runs[0].nonsense.ranking[3]', /mlp_neuron of dense-d64 has 256 nodes/],
      ['a node twice', (s) => s.runs[0].circuit.nodes.push(s.runs[0].circuit.nodes[0]), 422, `runs[0].circuit.nodes[${n}]`, /appears twice/],
      ['an unscored task', (s) => (s.runs[0].task = 'nonsense'), 422, 'runs[0].task', /not a task this server scores/],
      ['an empty circuit', (s) => (s.runs[0].circuit.nodes = []), 422, 'runs[0].circuit.nodes', /empty/],
      ['a malformed node id', (s) => (s.runs[0].circuit.nodes[0] = 'L0.resid.1'), 400, 'runs[0].circuit.nodes[0]', /L\{layer\}/],
    ];
    for (const [what, edit, status, path, message] of cases) {
      const s = submission('probe', 7);
      edit(s);
      const res = await post(app, s);
      expect(res.statusCode, what).toBe(status);
      expect(res.json().error.path, what).toBe(path);
      expect(res.json().error.message, what).toMatch(message);
    }
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses an oversized body (413), malformed JSON (400), deep JSON (400) and other content types (415)', async () => {
    const before = tree(env.results);
    const big = submission('big', 3);
    big.method.description = 'x'.repeat(3 * 1024 * 1024);
    const res = await post(app, big);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: { code: 'too_large', message: `submission body exceeds ${2 * 1024 * 1024} bytes` } });
    const broken = await post(app, '{"method": {"id": "x",');
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.message).toMatch(/JSON/);
    const deep = await post(app, '['.repeat(100_000) + ']'.repeat(100_000));
    expect(deep.statusCode).toBe(400);
    expect(deep.json().error).toEqual({ code: 'too_deep', message: 'JSON nests deeper than 64 levels' });
    const text = await post(app, 'hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    const proto = await post(app, '{"__proto__": {"polluted": true}, "method": {}}');
    expect(proto.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(tree(env.results)).toEqual(before);
  });

  it('refuses names that would leave results/submissions/ (path traversal) at the schema', async () => {
    const before = tree(env.results);
    for (const id of ['../../evil', '..', 'a/b', '.hidden', 'a\\b', 'UPPER', '']) {
      const s = submission('x', 4);
      s.method.id = id;
      const res = await post(app, s);
      expect(res.statusCode, id).toBe(400);
      expect(res.json().error.path, id).toBe('method.id');
    }
    expect(tree(env.results)).toEqual(before);
    expect(existsSync(join(env.root, 'evil'))).toBe(false);
  });

  it('renders submitted strings inert on the rebuilt site', async () => {
    const s = submission('xss-probe', 5);
    s.runs = s.runs.slice(1); // one (flagged, quick) run
    Object.assign(s.method, {
      description: '<script>alert("x")</script><img src=x onerror=alert(1)>',
      paper_url: 'javascript:alert(document.cookie)',
      code_url: 'data:text/html,<script>alert(1)</script>',
      authors: ['<b onmouseover=alert(1)>Mallory</b>'],
    });
    expect((await post(app, s)).statusCode).toBe(202);
    await app.settled();
    const page = (await app.inject({ url: '/methods/sub.xss-probe.html' })).body;
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page).toContain('&lt;b onmouseover&#x3D;alert(1)&gt;Mallory&lt;/b&gt;');
    expect(page).not.toMatch(/<script>alert|<img src=x|<b onmouseover/);
    expect(page).not.toMatch(/href="(javascript|data):/i);
  });

  it('keeps submitted runs out of the suite\'s cache', async () => {
    const status = (await app.inject({ url: '/api/runs' })).json() as { runs: Array<{ run_id: string; method: string }> };
    const sub = status.runs.find((r) => r.method === 'sub.zero-again')!;
    const dir = join(env.results, 'submissions', 'sub.zero-again');
    const file = join(dir, readdirSync(dir)[0], `${sub.run_id}.json`);
    const c = readCached(file, sub.run_id);
    expect(c.result).toBeUndefined();
    expect(c.problem).toMatch(/a submitted run \(sub\.zero-again\) is not a suite result/);
  });
});

describe('server limits', () => {
  it('counts only accepted work against the rate limit, per client (proxy trusted only when configured)', async () => {
    const env = setup('ratelimit');
    const app = await start(env, { rateLimit: { max: 1, windowMs: 60_000 }, trustProxy: '127.0.0.1' });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await post(app, { method: {}, runs: [] })).statusCode);
      expect(codes).toEqual([400, 400, 400]); // refusals cost nothing
      const one = submission('limited', 0);
      one.runs = one.runs.slice(1);
      expect((await post(app, one)).statusCode).toBe(202);
      const two = submission('limited', 1);
      two.runs = two.runs.slice(1);
      const limited = await post(app, two);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error.code).toBe('rate_limited');
      expect(limited.headers['retry-after']).toBeDefined();
      // another client behind the trusted proxy has its own budget
      expect((await post(app, two, { 'x-forwarded-for': '203.0.113.9' })).statusCode).toBe(202);
      expect((await app.inject({ url: '/api/leaderboard' })).statusCode).toBe(200);
      await app.settled();
    } finally {
      await app.close();
    }
  });

  it('answers 503 when the queue is full and 507 when storage is full, writing nothing', async () => {
    const env = setup('limits');
    const app = await start(env, { limits: { maxQueuedRuns: 1, maxStoredRuns: 2 } });
    try {
      const before = tree(env.results);
      const full = await post(app, submission('queue', 0));
      expect(full.statusCode).toBe(503);
      expect(full.json().error.code).toBe('queue_full');
      expect(full.headers['retry-after']).toBe('60');
      expect(tree(env.results)).toEqual(before);
      const one = submission('store', 0);
      one.runs = one.runs.slice(1);
      expect((await post(app, one)).statusCode).toBe(202);
      await app.settled();
      const two = submission('store', 1);
      two.runs = two.runs.slice(1);
      expect((await post(app, two)).statusCode).toBe(202);
      await app.settled();
      const three = submission('store', 2);
      three.runs = three.runs.slice(1);
      const res = await post(app, three);
      expect(res.statusCode).toBe(507);
      expect(res.json().error).toMatchObject({ code: 'storage_full', message: 'the server stores at most 2 submitted runs (2 stored, 0 queued)' });
    } finally {
      await app.close();
    }
  }, 300_000); // two recomputed submissions: near the 120 s default on a loaded 2-core machine

  it('cuts off a client that sends its body too slowly (request timeout)', async () => {
    const env = setup('slow');
    const app = await start(env, { timeouts: { requestMs: 500, headersMs: 500 } });
    try {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const port = Number(new URL(address).port);
      const t0 = Date.now();
      const answer = await new Promise<string>((done) => {
        const sock = connect(port, '127.0.0.1', () => {
          sock.write('POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":');
          const drip = setInterval(() => sock.write(' '), 100);
          let got = '';
          sock.on('data', (d) => (got += d.toString()));
          sock.on('close', () => {
            clearInterval(drip);
            done(got);
          });
          sock.on('error', () => {});
        });
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await app.close();
    }
  });

  it('resumes queued submissions after a restart', async () => {
    const env = setup('restart');
    const s = submission('resumed', 0);
    s.runs = s.runs.slice(1);
    const app = await start(env);
    const res = await post(app, s);
    expect(res.statusCode).toBe(202);
    const id = (res.json() as Status).id;
    await app.close(); // before (or while) it is recomputed
    const queued = join(env.results, 'submissions', '.queue', `${id}.json`);
    expect(existsSync(queued)).toBe(true); // a worker takes about a second to start: nothing was recomputed yet
    const again = await start(env);
    try {
      await again.settled();
      const status = (await again.inject({ url: `/api/submissions/${id}` })).json() as Status;
      expect(status.state).toBe('stored');
      expect(existsSync(queued)).toBe(false);
    } finally {
      await again.close();
    }
  }, 300_000); // a recomputation after a restart: as above
});
