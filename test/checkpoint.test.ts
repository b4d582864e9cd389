import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, tensorHash } from '../src/engine/checkpoint.ts';
import { loadModel, modelCorpus, saveModel } from '../src/engine/modelio.ts';
import { initParams } from '../src/engine/model.ts';
import { TrainConfig, configHash, corpusVersionOf, train } from '../src/engine/train.ts';
import { ZOO } from '../src/engine/zoo.ts';
import { wasm } from './helpers.ts';
import { topMagnitudeMask, l0At } from '../src/engine/sparsity.ts';

const tensors = [
  { name: 'a', shape: [2, 3], data: Float32Array.from([1, -2, 3, -4, 5, -6]) },
  { name: 'b', shape: [4], data: Float32Array.from([0.5, 0.25, 0, -1]) },
];

describe('checkpoint (safetensors layout)', () => {
  it('round-trips tensors and metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-ckpt-'));
    const path = join(dir, 'm.safetensors');
    saveSafetensors(path, tensors, { hello: 'world', n: 3 });
    const back = loadSafetensors(path);
    expect(back.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(Array.from(back.tensors[0].data)).toEqual(Array.from(tensors[0].data));
    expect(back.metadata.hello).toBe('world');
    // header length is little-endian u64 and data is 8-byte aligned, as in the reference format
    const buf = readFileSync(path);
    expect(Number(buf.readBigUInt64LE(0)) % 8).toBe(0);
  });

  it('detects truncation', () => {
    const bytes = encodeSafetensors(tensors, {});
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'x')).toThrow(/truncated/);
    expect(() => decodeSafetensors(bytes.subarray(0, 4), 'x')).toThrow(/truncated/);
  });

  it('detects a flipped weight byte (content hash)', () => {
    const bytes = encodeSafetensors(tensors, {});
    bytes[bytes.length - 2] ^= 0xff;
    expect(() => decodeSafetensors(bytes, 'x')).toThrow(/hash mismatch/);
  });

  it('v2: the content hash covers the metadata (an edited id or config is refused)', () => {
    const bytes = encodeSafetensors(tensors, { id: 'dense-d64', config: { absTopK: 0.125 } });
    const good = decodeSafetensors(bytes, 'x');
    expect(good.hashVersion).toBe(2);
    expect(good.identityHash).toBe(good.metadata.content_hash);
    // same byte length, so the header's offsets stay valid: only the hash can catch it
    // when and how long are not identity: the same training repeated is the same checkpoint
    const later = decodeSafetensors(encodeSafetensors(tensors, { id: 'dense-d64', config: { absTopK: 0.125 }, created: 'later', train_wall_s: 9 }), 'x');
    expect(later.identityHash).toBe(good.identityHash);
    const text = Buffer.from(bytes).toString('latin1');
    for (const [from, to] of [['dense-d64', 'dense-d65'], ['0.125', '0.999']]) {
      const edited = Buffer.from(text.replace(from, to), 'latin1');
      expect(edited.length).toBe(bytes.length);
      expect(() => decodeSafetensors(new Uint8Array(edited), 'x'), from).toThrow(/hash mismatch .*metadata were modified/);
    }
  });

  it('v1 files (tensor-only hash) still load, under the identity their metadata gives them', () => {
    // a v1 file: the same layout, metadata without hash_version, content_hash over the tensors only
    const v1 = (meta: Record<string, unknown>) => {
      const header: Record<string, unknown> = {};
      let off = 0;
      for (const t of tensors) {
        header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + t.data.length * 4] };
        off += t.data.length * 4;
      }
      header.__metadata__ = { faithbench: JSON.stringify({ ...meta, content_hash: tensorHash(tensors) }) };
      const h = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(h.length));
      return new Uint8Array(Buffer.concat([len, h, ...tensors.map((t) => Buffer.from(t.data.buffer))]));
    };
    const old = decodeSafetensors(v1({ id: 'm' }), 'old');
    expect(old.hashVersion).toBe(1);
    // re-saved as v2 it keeps its identity; relabelled, it does not
    expect(decodeSafetensors(encodeSafetensors(tensors, { id: 'm' }), 'new').identityHash).toBe(old.identityHash);
    expect(decodeSafetensors(v1({ id: 'other' }), 'relabelled').identityHash).not.toBe(old.identityHash);
    const flipped = v1({ id: 'm' });
    flipped[flipped.length - 1] ^= 0xff;
    expect(() => decodeSafetensors(flipped, 'x')).toThrow(/hash mismatch/);
  });

  it('the shipped zoo checkpoints are v2 and load under their file names', async () => {
    await wasm();
    for (const id of ['dense-d64', 'sparse-d128']) {
      const path = join(import.meta.dirname, '..', 'models', `${id}.safetensors`);
      const d = loadSafetensors(path);
      expect(d.hashVersion, id).toBe(2);
      const m = loadModel(id);
      expect(m.hash).toBe(d.metadata.content_hash);
      expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toHaveLength(64);
    }
  });

  it('detects a garbage header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-ckpt-'));
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, 'this is not a checkpoint at all');
    expect(() => loadSafetensors(path)).toThrow(/checkpoint .*bad.safetensors/);
  });
});

describe('weight sparsity', () => {
  it('keeps exactly the top fraction by magnitude', () => {
    const w = Float32Array.from({ length: 64 }, (_, i) => ((i * 37) % 64) - 32);
    const mask = topMagnitudeMask(w, 8, 8, 0.25, 0);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(16);
    let minKept = Infinity;
    let maxDropped = 0;
    w.forEach((x, i) => (mask[i] ? (minKept = Math.min(minKept, Math.abs(x))) : (maxDropped = Math.max(maxDropped, Math.abs(x)))));
    expect(minKept).toBeGreaterThanOrEqual(maxDropped);
  });

  it('keeps at least minPerColumn entries in every column', () => {
    // one column with tiny weights would be emptied by the global threshold
    const rows = 8, cols = 4;
    const w = new Float32Array(rows * cols).map((_, i) => (i % cols === 3 ? 0.001 * (i + 1) : i + 1));
    const mask = topMagnitudeMask(w, rows, cols, 0.25, 2);
    for (let c = 0; c < cols; c++) {
      let n = 0;
      for (let r = 0; r < rows; r++) n += mask[r * cols + c];
      expect(n).toBeGreaterThanOrEqual(2);
    }
  });

  it('L0 anneals from 1 to the target over the first half', () => {
    expect(l0At(0, 100, 1 / 8)).toBe(1);
    expect(l0At(50, 100, 1 / 8)).toBeCloseTo(1 / 8);
    expect(l0At(90, 100, 1 / 8)).toBeCloseTo(1 / 8);
    expect(l0At(25, 100, 1 / 8)).toBeCloseTo((1 + 1 / 8) / 2);
  });
});

describe('checkpoints and corpus versions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-ckpt-corpus-'));
  const cfg = { vocabSize: 20, dModel: 16, nLayers: 1, nHeads: 2, dHead: 8, dMlp: 32, seqLen: 8, absTopK: null };
  const save = async (name: string, corpus: string, configCorpus?: string) => {
    const path = join(dir, `${name}.safetensors`);
    await saveModel(path, initParams(cfg, 0), {
      kind: 'faithbench-model', id: name, corpus_version: corpus, seed: 0, curve: [], backend: 'wasm', tfjs_version: 'x',
      package_version: 'x', train_wall_s: 0, created: '',
      config: { model: cfg, steps: 1, batchSize: 1, lr: 1, warmupSteps: 0, seed: 0, ...(configCorpus ? { corpusVersion: configCorpus } : {}) } as never,
    });
    return path;
  };

  it('loads a checkpoint of a known version, and refuses one asked for under another version', async () => {
    await wasm();
    const v1 = await save('v1', '1');
    expect(modelCorpus(loadModel(v1))).toBe('1');
    expect(modelCorpus(loadModel(v1, { corpus: '1' }))).toBe('1');
    expect(() => loadModel(v1, { corpus: '2' })).toThrow(/^checkpoint .*v1\.safetensors was trained on corpus v1, not the corpus v2 asked for$/);
    const v2 = await save('v2', '2', '2');
    expect(modelCorpus(loadModel(v2))).toBe('2');
    expect(() => loadModel(v2, { corpus: '1' })).toThrow(/trained on corpus v2, not the corpus v1 asked for/);
  });

  it('refuses a checkpoint of a corpus version that does not exist, or whose config disagrees with it', async () => {
    const v4 = await save('v4', '4');
    expect(() => loadModel(v4)).toThrow(/^checkpoint .*v4\.safetensors: corpus version "4" does not exist \(known: 1, 2, 3\)$/);
    const mixed = await save('mixed', '1', '2');
    expect(() => loadModel(mixed)).toThrow(/^checkpoint .*mixed\.safetensors: records corpus v1 but its training config asks for corpus v2$/);
  });

  it('the shipped zoo is corpus v1 and configs without a version hash as before', () => {
    expect(modelCorpus(loadModel('dense-d64'))).toBe('1');
    expect(() => loadModel('dense-d64', { corpus: '2' })).toThrow(/trained on corpus v1, not the corpus v2 asked for/);
    expect(corpusVersionOf(ZOO['dense-d64'])).toBe('1');
    expect('corpusVersion' in ZOO['dense-d64']).toBe(false);
    // the config hashes resume states are keyed by, as they were before corpus versions existed
    expect(configHash(ZOO['dense-d64'])).toBe('d16057f70afd19ba');
    expect(configHash(ZOO['sparse-d128'])).toBe('24fc939253f995ad');
  });

  it('training refuses a vocabulary smaller than its corpus version\'s', async () => {
    const small = TrainConfig.parse({ model: { ...cfg, vocabSize: 221 }, steps: 1, batchSize: 1, lr: 1, warmupSteps: 0, seed: 0, corpusVersion: '2' });
    await expect(train(small)).rejects.toThrow(/^config vocabSize 221 is smaller than corpus v2's vocabulary \(223 tokens\)$/);
  });
});

describe('the CLI and corpus versions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fb-cli-corpus-'));
  const cli = (args: string[]) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile('node', [join(process.cwd(), 'bin/faithbench.js'), ...args], { encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: 'wasm' } }, (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }));
  });

  it('train records the config\'s corpus version; prune refuses it under another, and an unknown one, in one line', async () => {
    const cfg = {
      model: { vocabSize: 223, dModel: 16, nLayers: 1, nHeads: 2, dHead: 8, dMlp: 32, seqLen: 16, absTopK: null },
      steps: 3, batchSize: 4, lr: 0.005, warmupSteps: 1, seed: 3, corpusStories: 50, evalEvery: 3, evalBatches: 1, corpusVersion: '2',
    };
    writeFileSync(join(dir, 'v2.json'), JSON.stringify(cfg));
    const path = join(dir, 'v2.safetensors');
    const t = await cli(['train', '--config', join(dir, 'v2.json'), '--out', path, '--quiet', '--fresh']);
    expect(t.code, t.err).toBe(0);
    expect(loadSafetensors(path).metadata.corpus_version).toBe('2');
    const wrong = await cli(['prune', '--method', 'zero', '--model', path, '--task', 'ioi', '--corpus', '1', '--quiet']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toMatch(/^faithbench: error: checkpoint .*v2\.safetensors was trained on corpus v2, not the corpus v1 asked for\n$/);
    const unknown = await cli(['prune', '--method', 'zero', '--model', path, '--task', 'ioi', '--corpus', '7', '--quiet']);
    expect(unknown.err).toBe('faithbench: error: --corpus "7" does not exist (known: 1, 2, 3)\n');
    writeFileSync(join(dir, 'v9.json'), JSON.stringify({ ...cfg, corpusVersion: '9' }));
    const bad = await cli(['train', '--config', join(dir, 'v9.json'), '--out', join(dir, 'v9.safetensors'), '--quiet']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/^faithbench: error: config .*v9\.json: corpusVersion: corpus version "9" does not exist \(known: 1, 2, 3\)\n$/);
  }, 60_000);
});
