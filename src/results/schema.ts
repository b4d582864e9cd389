// The versioned format of one run result: one JSON file per (method, model, task, seed).
// The suite writes exactly this; the site, the server and the offline verifier read it.
// Every figure that a score is computed from is stored beside the score, so a reader can
// recompute the score (see the formulas at the end of this file and src/site/submit.ts).
//
// Compatibility rule: any change to a field's meaning or shape bumps SCHEMA_VERSION.
// Objects are strict (unknown keys are errors) so that a typo is caught, not silently dropped;
// free-form data belongs in `method.options` or `settings`.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const SCHEMA_VERSION = 2 as const;
/**
 * The version of the scoring (check definitions, lift, overall). Part of every run id, so a
 * result written by another scoring version is recomputed by the suite, never mixed in.
 */
export const SCORING_VERSION = 4 as const;

// ---------------------------------------------------------------------------------------------
// Identifiers

/** Node sites in forward order within a layer (DESIGN §3). The viewer's columns follow this order. */
export const SITES = ['attn_in', 'q', 'k', 'v', 'attn_out', 'mlp_in', 'mlp_neuron', 'mlp_out'] as const;
export type Site = (typeof SITES)[number];
export const SiteSchema = z.enum(SITES);

const NODE_RE = /^L(0|[1-9]\d{0,3})\.(attn_in|q|k|v|attn_out|mlp_in|mlp_neuron|mlp_out)\.(0|[1-9]\d{0,6})$/;

/** `L{layer}.{site}.{index}`, e.g. `L1.attn_out.12`. */
export const NodeIdSchema = z.string().regex(NODE_RE, 'node id must look like L{layer}.{site}.{index}, e.g. L1.attn_out.12');

export interface ParsedNode {
  layer: number;
  site: Site;
  index: number;
}

export function parseNodeId(id: string): ParsedNode | null {
  const m = NODE_RE.exec(id);
  if (!m) return null;
  return { layer: Number(m[1]), site: m[2] as Site, index: Number(m[3]) };
}

/**
 * Method, model and task ids become file and URL names (site pages, submission folders),
 * so they are restricted to lowercase names that cannot contain a path separator, cannot be
 * `.` or `..`, and do not collide on case-insensitive file systems.
 */
export const IdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1–64 characters of a-z 0-9 . _ - starting with a letter or digit');

/** run_id = computeRunId(inputs): the first 16 hex digits of a SHA-256 (see below). */
export const RunIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'run_id must be 16 lowercase hex digits');

const Int = z.number().int();
const Count = Int.min(0);
/** Scores and probabilities live in [0, 1]; zod 4 numbers already reject NaN and ±Infinity. */
const Unit = z.number().min(0).max(1);
const Loss = z.number().min(0);
const Text = (max: number) => z.string().max(max);
const Options = z.record(z.string().max(128), z.json());

// ---------------------------------------------------------------------------------------------
// Method, model, circuit

/** How a method plugs in (DESIGN §5): an ablation scheme for the shared mask learner, or its own discover(). */
export const MethodKindSchema = z.enum(['ablation-scheme', 'discover']);

export const RunMethodSchema = z.strictObject({
  id: IdSchema,
  kind: MethodKindSchema,
  /** The fully resolved options (defaults applied), exactly as the method ran. */
  options: Options,
  description: Text(4000).optional(),
  /** Rendered as a link only when it is an http(s) URL; anything else is shown as inert text. */
  paper_url: Text(2000).optional(),
  /** A built-in reference baseline (keep-all, random): shown as a reference row. */
  baseline: z.boolean().optional(),
});

/** The card a submitter describes their method with (a bundle's `method`). */
export const MethodCardSchema = z.strictObject({
  id: IdSchema,
  kind: MethodKindSchema,
  description: Text(4000).optional(),
  paper_url: Text(2000).optional(),
  code_url: Text(2000).optional(),
  authors: z.array(Text(200)).max(50).optional(),
});

const SiteWidthsSchema = z.strictObject(
  Object.fromEntries(SITES.map((s) => [s, Count.min(1)])) as Record<Site, typeof Count>,
);

export const ModelInfoSchema = z.strictObject({
  id: IdSchema,
  /** Content hash of the checkpoint (hex). */
  hash: z.string().regex(/^[0-9a-f]{8,64}$/, 'model hash must be 8–64 lowercase hex digits'),
  n_layers: Int.min(1).max(1000),
  n_heads: Int.min(1),
  d_head: Int.min(1),
  /** Nodes per site per layer; q/k/v are n_heads·d_head wide. total_nodes = n_layers · Σ widths. */
  site_widths: SiteWidthsSchema,
});

/** How non-circuit nodes are ablated when the circuit claims to do the task (DESIGN §3). */
export const AblationSchema = z.enum(['zero', 'mean']);

export const CircuitSchema = z.strictObject({
  /** Kept node ids, each once. */
  nodes: z.array(NodeIdSchema).max(1_000_000),
  /** = nodes.length */
  size: Count,
  /** All maskable nodes of the model: n_layers · Σ site_widths. */
  total_nodes: Count.min(1),
  ablation: AblationSchema,
  /** true for frozen-ln: every norm divides by the unpruned model's recorded scale. */
  frozen_norms: z.boolean(),
  /** Task loss on the run's test prompts with every other node ablated. */
  loss: Loss,
  /** The discretisation target (0.15 by default). */
  target_loss: Loss,
  /** The method's node ranking, most important first (by τ for the mask learner); used by the MIB curve. */
  ranking: z.array(NodeIdSchema).max(1_000_000).optional(),
  /** The harness's verification on held-out test prompts; a circuit above the target is flagged. */
  verification: z.strictObject({ loss: Loss, prompts: Count, passed: z.boolean() }),
  /** Validation loss of the circuit (what the discretisation scanned). */
  validation_loss: Loss,
  /** Final λ of the mask learner; null for discover methods. */
  lambda: z.number().min(0).nullable(),
  /** false when the loss along the ranking rose again after first meeting the target (a warning). */
  monotone: z.boolean().nullable(),
  /**
   * The size-matched random circuits the lifted checks compare with: 'passing' when they were
   * drawn conditioned on meeting the same discretisation target as the circuit (rejection
   * sampling), 'unconditional' when too few random circuits of that size pass.
   */
  random_null: z.strictObject({ kind: z.enum(['passing', 'unconditional']), candidates: Count, passing: Count }).optional(),
});

// ---------------------------------------------------------------------------------------------
// Checks (DESIGN §6). Checks are registered data (src/suite/checks/): the results format does not
// know their ids, only their shape. A check's role says how it enters the overall score:
//   lifted  — a faithfulness score s in [0, 1], credited only beyond size-matched random circuits
//             (lift, see src/results/scoring.ts); the overall is the mean of these;
//   control — a negative control in [0, 1] that MULTIPLIES the overall (nonsense resistance);
//   report  — figures shown beside the score, never folded in (loss vs size, MIB curve).

export const CheckRoleSchema = z.enum(['lifted', 'control', 'report']);
export type CheckRole = z.infer<typeof CheckRoleSchema>;

export const CheckResultSchema = z.strictObject({
  title: Text(200),
  role: CheckRoleSchema,
  /** The check's raw score for the circuit (null for report-only checks, or when undefined). */
  score: Unit.nullable(),
  /** Size-matched random circuits (same size, same ablation, seeded draws) and their scores. */
  random: z.strictObject({ draws: Count, scores: z.array(Unit).max(10_000), mean: Unit }).nullable(),
  /** What enters the overall: lift(score, max(random.scores)) for lifted checks (scoring v4), score for controls, null for reports. */
  value: Unit.nullable(),
  /** Check-specific raw figures (documented with each check in docs/suite.md). */
  figures: z.record(z.string().max(64), z.json()),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const ChecksSchema = z.record(IdSchema, CheckResultSchema);

// ---------------------------------------------------------------------------------------------
// Viewer data: small samples for the circuit viewer, not used by any score.

export const ViewerSchema = z.strictObject({
  /** A few test prompts (text). */
  prompts: z.array(Text(1000)).max(256),
  /** Optional tokenization of each prompt, labelling the attention patterns' key positions. */
  tokens: z.array(z.array(Text(100)).max(512)).max(256).optional(),
  /** Per circuit node: its activation at the last position of each prompt, pruned vs unpruned. */
  activations: z
    .array(z.strictObject({ node: NodeIdSchema, pruned: z.array(z.number()).max(256), unpruned: z.array(z.number()).max(256) }))
    .max(100_000),
  /** Per head with q/k/v nodes in the circuit: attention from the last position over key positions,
   *  one probability row per prompt. */
  attention: z
    .array(
      z.strictObject({
        layer: Count,
        head: Count,
        pruned: z.array(z.array(Unit).max(512)).max(256),
        unpruned: z.array(z.array(Unit).max(512)).max(256),
      }),
    )
    .max(10_000),
  /** Weights between kept nodes (e.g. the W_q entry from an attn_in node to a q node). */
  edges: z.array(z.strictObject({ from: NodeIdSchema, to: NodeIdSchema, weight: z.number() })).max(200_000),
});

// ---------------------------------------------------------------------------------------------
// Provenance

export const ProvenanceSchema = z.strictObject({
  /** tfjs backend that ran it: tensorflow, wasm, cpu, … */
  backend: Text(64),
  tfjs_version: Text(64),
  package_version: Text(64),
  /** Commit of the code that produced the run; null outside a git checkout. */
  git_commit: z.string().regex(/^[0-9a-f]{7,40}$/, 'git_commit must be 7–40 lowercase hex digits').nullable(),
  node_version: Text(64).optional(),
  wall_time_s: z.number().min(0),
  /** ISO 8601 date-time the run finished. */
  date: z.iso.datetime({ offset: true }),
  /** Every RNG seed the run derived (mask init, data order, adversary, …), by name. */
  seeds: z.record(Text(64), Int),
  /** true for made-up data (test fixtures); the site shows a banner. Real runs omit it. */
  synthetic: z.boolean().optional(),
});

// ---------------------------------------------------------------------------------------------
// One run

export const RunResultSchema = z.strictObject({
  schema_version: z.literal(SCHEMA_VERSION),
  scoring_version: z.literal(SCORING_VERSION),
  /** = computeRunId(this): a hash of the inputs, so an interrupted suite can resume from cache. */
  run_id: RunIdSchema,
  method: RunMethodSchema,
  model: ModelInfoSchema,
  task: IdSchema,
  seed: Count,
  /** Suite settings that change the result (target loss, steps, λ grid, preset, …); part of run_id. */
  settings: Options,
  circuit: CircuitSchema,
  /** true when the circuit failed verification on the test split: shown, kept out of every score. */
  flagged: z.boolean(),
  checks: ChecksSchema,
  /** = runOverall(this) (src/results/scoring.ts); stored for readers, always recomputed by the verifier. */
  overall: Unit.nullable(),
  viewer: ViewerSchema.nullable(),
  provenance: ProvenanceSchema,
  /** = computeDigest(this), written by the suite: readers skip a run whose content no longer matches
   *  it (a hand edit). Optional so that runs written before it existed still read (src/results/load.ts). */
  digest: z.string().regex(/^[0-9a-f]{64}$/, 'digest must be 64 lowercase hex digits').optional(),
});

export type RunResult = z.infer<typeof RunResultSchema>;
export type RunMethod = z.infer<typeof RunMethodSchema>;
export type MethodCard = z.infer<typeof MethodCardSchema>;
export type ModelInfo = z.infer<typeof ModelInfoSchema>;
export type Circuit = z.infer<typeof CircuitSchema>;
export type Checks = z.infer<typeof ChecksSchema>;
export type ViewerData = z.infer<typeof ViewerSchema>;
export type Provenance = z.infer<typeof ProvenanceSchema>;

// ---------------------------------------------------------------------------------------------
// Leaderboard (the output of aggregate()), part of the format because a bundle may carry one.

/**
 * Mean over seeds with a percentile-bootstrap 95% interval; n = number of seeds. With fewer than
 * MIN_SEEDS_FOR_INTERVAL seeds the bootstrap is the seeds' min–max, not an interval: lo/hi are null.
 */
export const IntervalSchema = z.strictObject({ mean: z.number(), lo: z.number().nullable(), hi: z.number().nullable(), n: Count });
export type Interval = z.infer<typeof IntervalSchema>;
export const MIN_SEEDS_FOR_INTERVAL = 5;

/** Per check: its title and role as the runs declare them (the leaderboard's columns). */
export const CheckColumnSchema = z.strictObject({ id: IdSchema, title: Text(200), role: CheckRoleSchema });
export type CheckColumn = z.infer<typeof CheckColumnSchema>;

export const LeaderboardRowSchema = z.strictObject({
  method: IdSchema,
  /** A built-in reference baseline: a reference row, not a contender. */
  baseline: z.boolean(),
  /** null: the method over all models. */
  model: IdSchema.nullable(),
  seeds: z.array(Count),
  tasks: z.array(IdSchema),
  models: z.array(IdSchema),
  n_runs: Count,
  /** Runs whose circuit failed verification on the test split (kept out of every score). */
  n_flagged: Count,
  overall: IntervalSchema.nullable(),
  /** Per check id: the mean over seeds of its value (lifted score or control). */
  checks: z.record(IdSchema, IntervalSchema.nullable()),
  /** Per check id: the raw (unlifted) score, for reading beside the lifted value. */
  raw: z.record(IdSchema, IntervalSchema.nullable()),
  size: z.strictObject({ n_star: IntervalSchema.nullable(), fraction: IntervalSchema.nullable() }),
  /** Share of runs with a same-gender check whose circuit is the bad one (P_circ < 0.5). */
  bad_circuit_share: Unit.nullable(),
  /** Its 95% Wilson interval over the verified circuits counted (src/results/stats.ts). */
  bad_circuit_interval: z.tuple([Unit, Unit]).nullable(),
  /** How many verified circuits the share counts. */
  bad_circuit_runs: z.number().int().min(0),
  wall_time_s: z.number().min(0),
});
export type LeaderboardRow = z.infer<typeof LeaderboardRowSchema>;

export const LeaderboardSchema = z.strictObject({
  schema_version: z.literal(SCHEMA_VERSION),
  scoring_version: z.literal(SCORING_VERSION),
  bootstrap: z.strictObject({ resamples: Count, level: Unit, seed: Int }),
  columns: z.array(CheckColumnSchema),
  rows: z.array(LeaderboardRowSchema),
});
export type Leaderboard = z.infer<typeof LeaderboardSchema>;

// ---------------------------------------------------------------------------------------------
// Submission bundle: POST /api/submissions and `faithbench submit <bundle>`.

export const SubmissionBundleSchema = z.strictObject({
  method: MethodCardSchema,
  results: z.array(RunResultSchema).min(1).max(2000),
  /** If present it must equal aggregate(results). */
  aggregate: LeaderboardSchema.optional(),
});
export type SubmissionBundle = z.infer<typeof SubmissionBundleSchema>;

// ---------------------------------------------------------------------------------------------
// Definitions the scores depend on. The suite computes with these, the verifier recomputes with them.

export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** CPR and CMD: trapezoid areas of f and |1 − f| over x = k / total_nodes, points sorted by k.
 *  |1 − f| is integrated piecewise-linearly, splitting a segment where f crosses 1. */
export function mibAreas(curve: ReadonlyArray<{ k: number; f: number }>, totalNodes: number): { cpr: number; cmd: number } {
  const pts = [...curve].sort((a, b) => a.k - b.k);
  let cpr = 0;
  let cmd = 0;
  for (let i = 1; i < pts.length; i++) {
    const dx = (pts[i].k - pts[i - 1].k) / totalNodes;
    const a = pts[i - 1].f;
    const b = pts[i].f;
    cpr += (dx * (a + b)) / 2;
    const da = 1 - a;
    const db = 1 - b;
    if (da * db >= 0) cmd += (dx * (Math.abs(da) + Math.abs(db))) / 2;
    else {
      const t = Math.abs(da) / (Math.abs(da) + Math.abs(db)); // where 1 − f crosses zero
      cmd += (dx * t * Math.abs(da)) / 2 + (dx * (1 - t) * Math.abs(db)) / 2;
    }
  }
  return { cpr, cmd };
}

/** Points not dominated by a point of smaller-or-equal size with lower-or-equal loss, sorted by size. */
export function paretoFront(points: ReadonlyArray<{ size: number; loss: number }>): Array<{ size: number; loss: number }> {
  const sorted = [...points].sort((a, b) => a.size - b.size || a.loss - b.loss);
  const front: Array<{ size: number; loss: number }> = [];
  let best = Infinity;
  for (const p of sorted) {
    if (p.loss < best) {
      front.push({ size: p.size, loss: p.loss });
      best = p.loss;
    }
  }
  return front;
}

/** The inputs that determine a run's result; run_id hashes exactly these. */
export interface RunInputs {
  schema_version: number;
  scoring_version: number;
  method: { id: string; options: Record<string, unknown> };
  model: { id: string; hash: string };
  task: string;
  seed: number;
  settings: Record<string, unknown>;
}

/** JSON with object keys sorted at every depth, so equal inputs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function computeRunId(inputs: RunInputs): string {
  const picked: RunInputs = {
    schema_version: inputs.schema_version,
    scoring_version: inputs.scoring_version,
    method: { id: inputs.method.id, options: inputs.method.options },
    model: { id: inputs.model.id, hash: inputs.model.hash },
    task: inputs.task,
    seed: inputs.seed,
    settings: inputs.settings,
  };
  return createHash('sha256').update(canonicalJson(picked)).digest('hex').slice(0, 16);
}

/**
 * SHA-256 (hex) of the run's canonical JSON without its digest: every figure, score, circuit and
 * provenance field is covered, so editing any of them breaks it. It detects edits, it does not
 * authenticate: anyone can recompute it. The value is hashed as JSON reads it back, so the digest
 * of a run before writing equals the digest of the file read back.
 */
export function computeDigest(run: RunResult): string {
  const { digest: _, ...content } = run;
  return createHash('sha256').update(canonicalJson(JSON.parse(JSON.stringify(content)))).digest('hex');
}

/** Total maskable nodes of a model. */
export function totalNodesOf(model: Pick<ModelInfo, 'n_layers' | 'site_widths'>): number {
  return model.n_layers * SITES.reduce((acc, s) => acc + model.site_widths[s], 0);
}

/** The first issue of a zod error as one line: `results[2].checks.nonsense.score: Too big: expected number to be <=1`. */
export function formatZodIssue(error: z.ZodError, root = ''): { path: string; message: string; line: string } {
  const issue = error.issues[0];
  let path = root;
  for (const seg of issue?.path ?? []) {
    if (typeof seg === 'number') path += `[${seg}]`;
    else path += path ? `.${String(seg)}` : String(seg);
  }
  const message = issue?.message ?? 'invalid';
  return { path: path || '(root)', message, line: `${path || '(root)'}: ${message}` };
}
