// `faithbench leaderboard`: the aggregated table in the terminal, or as JSON.
import type { Command } from 'commander';
import { aggregate } from '../results/aggregate.ts';
import type { Interval, Leaderboard } from '../results/schema.ts';
import { loadRequired, skippedReport } from '../results/load.ts';
import { badCircuitMarkdown, badCircuitShares, findings, findingsMarkdown, sizeCorrelation } from '../results/findings.ts';

const iv = (x: Interval | null | undefined, digits = 3) => (x ? `${x.mean.toFixed(digits)}${x.lo !== null && x.hi !== null ? ` [${x.lo.toFixed(digits)},${x.hi.toFixed(digits)}]` : ` (n=${x.n})`}` : '—');

export function formatLeaderboard(board: Leaderboard): string {
  const cols = board.columns.filter((c) => c.role !== 'report');
  const header = ['method', 'model', 'overall', ...cols.map((c) => (c.role === 'control' ? `${c.id} (×)` : c.id)), 'n*', 'share', 'runs', 'flagged'];
  const rows = board.rows.map((r) => [
    r.baseline ? `${r.method} (baseline)` : r.method,
    r.model ?? '(all)',
    iv(r.overall),
    ...cols.map((c) => iv(r.checks[c.id])),
    iv(r.size.n_star, 1),
    r.size.fraction ? `${(100 * r.size.fraction.mean).toFixed(1)}%` : '—',
    String(r.n_runs),
    String(r.n_flagged),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The runs of --results: a missing folder or one without a valid run is an error; skipped files are listed. */
function readResults(dir: string) {
  const loaded = loadRequired(dir);
  for (const line of skippedReport(loaded, dir)) process.stderr.write(`faithbench: ${line}\n`);
  return loaded;
}

export function register(program: Command): void {
  program
    .command('leaderboard')
    .description('print the leaderboard: overall faithfulness (mean of the lifted checks × the nonsense control) and each check with bootstrap 95% intervals over seeds, size beside')
    .option('--json', 'print the Leaderboard object as JSON')
    .option('--results <dir>', 'results folder to read', 'results')
    .action((opts: { json?: boolean; results: string }) => {
      const loaded = readResults(opts.results);
      const board = aggregate(loaded.runs.map((l) => l.run));
      process.stdout.write(opts.json ? JSON.stringify(board, null, 2) + '\n' : formatLeaderboard(board));
    });

  program
    .command('findings')
    .description('the figures behind the seed\'s findings (circuit sizes, nonsense, bad circuits, roles, adversary) per method and model, as markdown or JSON')
    .option('--json', 'machine-readable output')
    .option('--results <dir>', 'results folder to read', 'results')
    .action((opts: { json?: boolean; results: string }) => {
      const loaded = readResults(opts.results);
      const runs = loaded.runs.map((l) => l.run);
      const rows = findings(runs);
      const bad = badCircuitShares(runs);
      process.stdout.write(
        opts.json
          ? JSON.stringify({ rows, size_correlation: sizeCorrelation(runs), bad_circuits: bad }, null, 2) + '\n'
          : findingsMarkdown(rows, runs) + (bad.length ? `\nBad circuits (same-gender P_circ < 0.5 among verified circuits):\n\n${badCircuitMarkdown(bad)}` : ''),
      );
    });
}
