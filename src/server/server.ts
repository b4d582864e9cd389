// `faithbench serve`: the static site, a read-only JSON API, and submissions.
//
// A submission is data, never code: circuits (node ids, rankings, an ablation) and a card. The
// request handler only validates it (schema, then against the server's own zoo) and queues it;
// a bounded worker pool recomputes every check on the server's models and prompts
// (src/suite/recompute.ts), and only then are the recomputed runs stored, under
// results/submissions/sub.<name>/<id>/, and the site rebuilt — debounced, in a worker thread,
// while GETs are answered from the last build. Every refusal is a 4xx/5xx JSON error that
// changes nothing on disk.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Server, ServerOptions as ServerOptionsHttp } from 'node:http';
import Fastify, { type FastifyError, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyCompress from '@fastify/compress';
import { RunIdSchema, formatZodIssue, type Leaderboard } from '../results/schema.ts';
import { SubmissionSchema } from '../results/submission.ts';
import type { SuiteSettings } from '../suite/presets.ts';
import { JsonTooDeep, MAX_JSON_DEPTH, parseJsonBounded } from '../util/json.ts';
import { RecomputePool, Refusal, SubmissionQueue, type QueueLimits } from './queue.ts';
import { SiteRebuilder } from './rebuild.ts';
import type { SiteState } from './site-worker.ts';

export interface ServerOptions {
  resultsDir: string;
  siteDir: string;
  /** the suite settings submitted circuits are judged with (a preset's) */
  settings: SuiteSettings;
  /** what each check is, by id (passed through to the site build) */
  checkDescriptions?: Readonly<Record<string, string>>;
  /** Largest accepted submission body in bytes. */
  bodyLimit?: number;
  /** Accepted submissions per client (IP) per window; refused requests do not count. */
  rateLimit?: { max: number; windowMs: number };
  limits?: Partial<QueueLimits>;
  /** quiet time after a stored submission before the site is rebuilt */
  rebuildDebounceMs?: number;
  timeouts?: Partial<Timeouts>;
  /** Fastify's trustProxy: false (default), true, a hop count, or addresses/CIDRs of trusted proxies. */
  trustProxy?: boolean | string | string[];
  maxJsonDepth?: number;
  logger?: boolean;
  /** Report a line (skipped results files, rebuild failures); defaults to stderr. */
  log?: (line: string) => void;
}

export interface Timeouts {
  /** whole request, headers and body (slow bodies are cut off) */
  requestMs: number;
  /** headers alone */
  headersMs: number;
  /** an idle socket */
  connectionMs: number;
  keepAliveMs: number;
}

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT = { max: 10, windowMs: 10 * 60_000 };
export const DEFAULT_LIMITS: QueueLimits = { threads: 1, maxQueuedRuns: 256, maxStoredRuns: 20_000, maxStoredBytes: 2 * 1024 ** 3 };
export const DEFAULT_TIMEOUTS: Timeouts = { requestMs: 30_000, headersMs: 10_000, connectionMs: 60_000, keepAliveMs: 5_000 };

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
  error: { code: string; message: string; path?: string } & Record<string, unknown>;
}

const apiError = (code: string, message: string, extra: Record<string, unknown> = {}): ApiError => ({ error: { code, message, ...extra } });

/** Accepted work per client in a sliding window; only what was taken counts. */
class AcceptedWorkLimit {
  private readonly taken = new Map<string, number[]>();
  constructor(private readonly max: number, private readonly windowMs: number) {}
  /** ms until this client may submit again, or 0 */
  wait(client: string, now = Date.now()): number {
    const times = (this.taken.get(client) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length) this.taken.set(client, times);
    else this.taken.delete(client);
    return times.length < this.max ? 0 : times[0] + this.windowMs - now;
  }
  record(client: string, now = Date.now()): void {
    this.taken.set(client, [...(this.taken.get(client) ?? []), now]);
  }
}

export interface SubmissionServer extends FastifyInstance {
  /** resolves when no submission is queued or recomputing and no rebuild is pending (tests) */
  settled(): Promise<void>;
}

export async function createServer(opts: ServerOptions): Promise<SubmissionServer> {
  const resultsDir = resolve(opts.resultsDir);
  const siteDir = resolve(opts.siteDir);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const maxDepth = opts.maxJsonDepth ?? MAX_JSON_DEPTH;
  const limits: QueueLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const rl = opts.rateLimit ?? DEFAULT_RATE_LIMIT;
  const accepted = new AcceptedWorkLimit(rl.max, rl.windowMs);

  let state: SiteState | undefined;
  const rebuilder = new SiteRebuilder(
    { resultsDir, siteDir, checkDescriptions: opts.checkDescriptions ? { ...opts.checkDescriptions } : undefined },
    opts.rebuildDebounceMs ?? 2000,
    (s) => {
      state = s;
      for (const p of s.problems) log(p);
    },
    log,
    () => queue?.busy ?? false,
  );
  const pool = new RecomputePool(limits.threads);
  let queue: SubmissionQueue | undefined;
  try {
    await rebuilder.buildNow();
    queue = new SubmissionQueue(resultsDir, await pool.describe(), pool, opts.settings, limits, () => rebuilder.schedule(), log);
  } catch (err) {
    await Promise.allSettled([rebuilder.close(), pool.close()]);
    throw err;
  }
  const current = () => state!;

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1024 * 1024,
    trustProxy: opts.trustProxy ?? false,
    connectionTimeout: timeouts.connectionMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // passed to http.createServer: node enforces requestTimeout/headersTimeout on this interval (30 s by default)
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: Math.max(100, Math.min(1000, timeouts.requestMs / 4)) } as ServerOptionsHttp,
  } as FastifyHttpOptions<Server>);
  const ready = app as unknown as SubmissionServer;
  ready.settled = async () => {
    await queue.idle();
    await rebuilder.idle();
  };
  app.addHook('onClose', async () => {
    await Promise.allSettled([queue.close(), rebuilder.close()]);
  });

  // Submissions are JSON only; any other body type is refused with 415 before it is read. The depth
  // is checked on the text, without recursion, before anything parses it into objects.
  app.removeAllContentTypeParsers();
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      parseJsonBounded(body as string, maxDepth);
    } catch (err) {
      if (err instanceof JsonTooDeep) return done(Object.assign(new Error(err.message), { statusCode: 400, code: 'too_deep' }), undefined);
      // not JSON at all: the default parser names the problem
    }
    jsonParser(req, body as string, done);
  });

  await app.register(fastifyCompress, { global: true, threshold: 1024, encodings: ['br', 'gzip', 'deflate'] });

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
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(apiError('too_large', `submission body exceeds ${bodyLimit} bytes`));
    return reply.code(status).send(apiError(err.code ?? 'bad_request', err.message));
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return reply.code(404).send(apiError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
    return reply.code(404).type('text/plain; charset=utf-8').send('not found');
  });

  await app.register(fastifyStatic, { root: siteDir, prefix: '/', index: ['index.html'], dotfiles: 'deny' });

  app.get('/api/leaderboard', async (): Promise<Leaderboard> => current().board);

  app.get('/api/runs', async () => ({ runs: current().runs }));

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req, reply) => {
    if (!RunIdSchema.safeParse(req.params.id).success) {
      return reply.code(400).send(apiError('bad_run_id', 'run id must be 16 lowercase hex digits', { path: 'id' }));
    }
    const file = current().files[req.params.id];
    if (!file) return reply.code(404).send(apiError('not_found', `no run ${req.params.id}`));
    // the file was validated when the state was built; it is read per request, not held in memory
    const text = await readFile(join(resultsDir, file), 'utf8').catch(() => null);
    if (text === null) return reply.code(404).send(apiError('not_found', `no run ${req.params.id}`));
    return reply.type('application/json; charset=utf-8').send(text);
  });

  app.get('/api/queue', async () => queue.counts);

  app.get<{ Params: { id: string } }>('/api/submissions/:id', async (req, reply) => {
    if (!/^[0-9a-f]{16}$/.test(req.params.id)) return reply.code(400).send(apiError('bad_submission_id', 'submission id must be 16 lowercase hex digits', { path: 'id' }));
    const s = queue.status(req.params.id);
    if (!s) return reply.code(404).send(apiError('not_found', `no submission ${req.params.id}`));
    return s;
  });

  app.post('/api/submissions', { bodyLimit }, async (req, reply) => {
    const parsed = SubmissionSchema.safeParse(req.body);
    if (!parsed.success) {
      const f = formatZodIssue(parsed.error);
      return reply.code(400).send(apiError('invalid', f.line, { path: f.path }));
    }
    const wait = accepted.wait(req.ip);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      return reply.code(429).header('Retry-After', String(s)).send(apiError('rate_limited', `at most ${rl.max} accepted submissions per client in ${Math.round(rl.windowMs / 1000)} s; retry in ${s} s`));
    }
    try {
      const status = queue.submit(parsed.data);
      accepted.record(req.ip);
      return reply.code(202).header('Location', `/api/submissions/${status.id}`).send(status);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      if (err.status === 503) reply.header('Retry-After', '60');
      return reply.code(err.status).send(apiError(err.code, err.message, err.extra));
    }
  });

  return ready;
}
