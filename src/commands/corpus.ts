// `faithbench corpus stats|sample|vocab`: inspect the built-in story corpus and write its vocabulary.
import { InvalidArgumentError, type Command } from 'commander';
import { CORPUS_VERSION, STRUCTURES, VOCAB_SIZE, corpusStats, generateStories, storyText, writeVocabFile } from '../corpus/index.ts';

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
    .option('--json', 'machine-readable output')
    .action((opts: { seed: number; stories: number; json?: boolean }) => {
      const stats = corpusStats(generateStories(opts.seed, opts.stories));
      if (opts.json) {
        process.stdout.write(JSON.stringify({ version: CORPUS_VERSION, seed: opts.seed, ...stats }, null, 2) + '\n');
        return;
      }
      const out: string[] = [
        `corpus v${CORPUS_VERSION}, seed ${opts.seed}: ${stats.stories} stories, ${stats.sentences} sentences, ${stats.tokens} tokens (${stats.meanSentenceLength.toFixed(2)} per sentence)`,
        'structures:',
        ...STRUCTURES.map((k) => `  ${k.padEnd(13)} ${String(stats.structures[k]).padStart(8)}  ${((100 * stats.structures[k]) / Math.max(1, stats.sentences)).toFixed(1).padStart(5)}%`),
        `vocabulary: ${VOCAB_SIZE} tokens; ${stats.vocab.used} of ${stats.vocab.size} non-special tokens used (${(100 * stats.vocab.coverage).toFixed(1)}%)` +
          (stats.vocab.unused.length ? `; unused: ${stats.vocab.unused.join(' ')}` : ''),
      ];
      process.stdout.write(out.join('\n') + '\n');
    });

  corpus
    .command('sample')
    .description('print a few generated stories')
    .option('--n <n>', 'number of stories', intOption('n', 1), 5)
    .option('--seed <n>', 'corpus seed', intOption('seed', 0), 0)
    .action((opts: { n: number; seed: number }) => {
      for (const story of generateStories(opts.seed, opts.n)) process.stdout.write(storyText(story) + '\n\n');
    });

  corpus
    .command('vocab')
    .description('write the vocabulary ({version, size, tokens}) as JSON')
    .option('--out <path>', 'output file', 'data/vocab.json')
    .action((opts: { out: string }) => {
      writeVocabFile(opts.out);
      process.stdout.write(`wrote ${opts.out} (${VOCAB_SIZE} tokens, corpus v${CORPUS_VERSION})\n`);
    });
}
