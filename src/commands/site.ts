// `faithbench site build`: render the results folder into a static site.
import type { Command } from 'commander';
import { buildSite } from '../site/build.ts';
import { loadChecks } from '../suite/checks/registry.ts';

export function register(program: Command): void {
  const site = program.command('site').description('the static leaderboard site');
  site
    .command('build')
    .description('render results into a static folder (relative links: works from any static host)')
    .option('--results <dir>', 'results folder to read', 'results')
    .option('--out <dir>', 'folder to write (replaced only if empty or built before)', 'site-out')
    .action(async (opts: { results: string; out: string }) => {
      const checkDescriptions = Object.fromEntries((await loadChecks()).map((c) => [c.id, c.description]));
      const report = await buildSite({ resultsDir: opts.results, outDir: opts.out, checkDescriptions });
      for (const p of report.problems) process.stderr.write(`faithbench: ${p}\n`);
      const what = report.runs ? `${report.runs} runs` : 'no results yet';
      process.stdout.write(`site: ${report.pages} pages from ${what} in ${opts.results} → ${opts.out}/index.html\n`);
    });
}
