// Corpus statistics: how often each probed structure occurs, and vocabulary coverage.
// Sentences are classified from their words alone, so the counts hold for any stories,
// not only for ones this generator made.
import type { Sentence, Story } from './generate.ts';
import { LEXICON, PLURAL_SUBJECTS, SINGULAR_SUBJECTS, SPECIAL_TOKENS, VOCAB, genderOf } from './vocab.ts';

export const STRUCTURES = ['pronoun', 'ioi-opposite', 'ioi-same', 'question', 'statement', 'filler'] as const;
export type Structure = (typeof STRUCTURES)[number];

const SUBJECTS = new Set<string>([...PLURAL_SUBJECTS, ...SINGULAR_SUBJECTS]);
const AUX_OR_BE = new Set<string>([...LEXICON.auxiliaries, 'is', 'are']);

/**
 * pronoun: "when {name} ... , he|she ..."; ioi-*: "when {name1} ... , {name2} ..." by the two
 * names' genders; question: ends in `?`; statement: the statement half of a minimal pair
 * ("you do ...", "he is ...", "the cake is very ..."); filler: anything else.
 */
export function classifySentence(s: Sentence): Structure {
  if (s[s.length - 1] === '?') return 'question';
  if (s[0] === 'when') {
    const comma = s.indexOf(',');
    const name1 = genderOf(s[1]);
    const after = s[comma + 1];
    if (comma > 0 && name1 && (after === 'he' || after === 'she')) return 'pronoun';
    const name2 = comma > 0 ? genderOf(after) : undefined;
    if (name1 && name2) return name1 === name2 ? 'ioi-same' : 'ioi-opposite';
    return 'filler';
  }
  if (SUBJECTS.has(s[0]) && AUX_OR_BE.has(s[1])) return 'statement';
  if (s[0] === 'the' && s[2] === 'is' && s[3] === 'very') return 'statement';
  return 'filler';
}

export interface CorpusStats {
  stories: number;
  sentences: number;
  /** Word tokens in the stories (no `<bos>`). */
  tokens: number;
  meanSentenceLength: number;
  structures: Record<Structure, number>;
  /** Coverage of the non-special vocabulary. */
  vocab: { size: number; used: number; coverage: number; unused: string[] };
}

export function corpusStats(stories: readonly Story[]): CorpusStats {
  const structures = Object.fromEntries(STRUCTURES.map((k) => [k, 0])) as Record<Structure, number>;
  const used = new Set<string>();
  let sentences = 0;
  let tokens = 0;
  for (const story of stories) {
    for (const s of story) {
      sentences++;
      tokens += s.length;
      structures[classifySentence(s)]++;
      for (const w of s) used.add(w);
    }
  }
  const specials = new Set<string>(SPECIAL_TOKENS);
  const regular = VOCAB.filter((w) => !specials.has(w));
  const unused = regular.filter((w) => !used.has(w));
  return {
    stories: stories.length,
    sentences,
    tokens,
    meanSentenceLength: sentences ? tokens / sentences : 0,
    structures,
    vocab: { size: regular.length, used: regular.length - unused.length, coverage: regular.length ? (regular.length - unused.length) / regular.length : 0, unused },
  };
}
