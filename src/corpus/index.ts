// The built-in story corpus: vocabulary, tokenizer, generator, batch sampler, statistics.
export {
  CORPUS_VERSION, PAD, BOS, UNK, SPECIAL_TOKENS, MALE_NAMES, FEMALE_NAMES, NAMES, LEXICON, PLURAL_SUBJECTS,
  SINGULAR_SUBJECTS, PLURAL_AUX, SINGULAR_AUX, VOCAB, VOCAB_SIZE, allOf, genderOf, subjectPronoun, objectPronoun,
  possessivePronoun, vocabFileContent, writeVocabFile,
} from './vocab.ts';
export type { Gender, SplitList, VocabFile } from './vocab.ts';
export { tokenId, hasToken, encode, encodeText, decode } from './tokenizer.ts';
export type { EncodeOptions } from './tokenizer.ts';
export { generateStories, sampleTrainingBatch, storyText, MIN_STORY_SENTENCES, MAX_STORY_SENTENCES } from './generate.ts';
export type { Sentence, Story, Rng, TrainingBatch } from './generate.ts';
export { corpusStats, classifySentence, STRUCTURES } from './stats.ts';
export type { CorpusStats, Structure } from './stats.ts';
