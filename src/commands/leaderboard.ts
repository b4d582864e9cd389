// `faithbench leaderboard`: the aggregated table in the terminal, or as JSON.
import type { Command } from 'commander';
import { aggregate } from '../benchmarks/aggregate.ts';
import { SCORED_CHECKS, type Interval, type Leaderboard } from '../benchmarks/results-schema.ts';
import { loadResults } from '../site/load.ts';
import { findings, findingsMarkdown } from '../benchmarks/findings.ts';

const iv = (x: Interval | null, digits = 3) => (x ? `${x.mean.toFixed(digits)}${x.n > 1 ? ` [${x.lo.toFixed(digits)},${x.hi.toFixed(digits)}]` : ''}` : '—');

export function formatLeaderboard(board: Leaderboard): string {
  const header = ['method', 'model', 'overall', ...SCORED_CHECKS, 'n*', 'runs'];
  const rows = board.rows.map((r) => [
    r.method,
    r.model ?? '(all)',
    iv(r.overall),
    ...SCORED_CHECKS.map((c) => iv(r.checks[c])),
    iv(r.size.n_star, 1),
    String(r.n_runs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('leaderboard')
    .description('print the leaderboard: overall faithfulness (mean of checks 2–5) and each check with bootstrap 95% intervals over seeds, size beside')
    .option('--json', 'print the Leaderboard object as JSON')
    .option('--results <dir>', 'results folder to read', 'results')
    .action((opts: { json?: boolean; results: string }) => {
      const loaded = loadResults(opts.results);
      for (const p of loaded.problems) process.stderr.write(`faithbench: ${p}\n`);
      const board = aggregate(loaded.runs.map((l) => l.run));
      if (opts.json) process.stdout.write(JSON.stringify(board, null, 2) + '\n');
      else if (!board.rows.length) process.stdout.write(`no results yet in ${opts.results}\n`);
      else process.stdout.write(formatLeaderboard(board));
    });

  program
    .command('findings')
    .description('the figures behind the seed\'s findings (circuit sizes, nonsense, bad circuits, roles, adversary) per method and model, as markdown or JSON')
    .option('--json', 'machine-readable output')
    .option('--results <dir>', 'results folder to read', 'results')
    .action((opts: { json?: boolean; results: string }) => {
      const loaded = loadResults(opts.results);
      for (const p of loaded.problems) process.stderr.write(`faithbench: ${p}\n`);
      const rows = findings(loaded.runs.map((l) => l.run));
      process.stdout.write(opts.json ? JSON.stringify(rows, null, 2) + '\n' : findingsMarkdown(rows));
    });
}
