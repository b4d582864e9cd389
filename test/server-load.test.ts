// A bounded loopback load test (the one speed assertion the project allows): 300 GETs over the
// site and the read API while three submissions (nine runs) are recomputed on a worker thread and
// the site is rebuilt after each. The request path only reads what the last build left, so GET
// latency must stay low: p99 < 100 ms. The figures are printed.
import { describe, it, expect, afterAll } from 'vitest';
import { Agent, request } from 'node:http';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Submission } from '../src/results/submission.ts';
import { createServer } from '../src/server/server.ts';
import { PRESETS } from '../src/suite/presets.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'results');
const root = mkdtempSync(join(tmpdir(), 'faithbench-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function get(agent: Agent, port: number, path: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

function post(port: number, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, path: '/api/submissions', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

describe('server under load', () => {
  it('answers GETs with p99 < 100 ms while submissions are recomputed', async () => {
    const results = join(root, 'results');
    for (const f of readdirSync(FIXTURES)) cpSync(join(FIXTURES, f), join(results, f));
    const app = await createServer({ resultsDir: results, siteDir: join(root, 'site'), settings: PRESETS.tiny.settings, rebuildDebounceMs: 50, log: () => {} });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
      const base = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'submission-zero-tiny.json'), 'utf8')) as Submission;
      const pronoun = base.runs.find((r) => r.task === 'pronoun')!;
      for (const [k, name] of ['load-a', 'load-b', 'load-c'].entries()) {
        const sub: Submission = { ...base, method: { ...base.method, id: name }, runs: [0, 1, 2].map((s) => ({ ...pronoun, seed: 3 * k + s })) };
        expect(await post(port, sub)).toBe(202);
      }
      const runIds = ((await (await fetch(`http://127.0.0.1:${port}/api/runs`)).json()) as { runs: Array<{ run_id: string }> }).runs.map((r) => r.run_id);
      const paths = ['/', '/api/leaderboard', '/api/runs', `/api/runs/${runIds[0]}`, '/methods/mean.html', '/assets/viewer.js'];
      const times: number[] = [];
      // 300 GETs, two at a time, paced so that they spread over the recomputation
      for (let i = 0; i < 300; i += 2) {
        const pair = await Promise.all([get(agent, port, paths[i % paths.length]), get(agent, port, paths[(i + 1) % paths.length])]);
        for (const r of pair) {
          expect(r.status).toBe(200);
          times.push(r.ms);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      const queue = (await (await fetch(`http://127.0.0.1:${port}/api/queue`)).json()) as { queued_runs: number; recomputing: number; stored_runs: number };
      // the GETs overlapped the recomputation: it is still going after the last of them
      expect(queue.queued_runs).toBeGreaterThan(0);
      const sorted = [...times].sort((a, b) => a - b);
      const [p50, p95, p99] = [0.5, 0.95, 0.99].map((q) => quantile(sorted, q));
      process.stdout.write(`server load: ${times.length} GETs during the recomputation of 9 submitted runs (${9 - queue.queued_runs} finished by the last GET): p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms\n`);
      expect(p99).toBeLessThan(100);
      await app.settled();
      expect(((await (await fetch(`http://127.0.0.1:${port}/api/queue`)).json()) as { stored_runs: number }).stored_runs).toBe(9);
    } finally {
      agent.destroy();
      await app.close();
    }
  }, 180_000);
});
