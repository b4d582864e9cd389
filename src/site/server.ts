// `faithbench serve`: the static site, a read-only JSON API, and result submissions.
//
// A submission is data, never code: the bundle is parsed as JSON, validated against the schema,
// verified for internal consistency (src/site/submit.ts), checked for duplicates, and only then
// written, atomically, under results/submissions/<method-id>/. Nothing submitted is executed,
// imported or used as a path beyond that one validated folder name. Every rejection is a 4xx JSON
// error that changes nothing on disk.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep, relative } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import rateLimit from '@fastify/rate-limit';
import { aggregate } from '../results/aggregate.ts';
import { RunIdSchema, type Leaderboard, type SubmissionBundle } from '../results/schema.ts';
import { buildSite, runSummary } from './build.ts';
import { CARD_FILE, SUBMISSIONS_DIR, loadResults, type LoadedResults } from './load.ts';
import { verifyBundle } from './submit.ts';

export interface ServerOptions {
  resultsDir: string;
  /** what each check is, by id (passed through to the site build) */
  checkDescriptions?: Readonly<Record<string, string>>;
  siteDir: string;
  /** Largest accepted submission body in bytes. */
  bodyLimit?: number;
  /** Submissions per client (IP) per time window. */
  rateLimit?: { max: number; timeWindow: number | string };
  logger?: boolean;
  /** Report a line (skipped results files, rebuild failures); defaults to stderr. */
  log?: (line: string) => void;
}

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT = { max: 10, timeWindow: '10 minutes' };

/** Pages are static and self-contained: scripts, styles and images come from this origin only. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface ApiError {
  error: { code: string; message: string; path?: string; run_ids?: string[] };
}

const apiError = (code: string, message: string, extra: Partial<ApiError['error']> = {}): ApiError => ({ error: { code, message, ...extra } });

/** Runs one task at a time: submissions read-check-write the results folder and rebuild the site. */
function serializer() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  const resultsDir = resolve(opts.resultsDir);
  const siteDir = resolve(opts.siteDir);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const exclusive = serializer();

  let state: { loaded: LoadedResults; board: Leaderboard };
  const reload = () => {
    const loaded = loadResults(resultsDir);
    state = { loaded, board: aggregate(loaded.runs.map((l) => l.run)) };
    return loaded;
  };
  const rebuild = async () => {
    const report = await buildSite({ resultsDir, outDir: siteDir, checkDescriptions: opts.checkDescriptions });
    for (const p of report.problems) log(p);
  };
  reload();
  await rebuild();

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 1024 * 1024 });
  // Submissions are JSON only; any other body type is refused with 415 before it is read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    return payload;
  });

  // One JSON shape for every error; server faults say nothing about internals.
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) {
      log(`server error: ${err.message}`);
      return reply.code(500).send(apiError('internal', 'internal server error'));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(apiError('too_large', `submission body exceeds ${bodyLimit} bytes`));
    }
    if (status === 429) return reply.code(429).send(apiError('rate_limited', err.message));
    return reply.code(status).send(apiError(err.code ?? 'bad_request', err.message));
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send(apiError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
    return reply.code(404).type('text/plain; charset=utf-8').send('not found');
  });

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, code: 'rate_limited', error: 'Too Many Requests', message: `too many submissions; retry in ${ctx.after}` }),
  });

  await app.register(fastifyStatic, { root: siteDir, prefix: '/', index: ['index.html'], dotfiles: 'deny' });

  app.get('/api/leaderboard', async () => state.board);

  app.get('/api/runs', async () => ({ runs: state.loaded.runs.map(runSummary) }));

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req, reply) => {
    if (!RunIdSchema.safeParse(req.params.id).success) {
      return reply.code(400).send(apiError('bad_run_id', 'run id must be 16 lowercase hex digits', { path: 'id' }));
    }
    const found = state.loaded.runs.find((l) => l.run.run_id === req.params.id);
    if (!found) return reply.code(404).send(apiError('not_found', `no run ${req.params.id}`));
    return found.run;
  });

  const rl = opts.rateLimit ?? DEFAULT_RATE_LIMIT;
  app.post('/api/submissions', { bodyLimit, config: { rateLimit: { max: rl.max, timeWindow: rl.timeWindow } } }, async (req, reply) => {
    // a submitted check must declare the role the stored results give it (checks are data)
    const verdict = verifyBundle(req.body, { columns: state.board.columns });
    if (!verdict.ok) {
      const status = verdict.kind === 'schema' ? 400 : 422;
      return reply.code(status).send(apiError(verdict.kind === 'schema' ? 'invalid' : 'inconsistent', verdict.error, { path: verdict.path }));
    }
    const bundle = verdict.value;
    return exclusive(async () => {
      // Re-read the folder: another process (the suite) may have added runs since the last load.
      const loaded = reload();
      const have = new Set(loaded.runs.map((l) => l.run.run_id));
      const dups = bundle.results.map((r) => r.run_id).filter((id) => have.has(id));
      if (dups.length) {
        return reply.code(409).send(apiError('duplicate', `${dups.length} of the submitted runs are already stored`, { run_ids: dups }));
      }
      const stored = storeSubmission(resultsDir, bundle);
      reload();
      let siteRebuilt = true;
      try {
        await rebuild();
      } catch (err) {
        siteRebuilt = false;
        log(`site rebuild after submission failed: ${(err as Error).message}`);
      }
      return reply.code(201).send({ stored, run_ids: bundle.results.map((r) => r.run_id), site_rebuilt: siteRebuilt });
    });
  });

  return app;
}

/**
 * Writes the bundle's card and runs into a hidden temporary folder and renames it into place,
 * so readers see all of a submission or none of it. The folder name is the method id, which the
 * schema restricts to [a-z0-9._-] starting with a letter or digit; the containment check below is
 * a second guard, so that no name can ever escape results/submissions/.
 */
export function storeSubmission(resultsDir: string, bundle: SubmissionBundle): string {
  const base = resolve(resultsDir, SUBMISSIONS_DIR);
  const methodDir = resolve(base, bundle.method.id);
  if (!methodDir.startsWith(base + sep) || relative(base, methodDir).includes(sep)) {
    throw Object.assign(new Error(`method id ${JSON.stringify(bundle.method.id)} is not a safe folder name`), { statusCode: 400 });
  }
  const ids = bundle.results.map((r) => r.run_id).sort();
  const subId = createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 12);
  const final = join(methodDir, subId);
  if (existsSync(final)) throw Object.assign(new Error(`submission ${subId} is already stored`), { statusCode: 409 });
  const tmp = join(methodDir, `.tmp-${randomBytes(6).toString('hex')}`);
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, CARD_FILE), JSON.stringify(bundle.method, null, 2) + '\n');
    for (const r of bundle.results) writeFileSync(join(tmp, `${r.run_id}.json`), JSON.stringify(r, null, 2) + '\n');
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return relative(resultsDir, final).split(sep).join('/');
}
