// Corpus statistics: how often each probed structure occurs, and vocabulary coverage.
// Sentences are classified from their words alone, so the counts hold for any stories,
// not only for ones this generator made. Besides the structures' shares, the cues that decide
// whether "not name2" is a shortcut a model can learn (corpus v2, DESIGN §4) are counted.
import type { Sentence, Story } from './story.ts';
import { LEXICON, PLURAL_SUBJECTS, SINGULAR_SUBJECTS, SPECIAL_TOKENS, allOf, genderOf, vocabFor } from './vocab.ts';
import { DEFAULT_CORPUS_VERSION, type CorpusVersion } from './versions.ts';

export const STRUCTURES = ['pronoun', 'ioi-opposite', 'ioi-same', 'object-other', 'reflexive', 'question', 'statement', 'filler'] as const;
export type Structure = (typeof STRUCTURES)[number];

const SUBJECTS = new Set<string>([...PLURAL_SUBJECTS, ...SINGULAR_SUBJECTS]);
const AUX_OR_BE = new Set<string>([...LEXICON.auxiliaries, 'is', 'are']);
const IOI_VERBS = new Set<string>(allOf(LEXICON.ioiVerbs));
const OBJECT_PRONOUNS = new Set(['him', 'her']);
const REFLEXIVES = new Set(['himself', 'herself']);
const pronounGender = (w: string) => (w === 'him' || w === 'himself' ? 'male' : 'female');

/**
 * pronoun: "when {name} ... , he|she ..."; ioi-*: "when {name1} ... , {name2} ..." or
 * "{name1} ... , so {name2} ..." by the two names' genders; object-other / reflexive:
 * "{name} {ioi verb} him|her ." / "... himself|herself ."; question: ends in `?`; statement:
 * the statement half of a minimal pair ("you do ...", "he is ...", "the cake is very ...");
 * filler: anything else.
 */
export function classifySentence(s: Sentence): Structure {
  if (s[s.length - 1] === '?') return 'question';
  if (genderOf(s[0]) && s[s.indexOf(',') + 1] === 'so') {
    const comma = s.indexOf(',');
    const name2 = genderOf(s[comma + 2]);
    if (name2) return genderOf(s[0]) === name2 ? 'ioi-same' : 'ioi-opposite';
  }
  if (genderOf(s[0]) && IOI_VERBS.has(s[1])) {
    if (OBJECT_PRONOUNS.has(s[2])) return 'object-other';
    if (REFLEXIVES.has(s[2])) return 'reflexive';
  }
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

/** Where name1 sits in an IOI sentence (0 = its first word), or undefined for other sentences. */
export function name1Index(s: Sentence): number | undefined {
  const kind = classifySentence(s);
  if (kind !== 'ioi-opposite' && kind !== 'ioi-same') return undefined;
  return s[0] === 'when' ? 1 : 0;
}

export interface CorpusCues {
  /** same-gender share of IOI sentences */
  ioi_same_gender_share: number;
  /** same-gender IOI sentences whose object pronoun has name1's (and name2's) gender; v3's others refer to a third person */
  ioi_same_gender_pronoun_is_name1: number;
  /** IOI sentences by the index of name1 in the sentence */
  name1_positions: Record<string, number>;
  /** "{name} {ioi verb} him|her": how many, and the share where the pronoun has the name's gender */
  object_after_name_verb: { count: number; agrees_with_subject: number };
  /** "{name} {ioi verb} himself|herself" */
  reflexive_after_name_verb: number;
  /** "{name} {verb} her {noun}": the possessive right after a name and a verb (v1's fillers) */
  possessive_her_after_name_verb: number;
}

export interface CorpusStats {
  stories: number;
  sentences: number;
  /** Word tokens in the stories (no `<bos>`). */
  tokens: number;
  meanSentenceLength: number;
  structures: Record<Structure, number>;
  cues: CorpusCues;
  /** Coverage of the non-special vocabulary of the version. */
  vocab: { size: number; used: number; coverage: number; unused: string[] };
}

export function corpusStats(stories: readonly Story[], version: CorpusVersion = DEFAULT_CORPUS_VERSION): CorpusStats {
  const structures = Object.fromEntries(STRUCTURES.map((k) => [k, 0])) as Record<Structure, number>;
  const positions: Record<string, number> = {};
  const object = { count: 0, agrees: 0 };
  let reflexive = 0;
  let possessive = 0;
  let sameToName1 = 0;
  const used = new Set<string>();
  let sentences = 0;
  let tokens = 0;
  const nouns = new Set([...allOf(LEXICON.nouns), ...allOf(LEXICON.places)]);
  for (const story of stories) {
    for (const s of story) {
      sentences++;
      tokens += s.length;
      const kind = classifySentence(s);
      structures[kind]++;
      // the IOI object pronoun is the word before the final `.`
      if (kind === 'ioi-same' && pronounGender(s[s.length - 2]) === genderOf(s[name1Index(s)!])) sameToName1++;
      const at = name1Index(s);
      if (at !== undefined) positions[at] = (positions[at] ?? 0) + 1;
      for (let i = 2; i < s.length; i++) {
        const g = genderOf(s[i - 2]);
        if (!g) continue;
        if (IOI_VERBS.has(s[i - 1]) && OBJECT_PRONOUNS.has(s[i])) {
          object.count++;
          if (pronounGender(s[i]) === g) object.agrees++;
        }
        if (IOI_VERBS.has(s[i - 1]) && REFLEXIVES.has(s[i])) reflexive++;
        if (s[i] === 'her' && nouns.has(s[i + 1])) possessive++;
      }
      for (const w of s) used.add(w);
    }
  }
  const ioi = structures['ioi-same'] + structures['ioi-opposite'];
  const cues: CorpusCues = {
    ioi_same_gender_share: ioi ? structures['ioi-same'] / ioi : 0,
    ioi_same_gender_pronoun_is_name1: structures['ioi-same'] ? sameToName1 / structures['ioi-same'] : 0,
    name1_positions: positions,
    object_after_name_verb: { count: object.count, agrees_with_subject: object.count ? object.agrees / object.count : 0 },
    reflexive_after_name_verb: reflexive,
    possessive_her_after_name_verb: possessive,
  };
  const specials = new Set<string>(SPECIAL_TOKENS);
  const regular = vocabFor(version).filter((w) => !specials.has(w));
  const unused = regular.filter((w) => !used.has(w));
  return {
    stories: stories.length,
    sentences,
    tokens,
    meanSentenceLength: sentences ? tokens / sentences : 0,
    structures,
    cues,
    vocab: { size: regular.length, used: regular.length - unused.length, coverage: regular.length ? (regular.length - unused.length) / regular.length : 0, unused },
  };
}
