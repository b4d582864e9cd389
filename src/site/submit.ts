// Offline verifier for run results and submission bundles. The schema says a value has the right
// shape; this module says its figures agree with each other: sizes match node lists, node ids
// exist in the model, each score equals its formula applied to the raw figures stored beside it,
// run ids are the hash of the inputs, and a bundled leaderboard equals the recomputed one.
// Every failure is reported as one line `path: what is wrong`.
import { readFileSync } from 'node:fs';
import { aggregate } from '../benchmarks/aggregate.ts';
import {
  NONSENSE_BUDGET_FACTOR,
  RunResultSchema,
  SubmissionBundleSchema,
  adversaryScore,
  computeRunId,
  formatZodIssue,
  mibAreas,
  nonsenseScore,
  paretoFront,
  parseNodeId,
  rolesSummary,
  sameGenderScore,
  totalNodesOf,
  type RunResult,
  type SubmissionBundle,
} from '../benchmarks/results-schema.ts';

/** A failure names where (path) and what (message); `error` is the one-line `path: message`.
 *  kind says which layer rejected it: the file could not be read, the schema, or consistency. */
export type Failure = { ok: false; kind: 'io' | 'schema' | 'consistency'; path: string; message: string; error: string };
export type Verdict<T> = { ok: true; value: T } | Failure;

function failure(kind: Failure['kind'], path: string, message: string): Failure {
  return { ok: false, kind, path, message, error: `${path}: ${message}` };
}

/** Consistency lines are written `path: message`; paths never contain ': ', so the first one splits them. */
function consistencyFailure(line: string, prefix = ''): Failure {
  const at = line.indexOf(': ');
  return failure('consistency', prefix + line.slice(0, at), line.slice(at + 2));
}

function schemaFailure(error: import('zod').ZodError): Failure {
  const f = formatZodIssue(error);
  return failure('schema', f.path, f.message);
}

/** Scores are recomputed from the stored figures with the same formulas, so they agree to rounding error. */
const TOL = 1e-6;
const close = (a: number, b: number) => Math.abs(a - b) <= TOL + TOL * Math.abs(b);
const show = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(8))));

class Inconsistent extends Error {}

function expectClose(path: string, actual: number, expected: number, formula: string): void {
  if (!close(actual, expected)) throw new Inconsistent(`${path}: ${show(actual)} does not equal ${formula} = ${show(expected)}`);
}

function expect(cond: boolean, line: string): void {
  if (!cond) throw new Inconsistent(line);
}

/** The first internal inconsistency of a schema-valid run, as one line (paths relative to the run), or null. */
export function checkRun(run: RunResult): string | null {
  try {
    checkRunOrThrow(run);
    return null;
  } catch (err) {
    if (err instanceof Inconsistent) return err.message;
    throw err;
  }
}

function checkRunOrThrow(run: RunResult): void {
  const { model, circuit, checks, viewer } = run;
  const expectedId = computeRunId(run);
  expect(run.run_id === expectedId, `run_id: ${run.run_id} is not the hash of the run's inputs (expected ${expectedId})`);

  const qkv = model.n_heads * model.d_head;
  for (const s of ['q', 'k', 'v'] as const) {
    expect(model.site_widths[s] === qkv, `model.site_widths.${s}: ${model.site_widths[s]} does not equal n_heads · d_head = ${qkv}`);
  }
  const total = totalNodesOf(model);
  expect(circuit.total_nodes === total, `circuit.total_nodes: ${circuit.total_nodes} does not equal n_layers · Σ site_widths = ${total}`);

  /** A node id is well formed by the schema; here it must also exist in this model. */
  const checkNode = (path: string, id: string) => {
    const p = parseNodeId(id)!;
    expect(p.layer < model.n_layers, `${path}: ${id} has layer ${p.layer} but the model has ${model.n_layers} layers`);
    const width = model.site_widths[p.site];
    expect(p.index < width, `${path}: ${id} has index ${p.index} but ${p.site} has ${width} nodes`);
  };

  expect(circuit.size === circuit.nodes.length, `circuit.size: ${circuit.size} does not equal nodes.length = ${circuit.nodes.length}`);
  const kept = new Set<string>();
  circuit.nodes.forEach((id, i) => {
    checkNode(`circuit.nodes[${i}]`, id);
    expect(!kept.has(id), `circuit.nodes[${i}]: ${id} appears twice`);
    kept.add(id);
  });
  circuit.ranking?.forEach((id, i) => checkNode(`circuit.ranking[${i}]`, id));
  const inCircuit = (path: string, id: string) => expect(kept.has(id), `${path}: ${id} is not a circuit node`);
  const checkHead = (path: string, layer: number, head: number) => {
    expect(layer < model.n_layers, `${path}.layer: ${layer} but the model has ${model.n_layers} layers`);
    expect(head < model.n_heads, `${path}.head: ${head} but the model has ${model.n_heads} heads`);
  };

  if (checks.size) {
    const s = checks.size;
    expect(s.n_star <= total, `checks.size.n_star: ${s.n_star} exceeds total_nodes = ${total}`);
    expectClose('checks.size.fraction', s.fraction, s.n_star / total, 'n_star / total_nodes');
    const front = paretoFront(s.points);
    expect(s.pareto.length === front.length, `checks.size.pareto: ${s.pareto.length} points but the Pareto front of points has ${front.length}`);
    s.pareto.forEach((p, i) => {
      expect(p.size === front[i].size && close(p.loss, front[i].loss), `checks.size.pareto[${i}]: (${p.size}, ${show(p.loss)}) does not equal the Pareto front's (${front[i].size}, ${show(front[i].loss)})`);
    });
  }
  if (checks.nonsense) {
    const c = checks.nonsense;
    // The budget cannot exceed the whole model: B = min(total_nodes, 3 · n*(pronoun)).
    const budget = Math.min(total, NONSENSE_BUDGET_FACTOR * c.reference_n_star);
    expect(c.budget === budget, `checks.nonsense.budget: ${c.budget} does not equal min(total_nodes, ${NONSENSE_BUDGET_FACTOR} · reference_n_star) = ${budget}`);
    expect(c.circuit_size <= c.budget, `checks.nonsense.circuit_size: ${c.circuit_size} exceeds the budget ${c.budget}`);
    expectClose('checks.nonsense.score', c.score, nonsenseScore(c.L_circ, c.L_model), 'clamp(L_circ / L_model, 0, 1)');
  }
  if (checks.same_gender) {
    const c = checks.same_gender;
    expect(c.bad_circuit === c.P_circ < 0.5, `checks.same_gender.bad_circuit: ${c.bad_circuit} but P_circ = ${show(c.P_circ)}`);
    expectClose('checks.same_gender.score', c.score, sameGenderScore(c.P_circ, c.P_model), 'clamp((P_circ − 0.5) / (P_model − 0.5), 0, 1)');
  }
  if (checks.roles) {
    const c = checks.roles;
    c.per_node.forEach((p, i) => inCircuit(`checks.roles.per_node[${i}].node`, p.node));
    const want = rolesSummary(c.per_node);
    if (want.mean_r === null || c.mean_r === null) {
      expect(want.mean_r === c.mean_r, `checks.roles.mean_r: ${c.mean_r} but the mean of the defined per-node r is ${want.mean_r}`);
    } else expectClose('checks.roles.mean_r', c.mean_r, want.mean_r, 'mean of per-node r');
    expectClose('checks.roles.flipped_share', c.flipped_share, want.flipped_share, 'share of per-node r < 0');
    expectClose('checks.roles.score', c.score, want.score, 'mean of clamp(r, 0, 1)');
    c.attention_js.forEach((a, i) => checkHead(`checks.roles.attention_js[${i}]`, a.layer, a.head));
  }
  if (checks.adversary) {
    const c = checks.adversary;
    expectClose('checks.adversary.score', c.score, adversaryScore(c.worst_acc, c.acc_model), 'clamp(worst_acc / acc_model, 0, 1)');
  }
  if (checks.mib) {
    const c = checks.mib;
    c.curve.forEach((p, i) => expect(p.k <= total, `checks.mib.curve[${i}].k: ${p.k} exceeds total_nodes = ${total}`));
    const areas = mibAreas(c.curve, total);
    expectClose('checks.mib.cpr', c.cpr, areas.cpr, 'the area under f');
    expectClose('checks.mib.cmd', c.cmd, areas.cmd, 'the area of |1 − f|');
  }
  if (viewer) {
    const n = viewer.prompts.length;
    if (viewer.tokens) expect(viewer.tokens.length === n, `viewer.tokens: ${viewer.tokens.length} rows for ${n} prompts`);
    viewer.activations.forEach((a, i) => {
      inCircuit(`viewer.activations[${i}].node`, a.node);
      expect(a.pruned.length === n && a.unpruned.length === n, `viewer.activations[${i}]: needs one pruned and one unpruned value per prompt (${n})`);
    });
    viewer.attention.forEach((h, i) => {
      const path = `viewer.attention[${i}]`;
      checkHead(path, h.layer, h.head);
      for (const side of ['pruned', 'unpruned'] as const) {
        expect(h[side].length === n, `${path}.${side}: ${h[side].length} rows for ${n} prompts`);
        h[side].forEach((row, j) => {
          const sum = row.reduce((a, b) => a + b, 0);
          expect(Math.abs(sum - 1) < 1e-3, `${path}.${side}[${j}]: attention weights sum to ${show(sum)}, not 1`);
          if (viewer.tokens) expect(row.length === viewer.tokens[j].length, `${path}.${side}[${j}]: ${row.length} weights for ${viewer.tokens[j].length} tokens`);
        });
      }
    });
    viewer.edges.forEach((e, i) => {
      inCircuit(`viewer.edges[${i}].from`, e.from);
      inCircuit(`viewer.edges[${i}].to`, e.to);
    });
  }
}

/** Schema + consistency for one run. */
export function verifyRun(value: unknown): Verdict<RunResult> {
  const parsed = RunResultSchema.safeParse(value);
  if (!parsed.success) return schemaFailure(parsed.error);
  const problem = checkRun(parsed.data);
  return problem ? consistencyFailure(problem) : { ok: true, value: parsed.data };
}

/** First path where two JSON values differ (numbers within tolerance), or null. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a === 'number' && typeof b === 'number') return close(a, b) ? null : `${path}: ${show(a)} does not equal the recomputed ${show(b)}`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} entries but the recomputed aggregate has ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      const d = firstDifference(ao[k], bo[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${path}: ${JSON.stringify(a)} does not equal the recomputed ${JSON.stringify(b)}`;
}

/** Schema, per-run consistency, bundle coherence and the bundled aggregate. */
export function verifyBundle(value: unknown): Verdict<SubmissionBundle> {
  const parsed = SubmissionBundleSchema.safeParse(value);
  if (!parsed.success) return schemaFailure(parsed.error);
  const bundle = parsed.data;
  const seen = new Map<string, number>();
  for (const [i, run] of bundle.results.entries()) {
    if (run.method.id !== bundle.method.id) {
      return failure('consistency', `results[${i}].method.id`, `"${run.method.id}" does not match the bundle's method.id "${bundle.method.id}"`);
    }
    if (run.method.kind !== bundle.method.kind) {
      return failure('consistency', `results[${i}].method.kind`, `"${run.method.kind}" does not match the bundle's method.kind "${bundle.method.kind}"`);
    }
    const prev = seen.get(run.run_id);
    if (prev !== undefined) return failure('consistency', `results[${i}].run_id`, `${run.run_id} repeats results[${prev}]`);
    seen.set(run.run_id, i);
    const problem = checkRun(run);
    if (problem) return consistencyFailure(problem, `results[${i}].`);
  }
  if (bundle.aggregate) {
    const { resamples, level, seed } = bundle.aggregate.bootstrap;
    const recomputed = aggregate(bundle.results, { resamples, level, seed });
    const d = firstDifference(bundle.aggregate, recomputed, 'aggregate');
    if (d) return consistencyFailure(d);
  }
  return { ok: true, value: bundle };
}

/** Reads and verifies a bundle file; unreadable or non-JSON files fail with one line too. */
export function verifyBundleFile(path: string): Verdict<SubmissionBundle> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return failure('io', path, `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return failure('io', path, `not valid JSON (${(err as Error).message})`);
  }
  return verifyBundle(json);
}
