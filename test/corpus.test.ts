import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  ALL_TOKENS, BOS, CORPUS_VERSION, LEXICON, NAMES, PAD, V2_WORDS, VOCAB, VOCAB_SIZE, allOf, classifySentence, corpusStats, decode,
  encode, genderOf, generateStories, name1Index, parseCorpusVersion, sampleTrainingBatch, tokenId, vocabFileContent, vocabFor,
  type CorpusVersion, type Sentence, type SplitList, type Story,
} from '../src/corpus/index.ts';

const stories = generateStories(7, 1500);
const sentences = stories.flat();

describe('vocabulary', () => {
  it('has the special tokens first, at most 256 tokens, no duplicates, one word per token', () => {
    expect(tokenId(PAD)).toBe(0);
    expect(tokenId(BOS)).toBe(1);
    expect(VOCAB).toContain('<unk>');
    expect(VOCAB_SIZE).toBeLessThanOrEqual(256);
    expect(new Set(VOCAB).size).toBe(VOCAB_SIZE);
    for (const w of VOCAB) expect(w).not.toMatch(/\s/);
    for (const w of [',', '.', '?', 'he', 'she', 'him', 'her', 'his', 'is', 'when', ...NAMES]) expect(VOCAB).toContain(w);
  });

  it('is lowercase except the names', () => {
    for (const w of VOCAB) if (!NAMES.includes(w)) expect(w).toBe(w.toLowerCase());
  });

  it('round-trips words through ids', () => {
    const words = ['when', 'Mia', 'ran', 'home', ',', 'she', 'smiled', '.'];
    expect(decode(encode(words))).toEqual(words);
    expect(decode(encode(VOCAB))).toEqual([...VOCAB]);
  });

  it('rejects unknown words with a one-line error, or maps them to <unk> on request', () => {
    expect(() => tokenId('zebra')).toThrow(/unknown word "zebra"/);
    expect(() => encode(['the', 'zebra'])).toThrow(/zebra/);
    expect(encode(['the', 'zebra'], { allowUnknown: true })[1]).toBe(tokenId('<unk>'));
    expect(() => decode([ALL_TOKENS.length])).toThrow(/out of range/);
  });

  it('matches the committed data/vocab.json', () => {
    const file = JSON.parse(readFileSync(new URL('../data/vocab.json', import.meta.url), 'utf8'));
    expect(file).toEqual(vocabFileContent());
    expect(file.version).toBe(CORPUS_VERSION);
  });

  it('keeps split lists word-disjoint, except the shared linking verbs of situations', () => {
    const lists: Array<[string, SplitList]> = [
      ['actions', LEXICON.actions], ['ioiVerbs', LEXICON.ioiVerbs], ['questionVerbs', LEXICON.questionVerbs],
      ['nouns', LEXICON.nouns], ['places', LEXICON.places], ['objectAdjectives', LEXICON.objectAdjectives],
      ['situations', LEXICON.situations],
    ];
    const shared = new Set(['was', 'felt', 'got']);
    for (const [, list] of lists) {
      const words = (xs: readonly string[]) => new Set(xs.flatMap((p) => p.split(' ')).filter((w) => !shared.has(w)));
      const [tr, va, te] = [words(list.train), words(list.validation), words(list.test)];
      for (const w of va) expect(tr.has(w) || te.has(w)).toBe(false);
      for (const w of te) expect(tr.has(w)).toBe(false);
    }
    for (const p of [...LEXICON.actions.train, ...LEXICON.actions.validation, ...LEXICON.actions.test, ...LEXICON.situations.train]) {
      expect(p.split(' ')).toHaveLength(2);
    }
  });
});

describe('story generator', () => {
  it('is deterministic per seed and differs across seeds', () => {
    expect(generateStories(7, 1500)).toEqual(stories);
    expect(generateStories(8, 50)).not.toEqual(stories.slice(0, 50));
    expect(generateStories(7, 10)).toEqual(stories.slice(0, 10));
  });

  it('writes only vocabulary words, and every sentence ends in . or ?', () => {
    const bad = sentences.filter((s) => !['.', '?'].includes(s[s.length - 1]) || s.slice(0, -1).some((w) => w === '.' || w === '?'));
    expect(bad).toEqual([]);
    for (const s of sentences) encode(s); // throws on an unknown word
  });

  it('contains every probed structure in useful amounts', () => {
    const stats = corpusStats(stories);
    expect(stats.stories).toBe(1500);
    const { 'object-other': objectOther, reflexive, ...v1Structures } = stats.structures;
    for (const [k, n] of Object.entries(v1Structures)) expect(n / stats.sentences, k).toBeGreaterThan(0.08);
    // v2's structures do not exist in v1
    expect([objectOther, reflexive]).toEqual([0, 0]);
    // IOI pairs are about half same-gender
    const { 'ioi-same': same, 'ioi-opposite': opp } = stats.structures;
    expect(same / (same + opp)).toBeGreaterThan(0.4);
    expect(same / (same + opp)).toBeLessThan(0.6);
    expect(stats.vocab.coverage).toBe(1);
  });

  it('makes the pronoun agree with the name', () => {
    const pron = sentences.filter((s) => classifySentence(s) === 'pronoun');
    expect(pron.length).toBeGreaterThan(100);
    expect(pron.filter((s) => s[s.indexOf(',') + 1] !== (genderOf(s[1]) === 'male' ? 'he' : 'she'))).toEqual([]);
  });

  it('makes the IOI object pronoun refer to name1, in opposite- and same-gender pairs', () => {
    for (const kind of ['ioi-opposite', 'ioi-same'] as const) {
      const ioi = sentences.filter((s) => classifySentence(s) === kind);
      expect(ioi.length).toBeGreaterThan(100);
      // when N1 w w , N2 verb him/her .
      const bad = ioi.filter((s) => s.length !== 9 || s[7] !== (genderOf(s[1]) === 'male' ? 'him' : 'her') || s[5] === s[1]);
      expect(bad).toEqual([]);
    }
  });

  it('never follows "when {name} {action} ," with is or when, nor an IOI verb with anything but him/her', () => {
    const ioiVerbs = new Set([...LEXICON.ioiVerbs.train, ...LEXICON.ioiVerbs.validation, ...LEXICON.ioiVerbs.test]);
    const bad = sentences.filter((s) =>
      (s[0] === 'when' && ['is', 'when'].includes(s[s.indexOf(',') + 1])) ||
      s.some((w, i) => ioiVerbs.has(w) && s[i + 1] !== 'him' && s[i + 1] !== 'her'));
    expect(bad).toEqual([]);
  });

  it('contains question / statement minimal pairs', () => {
    const texts = new Set(sentences.map((s) => s.join(' ')));
    const hasPair = [...texts].some((t) => {
      const m = /^(do|does|did|can|will|is|are) (you|we|they|he|she) (.*) \?$/.exec(t);
      return m !== null && texts.has(`${m[2]} ${m[1]} ${m[3]} .`);
    });
    expect(hasPair).toBe(true);
    for (const s of sentences) {
      const kind = classifySentence(s);
      if (kind === 'statement') expect(s[s.length - 1]).toBe('.');
    }
  });
});

describe('training batches', () => {
  it('has [batch, seqLen] shape, starts at <bos> and shifts the target by one', () => {
    const b = sampleTrainingBatch(seedrandom('b'), stories, 16, 32);
    expect(b.input).toBeInstanceOf(Int32Array);
    expect(b.input.length).toBe(16 * 32);
    expect(b.target.length).toBe(16 * 32);
    for (let r = 0; r < 16; r++) {
      const inp = b.input.subarray(r * 32, r * 32 + 32);
      const tgt = b.target.subarray(r * 32, r * 32 + 32);
      expect(inp[0]).toBe(tokenId(BOS));
      expect([...inp.subarray(1)]).toEqual([...tgt.subarray(0, 31)]);
      expect([...inp].every((id) => id > 0 && id < VOCAB_SIZE)).toBe(true);
      // the first sentence starts at a sentence boundary: it is a whole sentence of the corpus
      const words = decode(inp);
      const end = words.findIndex((w) => w === '.' || w === '?');
      if (end > 0) expect(sentences.some((s) => s.join(' ') === words.slice(1, end + 1).join(' '))).toBe(true);
    }
  });

  it('is deterministic for the same rng seed and runs on into the next story', () => {
    const a = sampleTrainingBatch(seedrandom('s'), stories, 4, 64);
    const b = sampleTrainingBatch(seedrandom('s'), stories, 4, 64);
    expect(a).toEqual(b);
    // a story has at most 8 sentences of ≤ 12 tokens: with seqLen 200 every row crosses a story boundary
    const long = sampleTrainingBatch(seedrandom('l'), stories, 4, 200);
    for (let r = 0; r < 4; r++) expect(long.input.subarray(r * 200 + 1, (r + 1) * 200)).toContain(tokenId(BOS));
  });

  it('rejects an empty corpus and bad sizes', () => {
    const none: Story[] = [];
    expect(() => sampleTrainingBatch(seedrandom('x'), none, 1, 8)).toThrow(/empty/);
    expect(() => sampleTrainingBatch(seedrandom('x'), stories, 0, 8)).toThrow(/positive/);
  });
});

// ---- corpus versions ------------------------------------------------------------------------

const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');

describe('corpus v1 is frozen', () => {
  // Hashes taken before corpus v2 existed: the shipped zoo was trained on exactly these stories,
  // so they (and v1's token ids) must never change.
  it('generates byte-identical stories and batches, with the same vocabulary', () => {
    expect(sha(generateStories(1, 20000))).toBe('c6fd017592eedddf02971071c6200d0754177a6547590b649fbabbbc969271fa');
    expect(sha(stories)).toBe('09df64f5870ad4fb806d63b53bc46940d7e0f9bf4623a07ecf5aaa787d0a6966');
    expect(sha(generateStories(7, 1500, '1'))).toBe(sha(stories));
    const b = sampleTrainingBatch(seedrandom('train-0', { state: true }), generateStories(1, 2000), 32, 32);
    expect(sha([...b.input])).toBe('f992519973b0fb6d03c57619044d87ef09cd118b90dbf14d7874a8b6367a0d5d');
    expect(VOCAB_SIZE).toBe(220);
    expect(sha(VOCAB)).toBe('8e1ac1043408fe4f908bbd46e1c1be36c0f27ab28648bb01df2635127e7056a6');
    expect(vocabFor('1')).toBe(VOCAB);
  });
});

describe('corpus versions', () => {
  it('v2 appends its words to v1, so every word keeps its id', () => {
    expect(vocabFor('2')).toEqual([...VOCAB, ...V2_WORDS]);
    for (const [i, w] of vocabFor('2').entries()) expect(tokenId(w)).toBe(i);
    for (const w of V2_WORDS) expect(VOCAB).not.toContain(w);
    expect(vocabFileContent('2')).toMatchObject({ version: '2', size: VOCAB_SIZE + V2_WORDS.length });
  });

  it('refuses a version that does not exist, in one line', () => {
    expect(parseCorpusVersion('2')).toBe('2');
    expect(parseCorpusVersion(1)).toBe('1');
    expect(parseCorpusVersion('3')).toBe('3');
    for (const bad of ['4', '', 'v2', undefined]) {
      expect(() => parseCorpusVersion(bad), String(bad)).toThrow(/^corpus version .* does not exist \(known: 1, 2, 3\)$/);
    }
    expect(() => generateStories(1, 2, '4' as CorpusVersion)).toThrow(/corpus version "4" does not exist/);
  });
});

describe('corpus v2', () => {
  const v2 = generateStories(7, 1500, '2');
  const v2Sentences = v2.flat();
  const stats = corpusStats(v2, '2');
  const share = (k: keyof typeof stats.structures) => stats.structures[k] / stats.sentences;
  const ioiVerbs = new Set(allOf(LEXICON.ioiVerbs));
  const ofKind = (k: string) => v2Sentences.filter((s) => classifySentence(s) === k);

  it('is deterministic per seed, differs from v1, and writes only v2 words, every sentence ending in . or ?', () => {
    expect(generateStories(7, 1500, '2')).toEqual(v2);
    expect(v2.slice(0, 20)).not.toEqual(stories.slice(0, 20));
    const words = new Set(vocabFor('2'));
    expect(v2Sentences.filter((s) => s.some((w) => !words.has(w)))).toEqual([]);
    expect(v2Sentences.filter((s) => !['.', '?'].includes(s[s.length - 1]) || s.slice(0, -1).some((w) => w === '.' || w === '?'))).toEqual([]);
    expect(stats.vocab.coverage).toBe(1);
  });

  it('makes same-gender IOI rare (5–15% of IOI sentences) and puts name1 at two positions', () => {
    expect(stats.cues.ioi_same_gender_share).toBeGreaterThan(0.05);
    expect(stats.cues.ioi_same_gender_share).toBeLessThan(0.15);
    const ioi = stats.structures['ioi-same'] + stats.structures['ioi-opposite'];
    expect(ioi / stats.sentences).toBeGreaterThan(0.1);
    for (const at of ['0', '1']) expect(stats.cues.name1_positions[at] / ioi, `name1 at word ${at}`).toBeGreaterThan(0.35);
  });

  it('IOI: the object pronoun refers to name1, in both forms and both pairings; the prompt part has 7 words', () => {
    for (const kind of ['ioi-opposite', 'ioi-same']) {
      const ioi = ofKind(kind);
      expect(ioi.length, kind).toBeGreaterThan(kind === 'ioi-same' ? 40 : 400);
      const bad = ioi.filter((s) => {
        const n1 = s[name1Index(s)!];
        return s.length !== 9 || s[7] !== (genderOf(n1) === 'male' ? 'him' : 'her') || s[5] === n1 || !ioiVerbs.has(s[6]);
      });
      expect(bad).toEqual([]);
    }
  });

  it('object pronouns after "{name} {verb}" outside IOI refer to someone of the other gender named earlier in the story', () => {
    const objectOther = ofKind('object-other');
    expect(share('object-other')).toBeGreaterThan(0.03);
    for (const story of v2) {
      story.forEach((s, i) => {
        if (classifySentence(s) !== 'object-other') return;
        const g = s[2] === 'him' ? 'male' : 'female';
        expect(genderOf(s[0]), s.join(' ')).not.toBe(g);
        // the referent: a name of the pronoun's gender in an earlier sentence of the story
        expect(story.slice(0, i).flat().some((w) => genderOf(w) === g), s.join(' ')).toBe(true);
      });
    }
    expect(objectOther.length).toBeGreaterThan(100);
  });

  it('reflexives are for the subject itself', () => {
    const refl = ofKind('reflexive');
    expect(refl.length).toBeGreaterThan(100);
    expect(refl.filter((s) => s[2] !== (genderOf(s[0]) === 'male' ? 'himself' : 'herself'))).toEqual([]);
  });

  it('the object slot after "{name} {verb}" is the other gender but for same-gender IOI, and never a possessive her', () => {
    expect(stats.cues.possessive_her_after_name_verb).toBe(0);
    expect(corpusStats(stories).cues.possessive_her_after_name_verb).toBeGreaterThan(0); // v1's cue, counted by the same code
    // him/her agreeing with the name right before the verb: exactly the same-gender IOI sentences
    expect(stats.cues.object_after_name_verb.agrees_with_subject * stats.cues.object_after_name_verb.count).toBeCloseTo(stats.structures['ioi-same'], 6);
    expect(stats.cues.object_after_name_verb.agrees_with_subject).toBeLessThan(0.12);
    expect(corpusStats(stories).cues.object_after_name_verb.agrees_with_subject).toBeGreaterThan(0.4);
  });

  it('keeps the tasks\' invariants: he/she after "when {name} {action} ,", an IOI verb followed only by a pronoun object', () => {
    const actions = new Set(allOf(LEXICON.actions));
    const after = (s: Sentence) => s[s.indexOf(',') + 1];
    const pronounLike = v2Sentences.filter((s) => s[0] === 'when' && actions.has(`${s[2]} ${s[3]}`));
    expect(pronounLike.length).toBeGreaterThan(100);
    expect(pronounLike.filter((s) => after(s) !== (genderOf(s[1]) === 'male' ? 'he' : 'she'))).toEqual([]);
    const objects = new Set(['him', 'her', 'himself', 'herself']);
    expect(v2Sentences.filter((s) => s.some((w, i) => ioiVerbs.has(w) && !objects.has(s[i + 1])))).toEqual([]);
    expect(share('question') + share('statement')).toBeGreaterThan(0.2);
    expect(share('pronoun')).toBeGreaterThan(0.1);
  });
});

describe('corpus v3', () => {
  const v2 = generateStories(7, 3000, '2');
  const v3 = generateStories(7, 3000, '3');
  const stats3 = corpusStats(v3, '3');
  const stats2 = corpusStats(v2, '2');
  const name1Gender = (s: Sentence) => genderOf(s[name1Index(s)!]);
  const pronoun = (s: Sentence) => (s[7] === 'him' ? 'male' : 'female');

  it('v2 is unchanged by it (the v2 models were trained on these stories)', () => {
    expect(sha(generateStories(1, 2000, '2'))).toBe('9499e1efb20576693c6aeabb34142097a0ed15f5b9e3840d23c77476ed5dd7dc');
    expect(stats2.cues.ioi_same_gender_pronoun_is_name1).toBe(1);
  });

  it('same-gender IOI: the pronoun refers to a third person of the other gender in about 20% of sentences; nothing else changes', () => {
    expect(generateStories(7, 3000, '3')).toEqual(v3);
    const same = v3.flat().filter((s) => classifySentence(s) === 'ioi-same');
    expect(same.length).toBeGreaterThan(300);
    const third = same.filter((s) => pronoun(s) !== name1Gender(s));
    expect(third.length / same.length).toBeGreaterThan(0.15);
    expect(third.length / same.length).toBeLessThan(0.25);
    expect(stats3.cues.ioi_same_gender_pronoun_is_name1).toBeCloseTo(1 - third.length / same.length, 10);
    // opposite-gender IOI still always refers to name1
    const opposite = v3.flat().filter((s) => classifySentence(s) === 'ioi-opposite');
    expect(opposite.filter((s) => pronoun(s) !== name1Gender(s))).toEqual([]);
    // the same structures in the same shares as v2, and v2's words
    for (const k of Object.keys(stats2.structures) as Array<keyof typeof stats2.structures>) {
      expect(Math.abs(stats3.structures[k] / stats3.sentences - stats2.structures[k] / stats2.sentences), k).toBeLessThan(0.01);
    }
    expect(vocabFor('3')).toEqual(vocabFor('2'));
    expect(stats3.vocab.coverage).toBe(1);
  });
});

describe('faithbench corpus stats --version', () => {
  const cli = (args: string[]) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile('node', [join(process.cwd(), 'bin/faithbench.js'), ...args], { encoding: 'utf8' }, (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }));
  });

  it('prints each structure\'s share of a version, and refuses an unknown version in one line', async () => {
    const v2 = await cli(['corpus', 'stats', '--version', '2', '--stories', '300', '--json']);
    expect(v2.code, v2.err).toBe(0);
    const stats = JSON.parse(v2.out);
    expect(stats.version).toBe('2');
    expect(stats).toEqual(JSON.parse(JSON.stringify({ version: '2', seed: 0, ...corpusStats(generateStories(0, 300, '2'), '2') })));
    const text = await cli(['corpus', 'stats', '--version', '2', '--stories', '300']);
    expect(text.out).toMatch(/^corpus v2, seed 0: 300 stories/);
    for (const k of ['object-other', 'reflexive', 'ioi-same']) expect(text.out).toMatch(new RegExp(`\\n  ${k} +\\d+ +\\d+\\.\\d%`));
    const bad = await cli(['corpus', 'stats', '--version', '4']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toBe('faithbench: error: corpus version "4" does not exist (known: 1, 2, 3)\n');
    expect(bad.out).toBe('');
  });
});
