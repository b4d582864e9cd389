// The built-in story corpus: versions, vocabulary, tokenizer, generators, batch sampler, statistics.
export {
  CORPUS_VERSION, PAD, BOS, UNK, SPECIAL_TOKENS, MALE_NAMES, FEMALE_NAMES, NAMES, LEXICON, PLURAL_SUBJECTS,
  SINGULAR_SUBJECTS, PLURAL_AUX, SINGULAR_AUX, VOCAB, VOCAB_SIZE, V2_WORDS, ALL_TOKENS, allOf, genderOf, subjectPronoun,
  objectPronoun, possessivePronoun, reflexivePronoun, vocabFor, vocabFileContent, writeVocabFile,
} from './vocab.ts';
export type { Gender, SplitList, VocabFile } from './vocab.ts';
export { CORPUS_VERSIONS, CorpusVersion, DEFAULT_CORPUS_VERSION, parseCorpusVersion } from './versions.ts';
export { tokenId, hasToken, encode, encodeText, decode } from './tokenizer.ts';
export type { EncodeOptions } from './tokenizer.ts';
export { generateStories, sampleTrainingBatch, storyText, MIN_STORY_SENTENCES, MAX_STORY_SENTENCES } from './generate.ts';
export type { Sentence, Story, Rng, TrainingBatch } from './generate.ts';
export { SAME_GENDER_IOI_SHARE } from './generate-v2.ts';
export { corpusStats, classifySentence, name1Index, STRUCTURES } from './stats.ts';
export type { CorpusStats, CorpusCues, Structure } from './stats.ts';
