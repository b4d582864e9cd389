// End-to-end: the real CLI on a tiny config — train, prune (built-in and plugin), suite
// with resume and shards, and the bad-input paths.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VOCAB_SIZE } from '../src/corpus/index.ts';

const CLI = join(process.cwd(), 'bin/faithbench.js');
const dir = mkdtempSync(join(tmpdir(), 'fb-e2e-'));
const model = join(dir, 'tiny.safetensors');

function cli(args: string[]) {
  const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: 'wasm' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function walk(d: string): string[] {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
}

/** a result without the fields that legitimately differ between two computations */
function figures(file: string) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  delete r.provenance.wall_time_s;
  delete r.provenance.date;
  return r;
}

beforeAll(() => {
  const cfg = {
    model: { vocabSize: VOCAB_SIZE, dModel: 16, nLayers: 1, nHeads: 2, dHead: 8, dMlp: 32, seqLen: 16, absTopK: 0.25 },
    steps: 30, batchSize: 8, lr: 0.005, warmupSteps: 5, l0Target: 0.5, seed: 3, corpusStories: 200, evalEvery: 10, evalBatches: 1,
  };
  writeFileSync(join(dir, 'tiny.json'), JSON.stringify(cfg));
  const r = cli(['train', '--config', join(dir, 'tiny.json'), '--id', 'tiny', '--out', model, '--quiet']);
  expect(r.code, r.err).toBe(0);
});

describe('faithbench train', () => {
  it('writes a checkpoint with metadata and the sparsity it promised', () => {
    expect(existsSync(model)).toBe(true);
    const buf = readFileSync(model);
    const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString());
    const meta = JSON.parse(header.__metadata__.faithbench);
    expect(meta.id).toBe('tiny');
    expect(meta.corpus_version).toBeTruthy();
    expect(meta.curve.length).toBeGreaterThan(0);
    for (const [name, d] of Object.entries(meta.density as Record<string, number>)) {
      expect(d, name).toBeLessThanOrEqual(0.5 + 0.1); // L0 target 0.5 (+ per-column minimum)
    }
  });

  it('is deterministic: the same config and seed give the same weights', () => {
    const again = join(dir, 'again.safetensors');
    expect(cli(['train', '--config', join(dir, 'tiny.json'), '--id', 'tiny', '--out', again, '--quiet']).code).toBe(0);
    const hash = (p: string) => {
      const b = readFileSync(p);
      return JSON.parse(JSON.parse(b.subarray(8, 8 + Number(b.readBigUInt64LE(0))).toString()).__metadata__.faithbench).content_hash;
    };
    expect(hash(again)).toBe(hash(model));
  });

  it('rejects bad input with one line and a non-zero exit, overwriting nothing', () => {
    const before = readFileSync(model);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ model: { dModel: 'big' } }));
    let r = cli(['train', '--config', join(dir, 'bad.json'), '--out', model]);
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/config .*bad.json: model/);
    expect(readFileSync(model).equals(before)).toBe(true);
    r = cli(['train', '--model', 'no-such-model']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unknown model "no-such-model"/);
    r = spawnSync('node', [CLI, 'doctor'], { encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: 'quantum' } }) as never;
    expect((r as unknown as { status: number }).status).not.toBe(0);
  });

  it('names a truncated or tampered checkpoint', () => {
    const buf = readFileSync(model);
    writeFileSync(join(dir, 'trunc.safetensors'), buf.subarray(0, buf.length - 100));
    let r = cli(['prune', '--method', 'zero', '--model', join(dir, 'trunc.safetensors'), '--task', 'pronoun']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/truncated/);
    const tampered = Buffer.from(buf);
    tampered[tampered.length - 5] ^= 0x40;
    writeFileSync(join(dir, 'tampered.safetensors'), tampered);
    r = cli(['prune', '--method', 'zero', '--model', join(dir, 'tampered.safetensors'), '--task', 'pronoun']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/hash mismatch/);
  });
});

describe('faithbench prune', () => {
  it('writes a circuit file that circuit show summarises', () => {
    const out = join(dir, 'c.json');
    const r = cli(['prune', '--method', 'mean', '--model', model, '--task', 'pronoun', '--options', '{"steps":10}', '--out', out, '--quiet']);
    expect(r.code, r.err).toBe(0);
    const c = JSON.parse(readFileSync(out, 'utf8'));
    expect(c.method.id).toBe('mean');
    expect(c.ablation).toBe('mean');
    expect(c.size).toBe(c.nodes.length);
    expect(c.ranking).toHaveLength(c.total_nodes);
    const show = cli(['circuit', 'show', out, '--json']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.out).size).toBe(c.size);
  });

  it('loads a method plugin from a TypeScript file', () => {
    const out = join(dir, 'attr.json');
    const r = cli(['prune', '--method', 'examples/methods/attribution.ts', '--model', model, '--task', 'pronoun', '--out', out, '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).method.id).toBe('attribution');
  });

  it('rejects bad methods, options, tasks and nonexistent nodes', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--method', 'nope'], /unknown method "nope"/],
      [['--method', 'test/fixtures/plugins/not-a-method.ts'], /does not export a method/],
      [['--method', 'zero', '--options', '{"lambda":-1}'], /options for method "zero" are invalid: lambda/],
      [['--method', 'test/fixtures/plugins/ghost-nodes.ts'], /node id "L9.q.0", which does not exist/],
      [['--method', 'zero', '--task', 'telepathy'], /unknown task 'telepathy'/],
      [['--method', 'zero', '--seed', '-3'], /--seed must be a non-negative integer/],
    ];
    for (const [args, re] of cases) {
      const full = ['prune', '--model', model, '--task', 'pronoun', '--quiet', ...args];
      const r = cli(full);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
  });
});

describe('faithbench suite', () => {
  const out = join(dir, 'results');
  const args = ['suite', '--preset', 'tiny', '--models', model, '--quiet'];

  it('runs, then resumes from cache with identical results after an interruption and a corrupted file', () => {
    let r = cli([...args, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const files = walk(out).sort();
    expect(files).toHaveLength(4);
    const first = files.map(figures);
    // simulate an interrupted suite: one result missing, one truncated mid-write
    const missing = files[0];
    writeFileSync(files[1], readFileSync(files[1], 'utf8').slice(0, 100));
    execFileSync('rm', [missing]);
    r = cli([...args, '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/2 runs computed, 2 cached/);
    expect(walk(out).sort().map(figures)).toEqual(first);
  });

  it('shards merge to the same results as one run', () => {
    const a = join(dir, 'shard0');
    const b = join(dir, 'shard1');
    expect(cli([...args, '--out', a, '--shard', '0/2']).code).toBe(0);
    expect(cli([...args, '--out', b, '--shard', '1/2']).code).toBe(0);
    expect(walk(a).length + walk(b).length).toBe(4);
    const merged = join(dir, 'merged');
    const r = cli(['merge', a, b, '--out', merged]);
    expect(r.code, r.err).toBe(0);
    const rel = (root: string) => walk(root).map((f) => f.slice(root.length)).sort();
    expect(rel(merged)).toEqual(rel(out));
    for (const f of rel(out)) expect(figures(join(merged, f))).toEqual(figures(join(out, f)));
  });

  it('rejects bad flags with one line', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--shard', '3/2'], /--shard 3\/2/],
      [['--preset', 'huge'], /unknown preset "huge"/],
      [['--methods', 'zero,nope'], /unknown method "nope"/],
      [['--tasks', 'pronoun,astrology'], /unknown task 'astrology'/],
      [['--workers', '0'], /--workers must be a positive integer/],
    ];
    for (const [extra, re] of cases) {
      const r = cli([...args, '--out', join(dir, 'never'), ...extra]);
      expect(r.code).not.toBe(0);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    }
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
