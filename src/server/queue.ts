// The submission queue: accepted submissions wait here (persisted, so a restart loses none), their
// runs are recomputed on a bounded worker pool (the request handler only enqueues), and a finished
// submission is stored atomically with a report of every claimed figure the recomputation
// contradicts. Nothing submitted is stored until every one of its runs has been recomputed.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, createHash } from 'node:crypto';
import { Piscina } from 'piscina';
import { z } from 'zod';
import { canonicalJson, type RunResult } from '../results/schema.ts';
import {
  SubmissionSchema,
  checkSubmission,
  compareClaims,
  runKey,
  storedCard,
  submittedMethodId,
  type Submission,
  type SubmissionContext,
} from '../results/submission.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { CARD_FILE, SUBMISSIONS_DIR } from '../site/load.ts';
import type { SuiteSettings } from '../suite/presets.ts';

const QUEUE_DIR = '.queue';
/** Per stored submission, beside its runs; hidden, so result readers skip it. */
export const REPORT_FILE = '.report.json';

export const ReportSchema = z.strictObject({
  id: z.string(),
  method: z.string(),
  keys: z.array(z.string()),
  run_ids: z.array(z.string()),
  /** `path: claimed X, recomputed Y`, one line per contradicted claim */
  disagreements: z.array(z.string()),
  flagged: z.number().int(),
  bytes: z.number().int(),
  accepted: z.string(),
  stored: z.string(),
});
export type Report = z.infer<typeof ReportSchema>;

export type SubmissionStatus =
  | { id: string; method: string; state: 'queued' | 'running'; runs: number; done: number }
  | { id: string; method: string; state: 'stored'; runs: number; done: number; stored: string; run_ids: string[]; flagged: number; disagreements: string[] }
  | { id: string; method: string; state: 'failed'; runs: number; done: number; error: string };

export interface QueueLimits {
  /** recompute threads (each one tfjs backend) */
  threads: number;
  /** runs waiting or being recomputed, over all submissions */
  maxQueuedRuns: number;
  /** submitted runs stored, plus those queued */
  maxStoredRuns: number;
  /** bytes under results/submissions/ */
  maxStoredBytes: number;
}

/** Why a submission is not taken: the HTTP status and a JSON error. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The recompute pool: piscina threads running src/suite/recompute-entry.mjs (the server imports no suite code). */
export class RecomputePool {
  private readonly pool: Piscina;
  constructor(threads: number) {
    this.pool = new Piscina({
      filename: fileURLToPath(new URL('../suite/recompute-entry.mjs', import.meta.url)),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 5 * 60_000,
      env: { ...process.env },
    });
  }
  describe(): Promise<SubmissionContext> {
    return this.pool.run(undefined, { name: 'describe' }) as Promise<SubmissionContext>;
  }
  recompute(job: { submission: Pick<Submission, 'method'>; run: Submission['runs'][number]; settings: SuiteSettings }): Promise<unknown> {
    return this.pool.run(job, { name: 'recompute' });
  }
  close(): Promise<void> {
    return this.pool.destroy();
  }
}

interface Pending {
  id: string;
  sub: Submission;
  accepted: string;
  done: RunResult[];
  state: 'queued' | 'running';
}

function dirBytes(dir: string): number {
  let n = 0;
  if (!existsSync(dir)) return 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) n += dirBytes(p);
    else if (st.isFile()) n += st.size;
  }
  return n;
}

export class SubmissionQueue {
  private readonly base: string;
  private readonly queueDir: string;
  private readonly pending: Pending[] = [];
  private readonly statuses = new Map<string, SubmissionStatus>();
  /** method id → run keys stored or queued (one run per model/task/seed per method) */
  private readonly keys = new Map<string, Set<string>>();
  private storedRuns = 0;
  private storedBytes = 0;
  private queuedRuns = 0;
  private active = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    resultsDir: string,
    private readonly ctx: SubmissionContext,
    private readonly pool: RecomputePool,
    private readonly settings: SuiteSettings,
    private readonly limits: QueueLimits,
    private readonly onStored: () => void,
    private readonly log: (line: string) => void,
  ) {
    this.base = resolve(resultsDir, SUBMISSIONS_DIR);
    this.queueDir = join(this.base, QUEUE_DIR);
    this.scanStored();
    this.resume();
  }

  get context(): SubmissionContext {
    return this.ctx;
  }

  /** Stored submissions: their reports give the run keys, counts and bytes (no run file is read). */
  private scanStored(): void {
    if (!existsSync(this.base)) return;
    this.storedBytes = dirBytes(this.base);
    for (const m of readdirSync(this.base)) {
      if (m.startsWith('.') || !lstatSync(join(this.base, m)).isDirectory()) continue;
      for (const s of readdirSync(join(this.base, m))) {
        const file = join(this.base, m, s, REPORT_FILE);
        if (!existsSync(file)) continue;
        const parsed = ReportSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
        if (!parsed.success) {
          this.log(`skipping ${relative(this.base, file)}: not a submission report`);
          continue;
        }
        const r = parsed.data;
        this.storedRuns += r.run_ids.length;
        this.claim(r.method, r.keys);
        this.statuses.set(r.id, { id: r.id, method: r.method, state: 'stored', runs: r.run_ids.length, done: r.run_ids.length, stored: `${SUBMISSIONS_DIR}/${m}/${s}`, run_ids: r.run_ids, flagged: r.flagged, disagreements: r.disagreements });
      }
    }
  }

  /** Submissions accepted before a restart are recomputed again (their partial work is lost, nothing else). */
  private resume(): void {
    if (!existsSync(this.queueDir)) return;
    for (const name of readdirSync(this.queueDir).filter((n) => /^[0-9a-f]{16}\.json$/.test(n)).sort()) {
      const file = join(this.queueDir, name);
      try {
        const saved = z.object({ accepted: z.string(), submission: SubmissionSchema }).parse(JSON.parse(readFileSync(file, 'utf8')));
        const problem = checkSubmission(saved.submission, this.ctx);
        if (problem) throw new Error(`${problem.path}: ${problem.message}`);
        this.enqueue(name.slice(0, 16), saved.submission, saved.accepted);
      } catch (err) {
        this.log(`dropping queued submission ${name}: ${(err as Error).message}`);
        rmSync(file, { force: true });
      }
    }
  }

  private claim(method: string, keys: readonly string[]): void {
    let set = this.keys.get(method);
    if (!set) this.keys.set(method, (set = new Set()));
    for (const k of keys) set.add(k);
  }

  status(id: string): SubmissionStatus | undefined {
    return this.statuses.get(id);
  }

  /** true while runs are queued or recomputing */
  get busy(): boolean {
    return this.active > 0 || this.pending.length > 0;
  }

  get counts() {
    return { queued_runs: this.queuedRuns, stored_runs: this.storedRuns, stored_bytes: this.storedBytes, recomputing: this.active };
  }

  /**
   * Take a schema-valid submission, or refuse it: judged against the server's zoo (422), one run
   * per (model, task, seed) per method (409), room in the queue (503) and in storage (507).
   * Nothing is written unless it is taken.
   */
  submit(sub: Submission): SubmissionStatus {
    const problem = checkSubmission(sub, this.ctx);
    if (problem) throw new Refusal(422, 'invalid_submission', `${problem.path}: ${problem.message}`, { path: problem.path });
    const id = createHash('sha256').update(canonicalJson(sub)).digest('hex').slice(0, 16);
    if (this.statuses.has(id)) throw new Refusal(409, 'duplicate', `submission ${id} was already received (GET /api/submissions/${id})`, { id });
    const method = submittedMethodId(sub.method.id);
    const have = this.keys.get(method);
    const taken = sub.runs.map(runKey).filter((k) => have?.has(k));
    if (taken.length) throw new Refusal(409, 'duplicate', `${method} already has ${taken.length} of these runs (one per model, task and seed)`, { runs: taken });
    if (this.queuedRuns + sub.runs.length > this.limits.maxQueuedRuns) {
      throw new Refusal(503, 'queue_full', `the recompute queue holds ${this.queuedRuns} runs (limit ${this.limits.maxQueuedRuns}); retry later`);
    }
    if (this.storedRuns + this.queuedRuns + sub.runs.length > this.limits.maxStoredRuns) {
      throw new Refusal(507, 'storage_full', `the server stores at most ${this.limits.maxStoredRuns} submitted runs (${this.storedRuns} stored, ${this.queuedRuns} queued)`);
    }
    if (this.storedBytes >= this.limits.maxStoredBytes) {
      throw new Refusal(507, 'storage_full', `submissions use ${this.storedBytes} bytes, the limit is ${this.limits.maxStoredBytes}`);
    }
    const accepted = new Date().toISOString();
    writeJsonAtomic(join(this.queueDir, `${id}.json`), { accepted, submission: sub });
    return this.enqueue(id, sub, accepted);
  }

  private enqueue(id: string, sub: Submission, accepted: string): SubmissionStatus {
    const method = submittedMethodId(sub.method.id);
    this.claim(method, sub.runs.map(runKey));
    this.queuedRuns += sub.runs.length;
    this.pending.push({ id, sub, accepted, done: [], state: 'queued' });
    const status: SubmissionStatus = { id, method, state: 'queued', runs: sub.runs.length, done: 0 };
    this.statuses.set(id, status);
    this.pump();
    return status;
  }

  /** One submission at a time, its runs spread over the pool's threads. */
  private pump(): void {
    if (this.closed || this.active > 0) return;
    const next = this.pending.find((p) => p.state === 'queued');
    if (!next) {
      this.idleWaiters.splice(0).forEach((w) => w());
      return;
    }
    next.state = 'running';
    this.active++;
    const method = submittedMethodId(next.sub.method.id);
    const status = () => ({ id: next.id, method, runs: next.sub.runs.length, done: next.done.length });
    this.statuses.set(next.id, { ...status(), state: 'running' });
    void Promise.all(
      next.sub.runs.map(async (run) => {
        // the worker returns a RunResult it validated against the schema (evaluateCircuit); parsing a
        // few hundred KB again here would cost the request path tens of milliseconds per run
        const result = (await this.pool.recompute({ submission: { method: next.sub.method }, run, settings: this.settings })) as RunResult;
        if (result.method.id !== method || result.task !== run.task || result.seed !== run.seed) throw new Error('internal: a recompute answered for another run');
        next.done.push(result);
        this.queuedRuns--;
        this.statuses.set(next.id, { ...status(), state: 'running' });
        return result;
      }),
    )
      .then((results) => this.store(next, results))
      .catch((err: Error) => {
        if (this.closed) return;
        this.log(`recomputing submission ${next.id} failed: ${err.message}`);
        this.queuedRuns -= next.sub.runs.length - next.done.length;
        const set = this.keys.get(method);
        for (const r of next.sub.runs) set?.delete(runKey(r));
        this.statuses.set(next.id, { ...status(), state: 'failed', error: 'the server could not recompute this submission' });
        rmSync(join(this.queueDir, `${next.id}.json`), { force: true });
      })
      .finally(() => {
        this.pending.splice(this.pending.indexOf(next), 1);
        this.active--;
        this.pump();
      });
  }

  /** All runs, the card and the report, written into a hidden folder and renamed into place. */
  private store(p: Pending, results: RunResult[]): void {
    if (this.closed) return;
    const method = submittedMethodId(p.sub.method.id);
    const methodDir = resolve(this.base, method);
    // the name is schema-checked; this containment check is a second guard
    if (!methodDir.startsWith(this.base + sep) || relative(this.base, methodDir).includes(sep)) throw new Error(`unsafe folder name ${method}`);
    const final = join(methodDir, p.id);
    const tmp = join(methodDir, `.tmp-${randomBytes(6).toString('hex')}`);
    const disagreements = p.sub.runs.flatMap((run, i) => compareClaims(run.claimed, results[i], `runs[${i}]`));
    mkdirSync(tmp, { recursive: true });
    let bytes = 0;
    const write = (name: string, value: unknown) => {
      const text = JSON.stringify(value, null, 2) + '\n';
      bytes += Buffer.byteLength(text);
      writeFileSync(join(tmp, name), text);
    };
    try {
      write(CARD_FILE, storedCard(p.sub));
      for (const r of results) write(`${r.run_id}.json`, r);
      const report: Report = {
        id: p.id,
        method,
        keys: p.sub.runs.map(runKey),
        run_ids: results.map((r) => r.run_id),
        disagreements,
        flagged: results.filter((r) => r.flagged).length,
        bytes: 0,
        accepted: p.accepted,
        stored: new Date().toISOString(),
      };
      write(REPORT_FILE, { ...report, bytes });
      renameSync(tmp, final);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    rmSync(join(this.queueDir, `${p.id}.json`), { force: true });
    this.storedRuns += results.length;
    this.storedBytes += bytes;
    const stored = `${SUBMISSIONS_DIR}/${method}/${p.id}`;
    this.statuses.set(p.id, { id: p.id, method, state: 'stored', runs: results.length, done: results.length, stored, run_ids: results.map((r) => r.run_id), flagged: results.filter((r) => r.flagged).length, disagreements });
    this.log(`stored submission ${p.id} (${method}, ${results.length} runs, ${disagreements.length} claimed figures contradicted)`);
    this.onStored();
  }

  /** Resolves when nothing is queued or recomputing. */
  idle(): Promise<void> {
    if (this.active === 0 && !this.pending.length) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
    this.idleWaiters.splice(0).forEach((w) => w());
  }
}
