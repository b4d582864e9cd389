// `faithbench site build`: render the results folder into a static site.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { buildSite } from '../site/build.ts';
import { loadChecks } from '../suite/checks/registry.ts';
import { loadResults, requireResultsDir, skippedReport } from '../results/load.ts';
import { UserError } from '../util/errors.ts';

export function register(program: Command): void {
  const site = program.command('site').description('the static leaderboard site');
  site
    .command('build')
    .description('render results into a static folder (relative links: works from any static host)')
    .option('--results <dir>', 'results folder to read', 'results')
    .option('--out <dir>', 'folder to write (replaced only if empty or built before)', 'site-out')
    .option('--allow-empty', 'build even when the results hold no valid run (replacing a built site with an empty one)')
    .action(async (opts: { results: string; out: string; allowEmpty?: boolean }) => {
      // a typo in --results must not replace a built site with an empty one
      requireResultsDir(opts.results);
      const loaded = loadResults(opts.results);
      for (const line of skippedReport(loaded, opts.results)) process.stderr.write(`faithbench: ${line}\n`);
      if (loaded.runs.length === 0 && !opts.allowEmpty) {
        throw new UserError(`--results ${opts.results}: no valid run results${loaded.skipped.length ? ` (${loaded.skipped.length} skipped)` : ''}; ${existsSync(opts.out) ? `${opts.out} was left as it is` : 'nothing was built'} (--allow-empty builds an empty site)`);
      }
      const checkDescriptions = Object.fromEntries((await loadChecks()).map((c) => [c.id, c.description]));
      const report = await buildSite({ resultsDir: opts.results, outDir: opts.out, checkDescriptions });
      const said = new Set(loaded.problems);
      for (const p of report.problems) if (!said.has(p)) process.stderr.write(`faithbench: ${p}\n`);
      const what = report.runs ? `${report.runs} runs` : 'no results yet';
      process.stdout.write(`site: ${report.pages} pages from ${what} in ${opts.results} → ${opts.out}/index.html\n`);
    });
}
