// The story corpus of a given version, and the training-batch sampler (the same for every version).
import { BOS } from './vocab.ts';
import { tokenId } from './tokenizer.ts';
import { DEFAULT_CORPUS_VERSION, parseCorpusVersion, type CorpusVersion } from './versions.ts';
import type { Rng, Story } from './story.ts';
import { generateStoriesV1 } from './generate-v1.ts';
import { generateStoriesV2, generateStoriesV3 } from './generate-v2.ts';
export type { Rng, Sentence, Story } from './story.ts';
export { storyText } from './story.ts';
export { MIN_STORY_SENTENCES, MAX_STORY_SENTENCES } from './generate-v1.ts';

/** `count` stories, identical for the same (seed, version); v1 unless a version is given. */
export function generateStories(seed: number, count: number, version: CorpusVersion = DEFAULT_CORPUS_VERSION): Story[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`story count must be a non-negative integer, got ${count}`);
  const v = parseCorpusVersion(version);
  switch (v) {
    case '1':
      return generateStoriesV1(seed, count);
    case '2':
      return generateStoriesV2(seed, count);
    case '3':
      return generateStoriesV3(seed, count);
  }
}

// ---- training batches ---------------------------------------------------------------

// Encoded sentences per stories array, so repeated batch sampling does not re-encode.
const ENCODED = new WeakMap<readonly Story[], Int32Array[][]>();

function encodedStories(stories: readonly Story[]): Int32Array[][] {
  let enc = ENCODED.get(stories);
  if (!enc) {
    enc = stories.map((story) => story.map((sentence) => Int32Array.from(sentence, tokenId)));
    ENCODED.set(stories, enc);
  }
  return enc;
}

export interface TrainingBatch {
  /** [batch, seqLen] row-major token ids. */
  input: Int32Array;
  /** [batch, seqLen] row-major: input shifted left by one (the next token at each position). */
  target: Int32Array;
  batch: number;
  seqLen: number;
}

/**
 * Sample language-modelling rows: each is `<bos>` followed by consecutive sentences from a
 * random sentence boundary of a random story, running on into the following stories (each
 * new story preceded by `<bos>`, which marks that earlier names no longer apply) until
 * seqLen + 1 tokens; input = tokens[0, seqLen), target = tokens[1, seqLen + 1).
 * Rows start at sentence boundaries right after `<bos>`, exactly as task prompts do.
 */
export function sampleTrainingBatch(rng: Rng, stories: readonly Story[], batch: number, seqLen: number): TrainingBatch {
  if (stories.length === 0) throw new Error('cannot sample a training batch from an empty corpus');
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(seqLen) || seqLen < 1) {
    throw new Error(`batch and seqLen must be positive integers, got batch ${batch}, seqLen ${seqLen}`);
  }
  const enc = encodedStories(stories);
  const bos = tokenId(BOS);
  const input = new Int32Array(batch * seqLen);
  const target = new Int32Array(batch * seqLen);
  const row = new Int32Array(seqLen + 1);
  for (let b = 0; b < batch; b++) {
    let s = Math.floor(rng() * enc.length);
    let j = Math.floor(rng() * enc[s].length);
    let len = 0;
    row[len++] = bos;
    while (len < seqLen + 1) {
      if (j >= enc[s].length) {
        s = (s + 1) % enc.length;
        j = 0;
        row[len++] = bos;
        continue;
      }
      const sentence = enc[s][j++];
      const take = Math.min(sentence.length, seqLen + 1 - len);
      row.set(sentence.subarray(0, take), len);
      len += take;
    }
    input.set(row.subarray(0, seqLen), b * seqLen);
    target.set(row.subarray(1, seqLen + 1), b * seqLen);
  }
  return { input, target, batch, seqLen };
}
