// The word-level vocabulary of the built-in story corpus.
//
// Every word is exactly one token (no spaces, lowercase except names), so a template
// slot filled with a k-word phrase always adds k tokens and task prompts have a fixed
// length. The vocabulary is built from the lexicon below in a fixed order, so token ids
// are stable for a given corpus version; data/vocab.json records v1's. A later version only
// appends words (V2_WORDS), so a word has one id in every version and v1's ids never move.
//
// Template lists that the built-in tasks split into train / validation / test are kept
// here already split (a SplitList), so that the corpus (which uses every entry) and the
// tasks (which must keep the splits' templates disjoint) share one source of truth.
import { writeJsonAtomic } from '../util/fs.ts';
import { DEFAULT_CORPUS_VERSION, type CorpusVersion } from './versions.ts';

/**
 * The default corpus version (v1: the shipped zoo's). A change to the vocabulary or a
 * generator that changes stories is a new version in versions.ts, never an edit of an old one.
 */
export const CORPUS_VERSION = DEFAULT_CORPUS_VERSION;

export const PAD = '<pad>';
export const BOS = '<bos>';
export const UNK = '<unk>';
export const SPECIAL_TOKENS = [PAD, BOS, UNK] as const;

export type Gender = 'male' | 'female';
export const MALE_NAMES = ['Leo', 'Samuel', 'Jose', 'Peter', 'Alex'] as const;
export const FEMALE_NAMES = ['Mia', 'Rita', 'Kim', 'Maria', 'Lily'] as const;
export const NAMES: readonly string[] = [...MALE_NAMES, ...FEMALE_NAMES];

/** A list whose entries are assigned to disjoint task splits; the corpus uses all of them. */
export interface SplitList {
  readonly train: readonly string[];
  readonly validation: readonly string[];
  readonly test: readonly string[];
}

export const allOf = (s: SplitList): readonly string[] => [...s.train, ...s.validation, ...s.test];

export const LEXICON = {
  punctuation: [',', '.', '?'],
  /** Subject and object pronouns; he/she/him/her/his carry gender. */
  pronouns: ['he', 'she', 'him', 'her', 'his', 'you', 'we', 'they', 'it'],
  function: ['when', 'is', 'are', 'was', 'the', 'a', 'to', 'at', 'in', 'and', 'very', 'then', 'home', 'together', 'day', 'that'],
  /** Auxiliaries that start yes/no questions ("do you ...?") or follow the subject in statements. */
  auxiliaries: ['do', 'does', 'did', 'can', 'will'],
  questionWords: ['where', 'why', 'what', 'who', 'how'],
  /**
   * Pronoun-task actions: exactly two words, "when {name} {action} , {he|she} ...".
   * Their first words never start an IOI situation (was/felt/got), so the corpus makes
   * the token after "when {name} {action} ," always he/she.
   */
  actions: {
    train: [
      'ran home', 'ate lunch', 'woke up', 'sat down', 'came back', 'went out', 'fell asleep', 'read books',
      'made tea', 'drew pictures', 'sang songs', 'played outside', 'looked around', 'walked away', 'baked bread', 'cleaned up',
    ],
    validation: ['wrote letters', 'climbed trees', 'opened presents', 'planted flowers', 'cooked dinner', 'washed dishes', 'picked apples'],
    test: ['caught fish', 'built castles', 'fixed toys', 'watered plants', 'counted stars', 'folded clothes', 'tied shoes'],
  } satisfies SplitList,
  /**
   * IOI situations: exactly two words, "when {name1} {situation} , {name2} {verb} {him|her}".
   * Split by adjective, so no adjective occurs in two splits.
   */
  situations: {
    train: [
      'was sick', 'felt sick', 'was sad', 'felt sad', 'was lonely', 'felt lonely', 'got lost', 'was lost',
      'was scared', 'got scared', 'was cold', 'felt cold', 'got hurt', 'was hurt', 'was hungry', 'got hungry',
    ],
    validation: ['got stuck', 'was stuck', 'was upset', 'got upset', 'got wet', 'was wet', 'was bored', 'got bored'],
    test: ['was afraid', 'felt afraid', 'was tired', 'felt tired', 'was ill', 'felt ill', 'was weak', 'felt weak'],
  } satisfies SplitList,
  /** IOI verbs: one word, used only in the IOI structure and always followed by him/her. */
  ioiVerbs: {
    train: ['helped', 'hugged', 'thanked', 'called', 'visited', 'comforted', 'carried', 'warned', 'followed', 'kissed'],
    validation: ['fed', 'watched', 'cheered', 'joined', 'teased'],
    test: ['saved', 'chased', 'greeted', 'rescued', 'found'],
  } satisfies SplitList,
  /** Present-tense verbs of "do you {verb} the {noun} ?" / "you do {verb} the {noun} .". */
  questionVerbs: {
    train: ['like', 'want', 'see', 'need', 'have', 'love'],
    validation: ['know', 'miss', 'hear'],
    test: ['keep', 'bring', 'hold'],
  } satisfies SplitList,
  nouns: {
    train: ['cake', 'ball', 'dog', 'cat', 'book', 'song', 'game', 'hat', 'boat', 'bird'],
    validation: ['kite', 'box', 'car', 'doll'],
    test: ['cup', 'door', 'coat', 'toy'],
  } satisfies SplitList,
  places: {
    train: ['park', 'school', 'store', 'beach', 'garden', 'lake', 'forest', 'zoo'],
    validation: ['farm', 'river', 'market', 'library'],
    test: ['kitchen', 'hill', 'town', 'castle'],
  } satisfies SplitList,
  /** Adjectives for things: "is the {noun} very {adj} ?" / "the {noun} is very {adj} .". */
  objectAdjectives: {
    train: ['big', 'small', 'old', 'new', 'red', 'soft'],
    validation: ['warm', 'clean', 'tiny'],
    test: ['blue', 'round', 'heavy'],
  } satisfies SplitList,
  /** Adjectives for people, used in fillers, continuations and "is he very {mood} ?". */
  moods: ['happy', 'glad', 'proud', 'calm', 'sleepy', 'excited', 'kind', 'funny'],
  /** Other verbs of fillers and pronoun continuations (never IOI verbs, never followed by him/her). */
  otherVerbs: ['smiled', 'laughed', 'rested', 'waved', 'went', 'saw', 'lost', 'took', 'liked', 'played', 'felt', 'got'],
} as const;

/** Subjects of question/statement minimal pairs and the auxiliaries and "be" forms that agree with them. */
export const PLURAL_SUBJECTS = ['you', 'we', 'they'] as const;
export const SINGULAR_SUBJECTS = ['he', 'she'] as const;
export const PLURAL_AUX = ['do', 'did', 'can', 'will'] as const;
export const SINGULAR_AUX = ['does', 'did', 'can', 'will'] as const;

export function genderOf(name: string): Gender | undefined {
  if ((MALE_NAMES as readonly string[]).includes(name)) return 'male';
  if ((FEMALE_NAMES as readonly string[]).includes(name)) return 'female';
  return undefined;
}

export const subjectPronoun = (g: Gender): string => (g === 'male' ? 'he' : 'she');
export const objectPronoun = (g: Gender): string => (g === 'male' ? 'him' : 'her');
export const possessivePronoun = (g: Gender): string => (g === 'male' ? 'his' : 'her');
export const reflexivePronoun = (g: Gender): string => (g === 'male' ? 'himself' : 'herself');

/**
 * Words corpus v2 adds, appended after v1's vocabulary: reflexives (the object of a verb whose
 * subject is its referent) and `so` (the IOI form "{name1} {situation} , so {name2} {verb}").
 */
export const V2_WORDS = ['himself', 'herself', 'so'] as const;

/** Every word the lexicon uses, in a fixed order (phrases split on spaces), deduplicated. */
function buildVocab(): readonly string[] {
  const words: string[] = [...SPECIAL_TOKENS, ...LEXICON.punctuation, ...NAMES];
  for (const [group, entries] of Object.entries(LEXICON)) {
    if (group === 'punctuation') continue;
    const list: readonly string[] = Array.isArray(entries) ? entries : allOf(entries as SplitList);
    for (const phrase of list) words.push(...phrase.split(' '));
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const w of words) {
    if (seen.has(w)) continue;
    seen.add(w);
    out.push(w);
  }
  return Object.freeze(out);
}

/** The v1 vocabulary: id = index. `<pad>` is 0 and `<bos>` is 1. */
export const VOCAB: readonly string[] = buildVocab();
export const VOCAB_SIZE = VOCAB.length;

const VOCAB_V2: readonly string[] = Object.freeze([...VOCAB, ...V2_WORDS]);

/** A version's vocabulary (a prefix of the latest one: ids agree across versions). */
export function vocabFor(version: CorpusVersion): readonly string[] {
  // v3 changes only which pronoun some sentences end in: v2's words
  return version === '1' ? VOCAB : VOCAB_V2;
}

/** Every token of every version (the tokenizer's id map). */
export const ALL_TOKENS: readonly string[] = VOCAB_V2;

export interface VocabFile {
  version: string;
  size: number;
  tokens: string[];
}

export function vocabFileContent(version: CorpusVersion = CORPUS_VERSION): VocabFile {
  const tokens = vocabFor(version);
  return { version, size: tokens.length, tokens: [...tokens] };
}

/** Write a version's vocabulary (data/vocab.json, v1, by convention) atomically. */
export function writeVocabFile(path: string, version: CorpusVersion = CORPUS_VERSION): void {
  writeJsonAtomic(path, vocabFileContent(version));
}
