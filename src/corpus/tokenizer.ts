// Word-level tokenizer over VOCAB: one word = one token, no subword splitting, so the
// token count of a prompt is exactly its word count (plus <bos>). One id map for every corpus
// version: later versions only append words, so v1's ids are unchanged (vocab.ts).
import { ALL_TOKENS, UNK } from './vocab.ts';

const VOCAB = ALL_TOKENS;
const ID_OF: ReadonlyMap<string, number> = new Map(VOCAB.map((w, i) => [w, i]));

/** The id of one word; throws a one-line Error for a word outside the vocabulary. */
export function tokenId(word: string): number {
  const id = ID_OF.get(word);
  if (id === undefined) throw new Error(`unknown word ${JSON.stringify(word)}: not in the corpus vocabulary (${VOCAB.length} tokens, see data/vocab.json)`);
  return id;
}

export function hasToken(word: string): boolean {
  return ID_OF.has(word);
}

export interface EncodeOptions {
  /** Map unknown words to `<unk>` instead of throwing (for free text; tasks and the corpus never need it). */
  allowUnknown?: boolean;
}

export function encode(words: readonly string[], opts: EncodeOptions = {}): number[] {
  const unk = ID_OF.get(UNK)!;
  return words.map((w) => (opts.allowUnknown ? ID_OF.get(w) ?? unk : tokenId(w)));
}

/** Split text on whitespace and encode; words must already be tokens ("when Leo ran home ,"). */
export function encodeText(text: string, opts: EncodeOptions = {}): number[] {
  return encode(text.trim().split(/\s+/).filter((w) => w.length > 0), opts);
}

export function decode(ids: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const w = VOCAB[ids[i]];
    if (w === undefined) throw new Error(`token id ${ids[i]} is out of range: the vocabulary has ${VOCAB.length} tokens`);
    out.push(w);
  }
  return out;
}
