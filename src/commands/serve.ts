// `faithbench serve`: build the site, then serve it with the JSON API and submissions.
import type { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { createServer } from '../site/server.ts';
import { loadChecks } from '../suite/checks/registry.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the site, GET /api/leaderboard, /api/runs, /api/runs/:id and POST /api/submissions')
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <addr>', 'address to bind (0.0.0.0 to expose beyond this machine)', '127.0.0.1')
    .option('--results <dir>', 'results folder (submissions are stored under <dir>/submissions/)', 'results')
    .option('--site <dir>', 'folder the site is built into and served from', 'site-out')
    .action(async (opts: { port: string; host: string; results: string; site: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be an integer 0–65535, not ${opts.port}`);
      const checkDescriptions = Object.fromEntries((await loadChecks()).map((c) => [c.id, c.description]));
      const app = await createServer({ resultsDir: opts.results, siteDir: opts.site, checkDescriptions, log: (line) => process.stderr.write(`faithbench: ${line}\n`) });
      const url = await app.listen({ port, host: opts.host });
      process.stdout.write(`serving ${opts.site} and results from ${opts.results} at ${url}\n`);
      const stop = () => void app.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
