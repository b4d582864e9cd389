import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import {
  BOS, CORPUS_VERSION, LEXICON, NAMES, PAD, VOCAB, VOCAB_SIZE, classifySentence, corpusStats, decode, encode, genderOf,
  generateStories, sampleTrainingBatch, tokenId, vocabFileContent, type SplitList, type Story,
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
    expect(() => decode([VOCAB_SIZE])).toThrow(/out of range/);
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
    for (const [k, n] of Object.entries(stats.structures)) expect(n / stats.sentences, k).toBeGreaterThan(0.08);
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
