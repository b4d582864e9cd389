// `faithbench corpus stats|sample|vocab`: inspect the built-in story corpus and write its vocabulary.
import { InvalidArgumentError, type Command } from 'commander';
import {
  CORPUS_VERSION, STRUCTURES, corpusStats, generateStories, parseCorpusVersion, storyText, vocabFor, writeVocabFile, type CorpusVersion,
} from '../corpus/index.ts';

const versionOption = ['--version <v>', 'corpus version (1: the shipped zoo\'s, 2: natural-text cues for IOI)', (v: string) => v, CORPUS_VERSION] as const;
/** An unknown version is refused before anything is generated, as one line. */
const versionOf = (raw: string): CorpusVersion => parseCorpusVersion(raw);

function intOption(name: string, min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`--${name} must be an integer ≥ ${min}.`);
    return n;
  };
}

export function register(program: Command): void {
  const corpus = program.command('corpus').description('the built-in story corpus: statistics, samples, vocabulary');

  corpus
    .command('stats')
    .description('generate stories and print how often each probed structure occurs')
    .option('--seed <n>', 'corpus seed', intOption('seed', 0), 0)
    .option('--stories <n>', 'number of stories', intOption('stories', 1), 2000)
    .option(...versionOption)
    .option('--json', 'machine-readable output')
    .action((opts: { seed: number; stories: number; version: string; json?: boolean }) => {
      const version = versionOf(opts.version);
      const stats = corpusStats(generateStories(opts.seed, opts.stories, version), version);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ version, seed: opts.seed, ...stats }, null, 2) + '\n');
        return;
      }
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      const c = stats.cues;
      const out: string[] = [
        `corpus v${version}, seed ${opts.seed}: ${stats.stories} stories, ${stats.sentences} sentences, ${stats.tokens} tokens (${stats.meanSentenceLength.toFixed(2)} per sentence)`,
        'structures (share of sentences):',
        ...STRUCTURES.map((k) => `  ${k.padEnd(13)} ${String(stats.structures[k]).padStart(8)}  ${pct(stats.structures[k] / Math.max(1, stats.sentences)).padStart(6)}`),
        'IOI cues:',
        `  same-gender share of IOI sentences        ${pct(c.ioi_same_gender_share)}`,
        `  same-gender IOI pronoun refers to name1   ${pct(c.ioi_same_gender_pronoun_is_name1)} (else a third person of the other gender)`,
        `  name1 position in IOI sentences           ${Object.entries(c.name1_positions).map(([i, n]) => `word ${i}: ${n}`).join(', ') || '—'}`,
        `  "{name} {verb} him|her" agreeing with name ${pct(c.object_after_name_verb.agrees_with_subject)} of ${c.object_after_name_verb.count}`,
        `  "{name} {verb} himself|herself"           ${c.reflexive_after_name_verb}`,
        `  possessive "{name} {verb} her {noun}"     ${c.possessive_her_after_name_verb}`,
        `vocabulary: ${vocabFor(version).length} tokens; ${stats.vocab.used} of ${stats.vocab.size} non-special tokens used (${pct(stats.vocab.coverage)})` +
          (stats.vocab.unused.length ? `; unused: ${stats.vocab.unused.join(' ')}` : ''),
      ];
      process.stdout.write(out.join('\n') + '\n');
    });

  corpus
    .command('sample')
    .description('print a few generated stories')
    .option('--n <n>', 'number of stories', intOption('n', 1), 5)
    .option('--seed <n>', 'corpus seed', intOption('seed', 0), 0)
    .option(...versionOption)
    .action((opts: { n: number; seed: number; version: string }) => {
      for (const story of generateStories(opts.seed, opts.n, versionOf(opts.version))) process.stdout.write(storyText(story) + '\n\n');
    });

  corpus
    .command('vocab')
    .description('write the vocabulary ({version, size, tokens}) as JSON')
    .option('--out <path>', 'output file', 'data/vocab.json')
    .option(...versionOption)
    .action((opts: { out: string; version: string }) => {
      const version = versionOf(opts.version);
      writeVocabFile(opts.out, version);
      process.stdout.write(`wrote ${opts.out} (${vocabFor(version).length} tokens, corpus v${version})\n`);
    });
}
