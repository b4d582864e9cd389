// `faithbench serve`: build the site, then serve it with the JSON API and submissions.
import type { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { createServer, DEFAULT_LIMITS } from '../server/server.ts';
import { loadChecks } from '../suite/checks/registry.ts';
import { PRESETS } from '../suite/presets.ts';

const int = (flag: string, text: string, min: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} must be an integer ≥ ${min}, not ${JSON.stringify(text)}`);
  return n;
};

/** --trust-proxy: false, true, or comma-separated addresses/CIDRs of the proxies in front. */
function trustProxy(text: string): boolean | string[] {
  if (text === 'false') return false;
  if (text === 'true') return true;
  const list = text.split(',').map((s) => s.trim());
  if (list.some((s) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s) && !['loopback', 'linklocal', 'uniquelocal'].includes(s))) {
    throw new UserError(`--trust-proxy must be false, true, or addresses/CIDRs separated by commas (e.g. 127.0.0.1,10.0.0.0/8), not ${JSON.stringify(text)}`);
  }
  return list;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the site, GET /api/leaderboard, /api/runs, /api/runs/:id, /api/submissions/:id and POST /api/submissions')
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <addr>', 'address to bind (0.0.0.0 to expose beyond this machine)', '127.0.0.1')
    .option('--results <dir>', 'results folder (submissions are stored under <dir>/submissions/)', 'results')
    .option('--site <dir>', 'folder the site is built into and served from', 'site-out')
    .option('--preset <name>', `suite settings submitted circuits are judged with (${Object.keys(PRESETS).join(', ')})`, 'standard')
    .option('--threads <n>', 'recompute worker threads (one tfjs backend each)', String(DEFAULT_LIMITS.threads))
    .option('--max-queued-runs <n>', 'runs waiting to be recomputed before submissions get 503', String(DEFAULT_LIMITS.maxQueuedRuns))
    .option('--max-stored-runs <n>', 'submitted runs stored before submissions get 507', String(DEFAULT_LIMITS.maxStoredRuns))
    .option('--max-stored-mb <n>', 'MiB under <results>/submissions/ before submissions get 507', String(DEFAULT_LIMITS.maxStoredBytes / 1024 ** 2))
    .option('--trust-proxy <list>', 'false, true, or the addresses/CIDRs of trusted reverse proxies (client addresses for rate limiting come from X-Forwarded-For only through them)', 'false')
    .action(async (opts: { port: string; host: string; results: string; site: string; preset: string; threads: string; maxQueuedRuns: string; maxStoredRuns: string; maxStoredMb: string; trustProxy: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be an integer 0–65535, not ${opts.port}`);
      const preset = PRESETS[opts.preset];
      if (!preset) throw new UserError(`unknown preset "${opts.preset}": expected one of ${Object.keys(PRESETS).join(', ')}`);
      const limits = {
        threads: int('--threads', opts.threads, 1),
        maxQueuedRuns: int('--max-queued-runs', opts.maxQueuedRuns, 1),
        maxStoredRuns: int('--max-stored-runs', opts.maxStoredRuns, 0),
        maxStoredBytes: int('--max-stored-mb', opts.maxStoredMb, 0) * 1024 ** 2,
      };
      const checkDescriptions = Object.fromEntries((await loadChecks()).map((c) => [c.id, c.description]));
      const app = await createServer({
        resultsDir: opts.results,
        siteDir: opts.site,
        settings: preset.settings,
        limits,
        trustProxy: trustProxy(opts.trustProxy),
        checkDescriptions,
        log: (line) => process.stderr.write(`faithbench: ${line}\n`),
      });
      const url = await app.listen({ port, host: opts.host });
      process.stdout.write(`serving ${opts.site} and results from ${opts.results} at ${url} (submissions judged with preset ${opts.preset}, ${limits.threads} recompute thread(s))\n`);
      const stop = () => void app.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
