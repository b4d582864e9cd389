// A submission (DESIGN.md §7): circuits, never figures or code. For each run, the circuit a method
// found (nodes, ranking, the ablation it claims under) and the circuit it found BLIND on the
// nonsense control, plus the method's card. The server and `faithbench submit` recompute every
// check on their own zoo models and prompts (src/suite/recompute.ts); what a submitter says about
// its own figures (`claimed`) is only compared with the recomputed ones and reported back.
//
// Submitted methods live in their own namespace: a run's method id is `sub.<name>`. Built-in and
// plugin method ids cannot contain a dot, so a submitted run can never share a method id, and
// therefore never a run id, with a suite run.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  AblationSchema,
  IdSchema,
  MethodKindSchema,
  NodeIdSchema,
  canonicalJson,
  parseNodeId,
  totalNodesOf,
  type MethodCard,
  type ModelInfo,
  type RunResult,
} from './schema.ts';

export const SUBMISSION_FORMAT = 'faithbench-submission' as const;
export const SUBMISSION_VERSION = 1 as const;
export const SUBMITTED_PREFIX = 'sub.';
/** Runs per submission: each costs a full evaluation (seconds to minutes) on the server. */
export const MAX_RUNS_PER_SUBMISSION = 64;
const MAX_NODES = 200_000;

/** A submitted method's name: like a built-in id (no dots), so `sub.<name>` is unambiguous. */
export const SubmittedNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'must be 1–48 characters of a-z 0-9 - starting with a letter');

const Text = (max: number) => z.string().max(max);

/** The card as submitted (no `baseline`: that flag belongs to the built-in reference baselines). */
export const SubmittedCardSchema = z.strictObject({
  id: SubmittedNameSchema,
  kind: MethodKindSchema,
  description: Text(4000).optional(),
  paper_url: Text(2000).optional(),
  code_url: Text(2000).optional(),
  authors: z.array(Text(200)).max(50).optional(),
});

export const SubmittedCircuitSchema = z.strictObject({
  ablation: AblationSchema,
  frozen_norms: z.boolean(),
  /** the circuit: kept node ids, each once */
  nodes: z.array(NodeIdSchema).max(MAX_NODES),
  /** the method's node ranking, most important first (the nonsense control and MIB curve read it) */
  ranking: z.array(NodeIdSchema).max(MAX_NODES),
});
export type SubmittedCircuit = z.infer<typeof SubmittedCircuitSchema>;

export type SubmittedCard = z.infer<typeof SubmittedCardSchema>;

const Claim = z.number().finite().nullable().optional();
/** Figures the submitter computed: compared with the recomputed ones, never stored or shown as results. */
export const ClaimedSchema = z.strictObject({
  flagged: z.boolean().optional(),
  overall: Claim,
  size: z.number().int().min(0).optional(),
  checks: z.record(IdSchema, z.strictObject({ score: Claim, value: Claim })).optional(),
});

export const SubmittedRunSchema = z.strictObject({
  /** a zoo model id of the server */
  model: IdSchema,
  /** if given, must be the server's hash of that model (a submission made against another checkpoint is refused) */
  model_hash: z.string().regex(/^[0-9a-f]{64}$/, 'model_hash must be 64 lowercase hex digits').optional(),
  task: IdSchema,
  seed: z.number().int().min(0).max(1_000_000),
  circuit: SubmittedCircuitSchema,
  /** the method's circuit for the same (model, seed) on the `nonsense` task, found blind */
  nonsense: SubmittedCircuitSchema,
  claimed: ClaimedSchema.optional(),
});
export type SubmittedRun = z.infer<typeof SubmittedRunSchema>;

export const SubmissionSchema = z.strictObject({
  format: z.literal(SUBMISSION_FORMAT),
  version: z.literal(SUBMISSION_VERSION),
  method: SubmittedCardSchema,
  runs: z.array(SubmittedRunSchema).min(1).max(MAX_RUNS_PER_SUBMISSION),
});
export type Submission = z.infer<typeof SubmissionSchema>;

/** What a server (or `submit`) judges against: its own zoo, the tasks it runs, the ids it reserves. */
export interface SubmissionContext {
  models: readonly ModelInfo[];
  tasks: readonly string[];
  /** built-in method ids: a submission may not take one, even namespaced */
  reserved: readonly string[];
}

export const submittedMethodId = (name: string): string => `${SUBMITTED_PREFIX}${name}`;
export const isSubmittedMethodId = (id: string): boolean => id.startsWith(SUBMITTED_PREFIX);

/** The card as stored beside the runs (site/load.ts reads it by the runs' method id). */
export function storedCard(sub: Submission): MethodCard {
  return { ...sub.method, id: submittedMethodId(sub.method.id) };
}

/** The method block of every recomputed run: namespaced id, no options, never a baseline. */
export function submittedRunMethod(c: SubmittedCard): RunResult['method'] {
  return { id: submittedMethodId(c.id), kind: c.kind, options: {}, ...(c.description ? { description: c.description } : {}), ...(c.paper_url ? { paper_url: c.paper_url } : {}) };
}

/** Hash of what was submitted for one run: part of its run id, so another circuit is another run. */
export function circuitHash(run: SubmittedRun): string {
  return createHash('sha256').update(canonicalJson({ circuit: run.circuit, nonsense: run.nonsense })).digest('hex').slice(0, 16);
}

/** (model, task, seed): a method has one run per key. */
export const runKey = (r: { model: string; task: string; seed: number }): string => `${r.model}/${r.task}/s${r.seed}`;

export interface SubmissionProblem {
  path: string;
  message: string;
}

/**
 * Checks a schema-valid submission against the judge's own zoo: the name is not reserved, every
 * model is one of its models (with its hash, when given), every task one it runs, every node id
 * exists in ITS model (the submitter's description of a model is never asked for), no node twice,
 * and one run per (model, task, seed). Returns the first problem, or null.
 */
export function checkSubmission(sub: Pick<Submission, 'method' | 'runs'>, ctx: SubmissionContext): SubmissionProblem | null {
  if (ctx.reserved.includes(sub.method.id)) return { path: 'method.id', message: `"${sub.method.id}" is reserved by a built-in method; choose another name` };
  const models = new Map(ctx.models.map((m) => [m.id, m]));
  const keys = new Map<string, number>();
  for (const [i, run] of sub.runs.entries()) {
    const at = `runs[${i}]`;
    const model = models.get(run.model);
    if (!model) return { path: `${at}.model`, message: `"${run.model}" is not a model of this server (${[...models.keys()].join(', ')})` };
    if (run.model_hash !== undefined && run.model_hash !== model.hash) return { path: `${at}.model_hash`, message: `${run.model_hash.slice(0, 12)}… is not this server's ${model.id} (${model.hash.slice(0, 12)}…)` };
    if (!ctx.tasks.includes(run.task)) return { path: `${at}.task`, message: `"${run.task}" is not a task this server scores (${ctx.tasks.join(', ')})` };
    const key = runKey(run);
    const prev = keys.get(key);
    if (prev !== undefined) return { path: at, message: `${key} repeats runs[${prev}]` };
    keys.set(key, i);
    if (run.circuit.nodes.length === 0) return { path: `${at}.circuit.nodes`, message: 'the circuit is empty' };
    for (const part of ['circuit', 'nonsense'] as const) {
      for (const list of ['nodes', 'ranking'] as const) {
        const problem = checkNodes(run[part][list], model);
        if (problem) return { path: `${at}.${part}.${list}${problem.path}`, message: problem.message };
      }
    }
  }
  return null;
}

/** Every id exists in the model (layer, site width) and appears once. */
function checkNodes(ids: readonly string[], model: ModelInfo): SubmissionProblem | null {
  if (ids.length > totalNodesOf(model)) return { path: '', message: `${ids.length} node ids but ${model.id} has ${totalNodesOf(model)} nodes` };
  const seen = new Set<string>();
  for (const [j, id] of ids.entries()) {
    const p = parseNodeId(id)!; // the schema checked the grammar
    if (p.layer >= model.n_layers) return { path: `[${j}]`, message: `${id}: ${model.id} has ${model.n_layers} layers` };
    const width = model.site_widths[p.site];
    if (p.index >= width) return { path: `[${j}]`, message: `${id}: ${p.site} of ${model.id} has ${width} nodes` };
    if (seen.has(id)) return { path: `[${j}]`, message: `${id} appears twice` };
    seen.add(id);
  }
  return null;
}

/** Figures differ beyond rounding (the recomputed value is what counts). */
const differs = (a: number | null, b: number | null) => (a === null || b === null ? a !== b : Math.abs(a - b) > 1e-6 + 1e-6 * Math.abs(b));
const show = (x: number | null | undefined) => (x === null || x === undefined ? String(x) : String(Number(x.toPrecision(6))));

/** Each claimed figure that the recomputation contradicts, as `path: claimed X, recomputed Y`. */
export function compareClaims(claimed: SubmittedRun['claimed'], result: RunResult, at: string): string[] {
  if (!claimed) return [];
  const out: string[] = [];
  if (claimed.flagged !== undefined && claimed.flagged !== result.flagged) out.push(`${at}.claimed.flagged: claimed ${claimed.flagged}, recomputed ${result.flagged}`);
  if (claimed.size !== undefined && claimed.size !== result.circuit.size) out.push(`${at}.claimed.size: claimed ${claimed.size}, recomputed ${result.circuit.size}`);
  if (claimed.overall !== undefined && differs(claimed.overall, result.overall)) out.push(`${at}.claimed.overall: claimed ${show(claimed.overall)}, recomputed ${show(result.overall)}`);
  for (const [id, c] of Object.entries(claimed.checks ?? {})) {
    const r = result.checks[id];
    if (!r) {
      out.push(`${at}.claimed.checks.${id}: claimed, but the recomputed run has no check ${id}${result.flagged ? ' (the circuit failed verification)' : ''}`);
      continue;
    }
    for (const f of ['score', 'value'] as const) {
      if (c[f] !== undefined && differs(c[f] ?? null, r[f])) out.push(`${at}.claimed.checks.${id}.${f}: claimed ${show(c[f])}, recomputed ${show(r[f])}`);
    }
  }
  return out;
}
