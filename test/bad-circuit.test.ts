// A positive control for the same-gender check (DESIGN §6.3): the check must be able to fail.
// The zoo's models never use name2 (docs/zoo.md, the name2 probe), so no circuit on them can be
// the replication's "bad circuit". Here a 1-layer model is built by hand with two heads:
//   head 0 (name1)   reads the gender of token 2 (name1 in "when {name1} {situation} , {name2} {verb}")
//                    and writes it to residual dim 11 → boosts him for male, her for female;
//   head 1 (name2)   reads the gender of token 6 (name2) to dim 12 → boosts the OTHER pronoun.
// The unembedding weighs name1 twice as much as "not name2", so the whole model is right on
// same-gender prompts (the cues conflict, name1 wins) as well as opposite-gender ones. The circuit
// of head 1's nodes alone does opposite-gender IOI perfectly and answers "the gender opposite to
// name2" on same-gender prompts; the circuit of head 0's nodes tracks name1. Both go through the
// real check code (src/suite/checks/3-same-gender.ts) under the real ablation runner.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initParams, totalNodes, type ModelConfig } from '../src/engine/model.ts';
import { ModelMetadata, type LoadedModel } from '../src/engine/modelio.ts';
import { LEXICON, NAMES, VOCAB_SIZE, genderOf, tokenId } from '../src/corpus/index.ts';
import { AblationRunner } from '../src/model/ablation.ts';
import { CircuitUnderTest, randomKeeps } from '../src/suite/circuit.ts';
import { getTask } from '../src/tasks/index.ts';
import { taskPrompts } from '../src/tasks/prompts.ts';
import { PRESETS } from '../src/suite/presets.ts';
import sameGender from '../src/suite/checks/3-same-gender.ts';
import { name2Probe } from '../src/tasks/name2-probe.ts';
import type { CheckContext } from '../src/suite/checks/registry.ts';
import { wasm } from './helpers.ts';

const CFG: ModelConfig = { vocabSize: VOCAB_SIZE, dModel: 16, nLayers: 1, nHeads: 2, dHead: 4, dMlp: 4, seqLen: 8, absTopK: null };
const D = CFG.dModel;
const A = CFG.nHeads * CFG.dHead;
// residual dims: 0 gender (+1 male, −1 female), 2..9 position one-hot, 10 constant, 11 head 0 out, 12 head 1 out
const GENDER = 0;
const POS = (t: number) => 2 + t;
const CONST = 10;
const OUT = [11, 12];
const READS = [2, 6]; // the token each head attends to: name1, name2
const UNEMBED = [3, -1.5]; // head 0 for name1's gender, head 1 against name2's

function handBuiltModel(): LoadedModel {
  const p = initParams(CFG, 0);
  const tok = new Float32Array(CFG.vocabSize * D);
  for (const n of NAMES) tok[tokenId(n) * D + GENDER] = genderOf(n) === 'male' ? 1 : -1;
  for (let v = 0; v < CFG.vocabSize; v++) tok[v * D + CONST] = 1;
  const pos = new Float32Array(CFG.seqLen * D);
  for (let t = 0; t < CFG.seqLen; t++) pos[t * D + POS(t)] = 1;
  const wQKV = new Float32Array(D * 3 * A);
  const wO = new Float32Array(A * D);
  for (let h = 0; h < 2; h++) {
    const c = h * CFG.dHead; // the head's first coordinate carries everything
    wQKV[CONST * 3 * A + c] = 10; // q: a constant query, large so attention is all but one-hot
    wQKV[POS(READS[h]) * 3 * A + A + c] = 1; // k: "I am token READS[h]"
    wQKV[GENDER * 3 * A + 2 * A + c] = 1; // v: the token's gender
    wO[c * D + OUT[h]] = 1;
  }
  const wU = new Float32Array(D * CFG.vocabSize);
  for (let h = 0; h < 2; h++) {
    wU[OUT[h] * CFG.vocabSize + tokenId('him')] = UNEMBED[h];
    wU[OUT[h] * CFG.vocabSize + tokenId('her')] = -UNEMBED[h];
  }
  p.tokEmb.assign(tf.tensor2d(tok, [CFG.vocabSize, D]));
  p.posEmb.assign(tf.tensor2d(pos, [CFG.seqLen, D]));
  const l = p.layers[0];
  l.wQKV.assign(tf.tensor2d(wQKV, [D, 3 * A]));
  l.wO.assign(tf.tensor2d(wO, [A, D]));
  l.wUp.assign(tf.zeros([D, CFG.dMlp])); // no MLP: GELU(0) = 0, so the MLP writes nothing
  l.wDown.assign(tf.zeros([CFG.dMlp, D]));
  p.wUnembed.assign(tf.tensor2d(wU, [D, CFG.vocabSize]));
  const meta = ModelMetadata.parse({
    kind: 'faithbench-model', id: 'hand-built-ioi', corpus_version: '1', seed: 0, curve: [], param_count: 0, density: {},
    config: { model: CFG, steps: 1, batchSize: 1, lr: 1, warmupSteps: 0, seed: 0 },
    backend: 'wasm', tfjs_version: tf.version_core, package_version: 'test', train_wall_s: 0, created: '', content_hash: 'hand-built',
  });
  return { id: 'hand-built-ioi', cfg: CFG, params: p, meta, hash: 'hand-built-ioi' };
}

/** The nodes head h needs under zero ablation: the residual coordinates it reads, its q/k/v coordinate, its output. */
const headCircuit = (h: number): string[] => [
  `L0.attn_in.${GENDER}`, `L0.attn_in.${CONST}`, `L0.attn_in.${POS(READS[h])}`,
  `L0.q.${h * CFG.dHead}`, `L0.k.${h * CFG.dHead}`, `L0.v.${h * CFG.dHead}`, `L0.attn_out.${OUT[h]}`,
];

let model: LoadedModel;
const settings = PRESETS.tiny.settings;

function contextFor(nodes: string[]): CheckContext {
  const runner = new AblationRunner(model, { ablation: 'zero', frozenNorms: false });
  const circuit = new CircuitUnderTest(model, runner, nodes, nodes);
  const prompts = (split: string) => taskPrompts('ioi', split, { seed: 0, limit: 96, corpus: '1' });
  return {
    model, task: getTask('ioi'), seed: 0, settings, circuit,
    randomKeeps: randomKeeps(totalNodes(CFG), nodes.length, 4, 0),
    test: prompts('test'), prompts,
    blind: () => Promise.reject(new Error('not used by the same-gender check')),
    say: () => {},
  };
}

interface SameGenderFigures {
  P_circ: number;
  P_model: number;
  bad_circuit: boolean;
  per_prompt: number[];
}

async function check(nodes: string[]): Promise<{ score: number | null; figures: SameGenderFigures }> {
  const out = await sameGender.run(contextFor(nodes));
  return { score: out.score, figures: out.figures as unknown as SameGenderFigures };
}

beforeAll(async () => {
  await wasm();
  model = handBuiltModel();
});

describe('the same-gender check on a hand-built model with a "not name2" head (positive control)', () => {
  it('the whole model does IOI on opposite- and same-gender prompts, and both heads help on opposite-gender ones', async () => {
    const ctx = contextFor(headCircuit(0));
    const all = ctx.circuit.all();
    const opp = await ctx.circuit.evaluate('ioi', ctx.test, all);
    const same = await ctx.circuit.evaluate('ioi', ctx.prompts('same-gender'), all);
    expect(opp.acc).toBe(1);
    expect(same.acc).toBe(1);
    expect(same.pCorrect).toBeGreaterThan(0.9);
    // the cues agree on opposite-gender prompts and conflict on same-gender ones: the name2 probe's gap
    expect(opp.logitDiff - same.logitDiff).toBeGreaterThan(1);
    // each head alone does opposite-gender IOI (so pruning on it could pick either)
    for (const h of [0, 1]) {
      const head = contextFor(headCircuit(h)).circuit;
      expect((await head.evaluate('ioi', ctx.test, head.keep)).acc, `head ${h}`).toBe(1);
    }
  });

  it('reports the "not name2" circuit as bad_circuit: P_circ < 0.5, the pronoun opposite to name2 on every prompt', async () => {
    const { score, figures } = await check(headCircuit(1));
    expect(figures.P_model).toBeGreaterThan(0.9);
    expect(figures.P_circ).toBeLessThan(0.5);
    expect(figures.bad_circuit).toBe(true);
    expect(score).toBe(0);
    // provably "not name2": every same-gender answer is the pronoun of the gender opposite to name2
    expect(figures.per_prompt.every((p) => p < 0.5)).toBe(true);
  });

  it('does not flag the name1-tracking circuit: P_circ ≈ P_model, score ≈ 1', async () => {
    const { score, figures } = await check(headCircuit(0));
    expect(figures.bad_circuit).toBe(false);
    expect(figures.P_circ).toBeGreaterThan(0.9);
    expect(score).toBeGreaterThan(0.9);
  });

  it('the name2 probe sees the "not name2" head: a larger logit difference on opposite- than on same-gender IOI', async () => {
    const probe = await name2Probe(model, 96);
    expect(probe.prompts).toEqual({ opposite: 96, same_gender: 96 });
    expect(probe.opposite).toBeGreaterThan(0);
    expect(probe.same_gender).toBeGreaterThan(0);
    expect(probe.gap).toBeCloseTo(probe.opposite - probe.same_gender, 12);
    expect(probe.gap).toBeGreaterThan(1);
  });

  it('the same prompts are the real IOI same-gender split: same-gender pairs, name1 at token 2, name2 at token 6', () => {
    const prompts = taskPrompts('ioi', 'same-gender', { seed: 0, limit: 96, corpus: '1' });
    expect(prompts).toHaveLength(96);
    const verbs = new Set<string>(LEXICON.ioiVerbs.test);
    for (const p of prompts) {
      const w = p.text.split(' ');
      expect(genderOf(w[1])).toBe(genderOf(w[5]));
      expect(verbs.has(w[6])).toBe(true);
    }
  });
});
