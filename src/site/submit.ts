// Verifier for stored run results (every reader of a results folder runs it) and, for the tests,
// bundles of stored runs. Submissions no longer go through here: they are circuits, recomputed
// (src/results/submission.ts, src/suite/recompute.ts). The schema says a value has
// the right shape; this module says its figures agree with each other: sizes match node lists,
// node ids exist in the model, the flag follows the circuit's verification, every check's value is
// its role's formula (lift over the size-matched random draws, or the control's score), the
// overall is runOverall(run), the raw scores of the checks it knows equal their formulas of the
// figures stored beside them, run ids are the hash of the inputs, and a bundled leaderboard equals
// the recomputed one. Every failure is reported as one line `path: what is wrong`.
import { aggregate } from '../results/aggregate.ts';
import {
  RunResultSchema,
  SubmissionBundleSchema,
  computeRunId,
  formatZodIssue,
  mibAreas,
  paretoFront,
  parseNodeId,
  totalNodesOf,
  type CheckColumn,
  type CheckResult,
  type RunResult,
  type SubmissionBundle,
} from '../results/schema.ts';
import { adversaryScore, checkValue, nonsenseResistanceOverBudgets, rolesScore, runOverall, sameGenderScore } from '../results/scoring.ts';

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

  // The circuit's verification on held-out prompts decides whether the run is flagged; a flagged
  // run is shown but carries no check results and no overall.
  const ver = circuit.verification;
  expect(ver.passed === ver.loss <= circuit.target_loss, `circuit.verification.passed: ${ver.passed} but loss ${show(ver.loss)} ${ver.loss <= circuit.target_loss ? '≤' : '>'} target_loss ${show(circuit.target_loss)}`);
  expect(run.flagged === !ver.passed, `flagged: ${run.flagged} but circuit.verification.passed = ${ver.passed}`);
  expect(!run.flagged || Object.keys(checks).length === 0, 'flagged: a flagged run carries no check results');

  // Every check's value is its role's formula of its stored score and random draws, and the
  // overall is THE scoring function of those (src/results/scoring.ts).
  for (const [id, c] of Object.entries(checks)) {
    if (c.random) {
      expect(c.random.draws === c.random.scores.length, `checks.${id}.random.draws: ${c.random.draws} does not equal scores.length = ${c.random.scores.length}`);
      const m = c.random.scores.length ? c.random.scores.reduce((a, b) => a + b, 0) / c.random.scores.length : 0;
      expectClose(`checks.${id}.random.mean`, c.random.mean, m, 'the mean of random.scores');
    }
    const want = checkValue(c.role, c.score, c.random ? c.random.scores : null);
    if (want === null || c.value === null) expect(want === c.value, `checks.${id}.value: ${c.value} but its role's formula gives ${want}`);
    else expectClose(`checks.${id}.value`, c.value, want, c.role === 'lifted' ? 'lift(score, max(random.scores))' : 'score');
    // figures the verifier knows how to read: raw scores equal their formulas, nodes and heads exist
    if (Object.hasOwn(FIGURES, id)) FIGURES[id](c, `checks.${id}`, { total, inCircuit, checkHead, circuitSize: circuit.size });
  }
  const overall = runOverall(run);
  if (overall === null || run.overall === null) expect(overall === run.overall, `overall: ${run.overall} but runOverall(run) gives ${overall}`);
  else expectClose('overall', run.overall, overall, 'runOverall(run)');

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

// ---------------------------------------------------------------------------------------------
// Figures. A check's figures are free-form JSON (the results format knows only their shape), so
// they are read defensively: a figure that is absent or not a number is not checked. For the
// checks below, whose raw score is an exact function of figures stored beside it, the score must
// equal that function; figures naming nodes or heads must name circuit nodes and existing heads.
// A check the verifier does not know is held to its value and the overall only (above).

interface FigureContext {
  total: number;
  circuitSize: number;
  inCircuit: (path: string, id: string) => void;
  checkHead: (path: string, layer: number, head: number) => void;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const objects = (x: unknown): Array<Record<string, unknown>> => (Array.isArray(x) ? x.filter(isObj) : []);

/** score (nullable) against a formula's result (nullable). */
function expectScore(path: string, score: number | null, want: number | null, formula: string): void {
  if (want === null || score === null) expect(want === score, `${path}.score: ${score} but ${formula} = ${want}`);
  else expectClose(`${path}.score`, score, want, formula);
}

/** Entries `{node}` of a figure list must be circuit nodes. */
function nodesInCircuit(path: string, list: unknown, ctx: FigureContext): void {
  objects(list).forEach((e, i) => {
    if (typeof e.node === 'string') ctx.inCircuit(`${path}[${i}].node`, e.node);
  });
}

const FIGURES: Record<string, (c: CheckResult, path: string, ctx: FigureContext) => void> = {
  size(c, path, ctx) {
    const f = c.figures;
    if (isNum(f.n_star)) {
      expect(f.n_star === ctx.circuitSize, `${path}.figures.n_star: ${f.n_star} does not equal circuit.size = ${ctx.circuitSize}`);
      if (isNum(f.fraction)) expectClose(`${path}.figures.fraction`, f.fraction, f.n_star / ctx.total, 'n_star / total_nodes');
    }
    if (isNum(f.total_nodes)) expect(f.total_nodes === ctx.total, `${path}.figures.total_nodes: ${f.total_nodes} does not equal circuit.total_nodes = ${ctx.total}`);
    const points = objects(f.points).filter((p) => isNum(p.size) && isNum(p.loss)) as Array<{ size: number; loss: number }>;
    if (Array.isArray(f.points) && Array.isArray(f.pareto) && points.length === f.points.length) {
      const front = paretoFront(points);
      const pareto = objects(f.pareto);
      expect(pareto.length === front.length, `${path}.figures.pareto: ${pareto.length} points but the Pareto front of points has ${front.length}`);
      pareto.forEach((p, i) => {
        const ok = p.size === front[i].size && isNum(p.loss) && close(p.loss, front[i].loss);
        expect(ok, `${path}.figures.pareto[${i}]: (${String(p.size)}, ${String(p.loss)}) does not equal the Pareto front's (${front[i].size}, ${show(front[i].loss)})`);
      });
    }
  },
  nonsense(c, path, ctx) {
    const f = c.figures;
    const budgets = objects(f.budgets).filter((b) => isNum(b.L_circ) && isNum(b.L_rand)) as Array<{ L_circ: number; L_rand: number }>;
    if (Array.isArray(f.budgets) && budgets.length === f.budgets.length && budgets.length > 0 && isNum(f.target)) {
      expectScore(path, c.score, nonsenseResistanceOverBudgets(budgets, f.target), 'mean over budgets of clamp((L_circ(B) − target)/(L_rand(B) − target), 0, 1)');
    }
    if (typeof f.degenerate === 'boolean') expect(f.degenerate === (c.score === null), `${path}.figures.degenerate: ${f.degenerate} but score is ${c.score}`);
    if (isNum(f.budget)) {
      expect(f.budget <= ctx.total, `${path}.figures.budget: ${f.budget} exceeds total_nodes = ${ctx.total}`);
      if (isNum(f.circuit_size)) expect(f.circuit_size <= f.budget, `${path}.figures.circuit_size: ${f.circuit_size} exceeds the budget ${f.budget}`);
    }
  },
  'same-gender'(c, path) {
    const f = c.figures;
    if (!isNum(f.P_circ) || !isNum(f.P_model)) return;
    expectScore(path, c.score, sameGenderScore(f.P_circ, f.P_model), 'clamp((P_circ − 0.5)/(P_model − 0.5), 0, 1)');
    if (typeof f.bad_circuit === 'boolean') expect(f.bad_circuit === f.P_circ < 0.5, `${path}.figures.bad_circuit: ${f.bad_circuit} but P_circ = ${show(f.P_circ)}`);
    const P_random = Array.isArray(f.P_random) ? f.P_random : null;
    if (c.random && P_random && P_random.length === c.random.scores.length && P_random.every(isNum)) {
      c.random.scores.forEach((s, i) => expectClose(`${path}.random.scores[${i}]`, s, sameGenderScore(P_random[i] as number, f.P_model as number), 'the same formula of P_random'));
    }
  },
  roles(c, path, ctx) {
    const f = c.figures;
    nodesInCircuit(`${path}.figures.per_node`, f.per_node, ctx);
    const heads = objects(f.attention_js);
    heads.forEach((h, i) => {
      if (isNum(h.layer) && isNum(h.head)) ctx.checkHead(`${path}.figures.attention_js[${i}]`, h.layer, h.head);
    });
    // with every judged node stored, the score and its summaries follow from the per-node r
    const perNode = objects(f.per_node);
    const rs = perNode.map((p) => p.r);
    const js = heads.map((h) => h.js);
    if (!Array.isArray(f.per_node) || perNode.length !== f.judged_nodes || !rs.every((r) => r === null || isNum(r)) || !js.every(isNum)) return;
    const defined = rs.filter(isNum);
    if (f.mean_r === null || isNum(f.mean_r)) {
      const want = defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : null;
      if (want === null || f.mean_r === null) expect(want === f.mean_r, `${path}.figures.mean_r: ${f.mean_r} but the mean of the defined per-node r is ${want}`);
      else expectClose(`${path}.figures.mean_r`, f.mean_r, want, 'the mean of the defined per-node r');
    }
    if (isNum(f.flipped_share)) expectClose(`${path}.figures.flipped_share`, f.flipped_share, defined.length ? defined.filter((r) => r < 0).length / defined.length : 0, 'the share of per-node r < 0');
    expectScore(path, c.score, rolesScore(rs as Array<number | null>, js as number[]), 'rolesScore(per_node r, attention_js)');
  },
  adversary(c, path) {
    const f = c.figures;
    if (isNum(f.worst_acc) && isNum(f.acc_model)) expectScore(path, c.score, adversaryScore(f.worst_acc, f.acc_model), 'clamp((worst_acc − 0.5)/(acc_model − 0.5), 0, 1)');
  },
  minimality(c, path, ctx) {
    nodesInCircuit(`${path}.figures.rises`, c.figures.rises, ctx);
  },
  mib(c, path, ctx) {
    const f = c.figures;
    const curve = objects(f.curve).filter((p) => isNum(p.k) && isNum(p.f)) as Array<{ k: number; f: number }>;
    if (!Array.isArray(f.curve) || curve.length !== f.curve.length) return;
    curve.forEach((p, i) => expect(p.k <= ctx.total, `${path}.figures.curve[${i}].k: ${p.k} exceeds total_nodes = ${ctx.total}`));
    const areas = mibAreas(curve, ctx.total);
    if (isNum(f.cpr)) expectClose(`${path}.figures.cpr`, f.cpr, areas.cpr, 'the area under f');
    if (isNum(f.cmd)) expectClose(`${path}.figures.cmd`, f.cmd, areas.cmd, 'the area of |1 − f|');
  },
};

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

/** What a bundle is compared with beyond itself: the server passes the checks its stored results declare. */
export interface BundleReference {
  /** A submitted check id that the stored results know must declare the same role (a run may not
   *  turn a check that counts into a report, or a control into a lifted check). */
  columns?: readonly CheckColumn[];
}

/** Schema, per-run consistency, bundle coherence and the bundled aggregate. */
export function verifyBundle(value: unknown, reference: BundleReference = {}): Verdict<SubmissionBundle> {
  const parsed = SubmissionBundleSchema.safeParse(value);
  if (!parsed.success) return schemaFailure(parsed.error);
  const bundle = parsed.data;
  const seen = new Map<string, number>();
  const declared = new Map<string, { role: CheckColumn['role']; title: string; at: number }>();
  const stored = new Map((reference.columns ?? []).map((c) => [c.id, c]));
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
    // checks are data: every run of the bundle must declare a check id with one title and role,
    // and the role the stored results give it
    for (const [id, c] of Object.entries(run.checks)) {
      const first = declared.get(id);
      if (first && first.role !== c.role) return failure('consistency', `results[${i}].checks.${id}.role`, `"${c.role}" but results[${first.at}] declares "${first.role}"`);
      if (first && first.title !== c.title) return failure('consistency', `results[${i}].checks.${id}.title`, `${JSON.stringify(c.title)} but results[${first.at}] declares ${JSON.stringify(first.title)}`);
      if (!first) declared.set(id, { role: c.role, title: c.title, at: i });
      const known = stored.get(id);
      if (known && known.role !== c.role) return failure('consistency', `results[${i}].checks.${id}.role`, `"${c.role}" but the stored results declare "${known.role}"`);
    }
  }
  if (bundle.aggregate) {
    const { resamples, level, seed } = bundle.aggregate.bootstrap;
    const recomputed = aggregate(bundle.results, { resamples, level, seed });
    const d = firstDifference(bundle.aggregate, recomputed, 'aggregate');
    if (d) return consistencyFailure(d);
  }
  return { ok: true, value: bundle };
}
