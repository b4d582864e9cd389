// Corpus versions. A version fixes the vocabulary and the story generator; a checkpoint
// records the version it was trained on, and everything that reads corpus text or asks for
// task prompts on that model's behalf (means, tasks) uses that version, never another.
//   1  the shipped zoo's corpus (frozen: byte-identical stories, ids and prompts forever)
//   2  natural text's cues for IOI (docs/corpus.md): object pronouns that refer to someone other
//      than the local subject, reflexives, rare same-gender IOI, name1 at varying positions
//   3  v2, plus the one cue v2 leaves out: in a share of same-gender IOI sentences the object
//      pronoun refers to a third person of the other gender, unnamed in the sentence (docs/corpus.md)
import { z } from 'zod';
import { UserError } from '../util/errors.ts';

export const CORPUS_VERSIONS = ['1', '2', '3'] as const;
export const CorpusVersion = z.enum(CORPUS_VERSIONS, {
  error: (issue) => `corpus version ${JSON.stringify(issue.input)} does not exist (known: ${CORPUS_VERSIONS.join(', ')})`,
});
export type CorpusVersion = z.infer<typeof CorpusVersion>;

/** What a checkpoint or config that names no version was trained on. */
export const DEFAULT_CORPUS_VERSION: CorpusVersion = '1';

/** A version as a user or a file gave it; anything unknown is one clear line. */
export function parseCorpusVersion(raw: unknown, where = 'corpus version'): CorpusVersion {
  const parsed = CorpusVersion.safeParse(typeof raw === 'number' ? String(raw) : raw);
  if (!parsed.success) throw new UserError(`${where} ${JSON.stringify(raw)} does not exist (known: ${CORPUS_VERSIONS.join(', ')})`);
  return parsed.data;
}
