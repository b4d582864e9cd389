// `faithbench submit` through the real CLI: the offline twin of the server's recomputation.
import { describe, it, expect, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunResultSchema } from '../src/results/schema.ts';
import type { Submission } from '../src/results/submission.ts';

const CLI = join(import.meta.dirname, '..', 'bin', 'faithbench.js');
const SUBMISSION = join(import.meta.dirname, 'fixtures', 'submission-zero-tiny.json');
const dir = mkdtempSync(join(tmpdir(), 'faithbench-submit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: 'wasm' }, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}

const bundle = (): Submission => JSON.parse(readFileSync(SUBMISSION, 'utf8')) as Submission;
const write = (name: string, value: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};

describe('faithbench submit', () => {
  it('recomputes every run; honest claims match, edited ones are listed and fail', async () => {
    const out = join(dir, 'out');
    const first = await cli(['submit', SUBMISSION, '--preset', 'tiny', '--out', out]);
    expect(first.err).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^dense-d64\/pronoun\/s0: \d+\/1408 nodes, test loss \d\.\d{3}, overall \d\.\d{3} \(run [0-9a-f]{16}\)$/m);
    expect(first.out).toMatch(/^dense-d64\/ioi\/s0: .* flagged/m);
    const runsDir = join(out, 'submissions', 'sub.zero-again', 'local');
    const runs = readdirSync(runsDir).filter((f) => f !== 'method.json').map((f) => RunResultSchema.parse(JSON.parse(readFileSync(join(runsDir, f), 'utf8'))));
    const pronoun = runs.find((r) => r.task === 'pronoun')!;

    // claims equal to the recomputation pass (the recomputation is deterministic) ...
    const honest = bundle();
    honest.runs[0].claimed = { overall: pronoun.overall, size: pronoun.circuit.size, flagged: false, checks: { adversary: { score: pronoun.checks.adversary.score, value: pronoun.checks.adversary.value } } };
    const ok = await cli(['submit', write('honest.json', honest), '--preset', 'tiny']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/every claimed figure matches/);

    // ... edited raw figures and scores do not
    const edited = bundle();
    edited.runs[0].claimed = { overall: 0.97, checks: { adversary: { score: 0.123456, value: 0.654321 } } };
    edited.runs[1].claimed = { flagged: false };
    const bad = await cli(['submit', write('edited.json', edited), '--preset', 'tiny']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`disagrees: runs[0].claimed.overall: claimed 0.97, recomputed ${Number(pronoun.overall!.toPrecision(6))}`);
    expect(bad.out).toMatch(/disagrees: runs\[0\]\.claimed\.checks\.adversary\.score: claimed 0\.123456, recomputed/);
    expect(bad.out).toContain('disagrees: runs[1].claimed.flagged: claimed false, recomputed true');
    expect(bad.err.trim().split('\n').pop()).toMatch(/4 claimed figures disagree with the recomputation/);
  });

  it('refuses, in one line, what the server refuses', async () => {
    const layers = bundle();
    layers.runs[0].circuit.nodes.push('L9.mlp_neuron.3');
    const reserved = bundle();
    reserved.method.id = 'zero';
    const cases: Array<[string, string]> = [
      [write('deep.json', '['.repeat(100_000) + ']'.repeat(100_000)), 'JSON nests deeper than 64 levels'],
      [write('layers.json', layers), `runs[0].circuit.nodes[${layers.runs[0].circuit.nodes.length - 1}]: L9.mlp_neuron.3: dense-d64 has 2 layers`],
      [write('reserved.json', reserved), 'method.id: "zero" is reserved by a built-in method'],
      [write('old.json', { method: { id: 'x', kind: 'discover' }, results: [] }), 'is not a valid submission: format:'],
    ];
    for (const [file, message] of cases) {
      const r = await cli(['submit', file, '--preset', 'tiny']);
      expect(r.code, file).toBe(1);
      const lines = r.err.trim().split('\n');
      expect(lines, file).toHaveLength(1);
      expect(lines[0], file).toContain(message);
    }
  });

  it('bundle: makes a submission from prune circuit files, pairing each with its blind nonsense circuit', async () => {
    const circuits: Record<string, string> = {};
    for (const task of ['pronoun', 'nonsense']) {
      circuits[task] = join(dir, `c-${task}.json`);
      const r = await cli(['prune', '--method', 'zero', '--model', 'dense-d64', '--task', task, '--seed', '2', '--options', '{"steps": 10}', '--out', circuits[task], '--quiet']);
      expect(r.code, r.err).toBe(0);
    }
    const alone = await cli(['bundle', circuits.pronoun, '--name', 'mine', '--out', join(dir, 'alone.json')]);
    expect(alone.code).toBe(1);
    expect(alone.err).toContain('no nonsense circuit for dense-d64 seed 2');
    const out = join(dir, 'made.json');
    const made = await cli(['bundle', circuits.pronoun, circuits.nonsense, '--name', 'mine', '--description', 'zero, 10 steps', '--out', out]);
    expect(made.code, made.err).toBe(0);
    const sub = JSON.parse(readFileSync(out, 'utf8')) as Submission;
    expect(sub.method).toEqual({ id: 'mine', kind: 'ablation-scheme', description: 'zero, 10 steps' });
    expect(sub.runs.map((r) => [r.model, r.task, r.seed, r.nonsense.ranking.length])).toEqual([['dense-d64', 'pronoun', 2, 1408]]);
  });
});
