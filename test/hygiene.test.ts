// Results hygiene, end to end through the real CLI: every reader refuses the same files and says
// which and why; the suite recomputes an edited result; merge is all or nothing; a missing or
// empty results folder is an error; site build never swaps in an empty site unless asked; a
// bounded --workers; Ctrl-C finishes and saves every run in flight, a second Ctrl-C aborts.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadResults } from '../src/results/load.ts';
import { computeDigest, RunResultSchema } from '../src/results/schema.ts';
import { walk } from './results-compare.ts';

const CLI = join(process.cwd(), 'bin/faithbench.js');
const dir = mkdtempSync(join(tmpdir(), 'fb-hygiene-'));
/** The tiny preset on the zoo's dense-d64: 3 methods × 2 tasks = 6 runs, a few seconds. */
const SUITE = ['suite', '--preset', 'tiny', '--models', 'dense-d64'];
const base = join(dir, 'base');

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: 'wasm' } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}


/** Every file under d (hidden ones included) with its content: to show a folder was not touched. */
function snapshot(d: string): Record<string, string> {
  return Object.fromEntries(walk(d).map((f) => [relative(d, f), readFileSync(f, 'utf8')]));
}

function copyOf(name: string): string {
  const d = join(dir, name);
  cpSync(base, d, { recursive: true });
  return d;
}

function edit(file: string, change: (run: Record<string, any>) => void): void {
  const run = JSON.parse(readFileSync(file, 'utf8'));
  change(run);
  writeFileSync(file, JSON.stringify(run, null, 2));
}

/** A run file of a non-flagged run (its checks and overall exist). */
function unflagged(root: string): string {
  return walk(root).find((f) => f.endsWith('.json') && JSON.parse(readFileSync(f, 'utf8')).flagged === false)!;
}

beforeAll(async () => {
  const r = await cli([...SUITE, '--out', base, '--quiet']);
  expect(r.code, r.err).toBe(0);
  expect(walk(base)).toHaveLength(6);
});

describe('the digest', () => {
  it('the suite writes one over the whole run, and a file read back matches it', () => {
    const loaded = loadResults(base);
    expect(loaded.skipped).toEqual([]);
    expect(loaded.undigested).toEqual([]);
    for (const l of loaded.runs) expect(l.run.digest).toBe(computeDigest(l.run));
  });

  it('a run without one is still read, checked for consistency, and counted as undigested', () => {
    const d = copyOf('undigested');
    const f = unflagged(d);
    edit(f, (r) => delete r.digest);
    const loaded = loadResults(d);
    expect(loaded.runs).toHaveLength(6);
    expect(loaded.undigested).toEqual([relative(d, f)]);
    // an inconsistent edit of an undigested run is still caught
    edit(f, (r) => (r.overall = r.overall > 0.5 ? 0.1 : 0.9));
    expect(loadResults(d).skipped).toEqual([{ file: relative(d, f), reason: expect.stringMatching(/^not a valid run result: overall: /) }]);
  });
});

describe('a hand-edited result', () => {
  it('is skipped by leaderboard, findings, site build and merge with the same reason, and recomputed by suite', async () => {
    const d = copyOf('edited');
    const f = unflagged(d);
    const rel = relative(d, f);
    // a figure no score is derived from: only the digest can tell
    edit(f, (r) => (r.circuit.validation_loss = r.circuit.validation_loss / 2));
    const line = `skipped ${rel}: edited after the suite wrote it: its content no longer matches its digest`;

    const board = await cli(['leaderboard', '--json', '--results', d]);
    expect(board.code, board.err).toBe(0);
    expect(board.err).toContain(line);
    const rows = JSON.parse(board.out).rows as Array<{ model: string | null; n_runs: number }>;
    expect(rows.filter((x) => x.model === null).reduce((a, x) => a + x.n_runs, 0)).toBe(5);

    const fin = await cli(['findings', '--json', '--results', d]);
    expect(fin.code, fin.err).toBe(0);
    expect(fin.err).toContain(line);

    const site = await cli(['site', 'build', '--results', d, '--out', join(dir, 'edited-site')]);
    expect(site.code, site.err).toBe(0);
    expect(site.err).toContain(line);
    expect(site.out).toMatch(/from 5 runs/);

    const merged = join(dir, 'edited-merged');
    const m = await cli(['merge', d, '--out', merged]);
    expect(m.code).not.toBe(0);
    expect(m.err).toContain(`${rel}: edited after the suite wrote it`);
    expect(existsSync(merged)).toBe(false);

    const s = await cli([...SUITE, '--out', d, '--quiet']);
    expect(s.code, s.err).toBe(0);
    expect(s.err).toContain(`recomputing ${rel}: edited after the suite wrote it`);
    expect(s.out).toMatch(/1 runs computed, 5 cached/);
    const after = loadResults(d);
    expect(after.skipped).toEqual([]);
    expect(after.runs).toHaveLength(6);
  });

  it('an edited score is named with the inconsistency it left', async () => {
    const d = copyOf('edited-overall');
    const f = unflagged(d);
    edit(f, (r) => (r.overall = r.overall > 0.5 ? 0.1 : 0.9));
    const board = await cli(['leaderboard', '--results', d]);
    expect(board.code, board.err).toBe(0);
    expect(board.err).toMatch(new RegExp(`skipped ${relative(d, f)}: edited after the suite wrote it \\(overall: .* does not equal runOverall\\(run\\)`));
  });
});

describe('merge', () => {
  it('refuses everything when one input file is bad, leaving a new or an existing destination untouched', async () => {
    const a = join(dir, 'shard-a');
    const b = join(dir, 'shard-b');
    const files = walk(base).sort();
    for (const [i, f] of files.entries()) cpSync(f, join(i < 3 ? a : b, relative(base, f)));
    // one truncated file in the second input, after the first input's files would have been copied
    const last = walk(b).sort().at(-1)!;
    const good = readFileSync(last, 'utf8');
    writeFileSync(last, good.slice(0, 200));

    const fresh = join(dir, 'merged-fresh');
    let r = await cli(['merge', a, b, '--out', fresh]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/not valid JSON/);
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^faithbench: error: merge: 1 invalid file in the inputs .*nothing was written$/);
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('merge-'))).toEqual([]); // no staging left behind

    const existing = join(dir, 'merged-existing');
    mkdirSync(existing);
    cpSync(walk(a)[0], join(existing, relative(a, walk(a)[0])));
    writeFileSync(join(existing, 'notes.txt'), 'mine');
    const before = snapshot(existing);
    r = await cli(['merge', a, b, '--out', existing]);
    expect(r.code).not.toBe(0);
    expect(snapshot(existing)).toEqual(before);

    // repaired, the same merge succeeds; a second one finds everything present
    writeFileSync(last, good);
    r = await cli(['merge', a, b, '--out', existing]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/merged 5 runs .*\(1 already present\)/);
    expect(loadResults(existing).runs).toHaveLength(6);
    expect(readFileSync(join(existing, 'notes.txt'), 'utf8')).toBe('mine');
    r = await cli(['merge', a, b, '--out', fresh]);
    expect(r.code, r.err).toBe(0);
    expect(Object.keys(snapshot(fresh)).sort()).toEqual(files.map((f) => relative(base, f)).sort());
    r = await cli(['merge', a, b, '--out', fresh]);
    expect(r.out).toMatch(/merged 0 runs .*\(6 already present\)/);
    expect(readdirSync(fresh).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses overlapping input and output folders', async () => {
    const r = await cli(['merge', base, '--out', join(base, 'all')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/overlap/);
    expect(existsSync(join(base, 'all'))).toBe(false);
  });
});

describe('a missing or empty results folder', () => {
  it('is one error line and a non-zero exit for every reader', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'sub'), { recursive: true });
    writeFileSync(join(empty, 'README.txt'), 'not a result');
    const missing = join(dir, 'no-such-results');
    const cases: Array<[string[], RegExp]> = [
      [['leaderboard', '--results', missing], /--results .*no-such-results: no such folder/],
      [['leaderboard', '--json', '--results', empty], /--results .*empty: no valid run results/],
      [['findings', '--results', missing], /no such folder/],
      [['findings', '--json', '--results', empty], /no valid run results/],
      [['site', 'build', '--results', missing, '--out', join(dir, 'never-site')], /no such folder/],
      [['site', 'build', '--results', empty, '--out', join(dir, 'never-site')], /no valid run results; nothing was built/],
      [['merge', base, missing, '--out', join(dir, 'never-merged')], /merge: .*no-such-results: no such folder/],
      [['merge', base, empty, '--out', join(dir, 'never-merged')], /merge: .*empty holds no run results/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, re], i) => {
      expect(results[i].code, args.join(' ')).not.toBe(0);
      expect(results[i].err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(results[i].err, args.join(' ')).toMatch(re);
      expect(results[i].out).toBe('');
    });
    expect(existsSync(join(dir, 'never-site'))).toBe(false);
    expect(existsSync(join(dir, 'never-merged'))).toBe(false);
  });

  it('does not replace a built site, unless --allow-empty', async () => {
    const site = join(dir, 'site');
    let r = await cli(['site', 'build', '--results', base, '--out', site]);
    expect(r.code, r.err).toBe(0);
    const built = snapshot(site);
    expect(built['index.html']).not.toContain('No results yet');
    const empty = join(dir, 'empty-results');
    mkdirSync(empty);
    for (const results of [join(dir, 'typo'), empty]) {
      r = await cli(['site', 'build', '--results', results, '--out', site]);
      expect(r.code).not.toBe(0);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(snapshot(site)).toEqual(built);
    }
    expect(r.err).toMatch(/was left as it is \(--allow-empty builds an empty site\)/);
    r = await cli(['site', 'build', '--results', empty, '--out', site, '--allow-empty']);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(site, 'index.html'), 'utf8')).toContain('No results yet');
  });
});

describe('suite --workers', () => {
  it('is bounded by the CPUs available, with one clear line', async () => {
    const max = availableParallelism();
    const bad = ['0', String(max + 1), '1000', '2x', '-1', '1.5'];
    const results = await Promise.all(bad.map((w) => cli([...SUITE, '--workers', w, '--out', join(dir, 'never-suite'), '--quiet'])));
    results.forEach((r, i) => {
      expect(r.code, bad[i]).not.toBe(0);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`--workers must be a positive integer no larger than ${max} (the CPUs available here), got "${bad[i]}"`);
    });
    expect(existsSync(join(dir, 'never-suite'))).toBe(false);
  });
});

/** Starts the suite on 2 workers and sends SIGINT `signals` times: first once two runs are in flight, then once the interrupt is acknowledged. */
function interrupted(out: string, signals: 1 | 2): Promise<{ code: number | null; err: string; started: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [CLI, ...SUITE, '--workers', '2', '--out', out], { env: { ...process.env, FAITHBENCH_BACKEND: 'wasm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let sent = 0;
    const started: string[] = [];
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
      for (const m of chunk.matchAll(/^started (\S+) \((\d) in flight\)$/gm)) started.push(m[1]);
      if (sent === 0 && started.length === 2) {
        sent++;
        child.kill('SIGINT');
      } else if (sent === 1 && signals === 2 && err.includes('Ctrl-C again to abort')) {
        sent++;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, err, started }));
  });
}

describe.skipIf(availableParallelism() < 2)('Ctrl-C during a suite on 2 workers', () => {
  it('the first finishes and saves both runs in flight, starts no other, and the next run resumes', async () => {
    const out = join(dir, 'sigint');
    const r = await interrupted(out, 1);
    expect(r.code, r.err).toBe(130);
    expect(r.started).toHaveLength(2);
    expect(r.err).toMatch(/interrupt: no new runs start; finishing and saving the 2 run\(s\) in flight/);
    expect(r.err).toMatch(/stopped after 2 new runs \(0 cached\)/);
    const loaded = loadResults(out);
    expect(loaded.skipped).toEqual([]);
    const name = (run: { method: { id: string }; model: { id: string }; task: string; seed: number }) => `${run.method.id}/${run.model.id}/${run.task}/s${run.seed}`;
    expect(loaded.runs.map((l) => name(l.run)).sort()).toEqual([...r.started].sort());
    for (const l of loaded.runs) expect(RunResultSchema.parse(l.run).digest).toBeDefined();
    const again = await cli([...SUITE, '--out', out, '--quiet']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/4 runs computed, 2 cached/);
  });

  it('a second aborts at once, saying what was not saved; the next run recomputes it', async () => {
    const out = join(dir, 'sigint2');
    const r = await interrupted(out, 2);
    expect(r.code, r.err).toBe(130);
    expect(r.err).toMatch(/aborted: \d run\(s\) in flight were not saved/);
    const kept = existsSync(out) ? loadResults(out) : { runs: [], skipped: [] };
    expect(kept.skipped).toEqual([]); // nothing half-written
    const again = await cli([...SUITE, '--out', out, '--quiet']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(new RegExp(`${6 - kept.runs.length} runs computed, ${kept.runs.length} cached`));
  });
});
