// One suite run: (method, model, task, seed) → a validated RunResult. Learns the circuit
// (verified on the test split by prune), then runs every registered check that applies to
// the task, with size-matched random circuits for the lifted ones, and computes the
// overall with the one scoring function. Nothing here knows a task or a check by id.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { currentBackend } from '../engine/backend.ts';
import { loadModel, modelCorpus, type LoadedModel } from '../engine/modelio.ts';
import { siteWidth, SITES } from '../engine/model.ts';
import { REPO_ROOT } from '../engine/zoo.ts';
import { loadMethod, parseOptions } from '../methods/registry.ts';
import { prune, SCAN_MARGIN, VALIDATION_PROMPTS, type PruneRequest } from '../methods/prune.ts';
import { CircuitFile } from '../methods/circuit.ts';
import type { Method } from '../methods/types.ts';
import { AblationRunner } from '../model/ablation.ts';
import { prepareMeans } from '../model/means.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import { loadTask } from '../tasks/load.ts';
import type { Task } from '../tasks/define.ts';
import { pluginSource } from '../plugins/load.ts';
import { decode } from '../corpus/index.ts';
import { PACKAGE_VERSION, gitCommit } from '../util/provenance.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { RunResultSchema, SCHEMA_VERSION, SCORING_VERSION, computeRunId, formatZodIssue, canonicalJson, type RunResult, type ModelInfo, type CheckResult } from '../results/schema.ts';
import { checkValue, runOverall } from '../results/scoring.ts';
import { CircuitUnderTest, sizeMatchedNull, NULL_TRIES, type SizeMatchedNull } from './circuit.ts';
import { circuitEdges } from './viewer.ts';
import { loadChecks, type CheckContext } from './checks/registry.ts';
import type { SuiteSettings } from './presets.ts';

export interface RunSpec {
  method: string; // id or plugin path
  model: string;
  task: string;
  seed: number;
  settings: SuiteSettings;
  /** where learned circuits are cached (default <repo>/.cache/circuits); not part of the run id */
  circuitCacheDir?: string;
}

export function modelInfo(m: LoadedModel): ModelInfo {
  return {
    id: m.id,
    hash: m.hash,
    n_layers: m.cfg.nLayers,
    n_heads: m.cfg.nHeads,
    d_head: m.cfg.dHead,
    site_widths: Object.fromEntries(SITES.map((s) => [s, siteWidth(m.cfg, s)])) as ModelInfo['site_widths'],
  };
}

/** The method's options as the suite runs them: the preset's learner overrides for mask learners, its target for all. */
export function suiteOptions(method: Method, settings: SuiteSettings): Record<string, unknown> {
  const base = method.kind === 'mask-learner' ? { ...settings.learner, targetLoss: settings.targetLoss } : { targetLoss: settings.targetLoss };
  // a discover method whose schema has no targetLoss gets none
  const shape = (method.options as { shape?: Record<string, unknown> }).shape;
  if (method.kind === 'discover' && shape && !('targetLoss' in shape)) return parseOptions(method, {});
  return parseOptions(method, base);
}

/** Content hashes of plugin code (method, task): an edited plugin is a new input, never a cached run. */
function pluginSources(method: Method, task: Task): Record<string, string> {
  const out: Record<string, string> = {};
  const m = pluginSource(method)?.sourceHash;
  const t = pluginSource(task)?.sourceHash;
  if (m) out.method_source = m;
  if (t) out.task_source = t;
  return out;
}

/** The settings a run records (and its id hashes): the preset's, plus plugin code hashes when any. */
export function runSettings(spec: RunSpec, method: Method, task: Task): Record<string, unknown> {
  const sources = pluginSources(method, task);
  return { ...(spec.settings as unknown as Record<string, unknown>), ...(Object.keys(sources).length ? { plugin_sources: sources } : {}) };
}

export function runIdFor(spec: RunSpec, method: Method, model: LoadedModel, task: Task): string {
  return computeRunId({
    schema_version: SCHEMA_VERSION,
    scoring_version: SCORING_VERSION,
    method: { id: method.id, options: suiteOptions(method, spec.settings) },
    model: { id: model.id, hash: model.hash },
    task: task.id,
    seed: spec.seed,
    settings: runSettings(spec, method, task),
  });
}

export const CIRCUIT_CACHE_DIR = resolve(REPO_ROOT, '.cache', 'circuits');

const modelCache = new Map<string, LoadedModel>();
export function cachedModel(id: string): LoadedModel {
  let m = modelCache.get(id);
  if (!m) modelCache.set(id, (m = loadModel(id)));
  return m;
}

/**
 * A circuit, learned once: cached on disk by a hash of everything that determines it,
 * plugin code included (so the pronoun and IOI runs share the blind nonsense circuit, and
 * a killed suite loses no learning).
 */
async function cachedPrune(method: Method, options: Record<string, unknown>, model: LoadedModel, task: Task, seed: number, cacheDir: string, onProgress?: (m: string) => void): Promise<CircuitFile> {
  const taskId = task.id;
  const sources = pluginSources(method, task);
  // a mask learner's entry is keyed by what determines the learning (its scan is redone below when
  // the discretisation rule changed); a discover method's entry also by the scan margin it was cut at.
  // A circuit is what its backend computed: another backend (webgpu) learns its own (wasm keys unchanged)
  const backend = currentBackend().name;
  const inputs = { v: 2, method: method.id, options, model: model.hash, task: taskId, seed, ...(Object.keys(sources).length ? { sources } : {}), ...(method.kind === 'discover' ? { scanMargin: SCAN_MARGIN } : {}), ...(backend !== 'wasm' ? { backend } : {}) };
  const key = createHash('sha256').update(canonicalJson(inputs)).digest('hex').slice(0, 24);
  const file = resolve(cacheDir, `${method.id}-${taskId}-s${seed}-${key}.json`);
  let learned: PruneRequest['learned'];
  if (existsSync(file)) {
    try {
      const parsed = CircuitFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success && parsed.data.model.hash === model.hash) {
        const c = parsed.data;
        // discretised by this version's rule: use as is
        if (method.kind === 'discover' || c.scan?.target === c.target_loss * SCAN_MARGIN) return c;
        // learned under an older discretisation rule: keep the learning, redo the scan and verification
        if (method.kind === 'mask-learner') learned = { ranking: c.ranking, curve: c.learn_curve, lambda: c.lambda };
      }
    } catch {
      // a damaged cache entry is recomputed
    }
  }
  let last = 0;
  const circuit = await prune({
    method, options, model, taskId, seed, learned,
    onProgress: (done, total, info) => {
      if (Date.now() - last > 5000) (last = Date.now()), onProgress?.(`${taskId} ${done}/${total} ${info}`);
    },
  });
  writeJsonAtomic(file, circuit);
  return circuit;
}

export async function runOne(spec: RunSpec, onProgress?: (msg: string) => void): Promise<RunResult> {
  const t0 = Date.now();
  const method = await loadMethod(spec.method);
  const model = cachedModel(spec.model);
  // a task plugin is loaded again in this (worker) thread: each thread has its own registry
  const task = await loadTask(spec.task);
  const options = suiteOptions(method, spec.settings);
  const s = spec.settings;
  const say = (m: string) => onProgress?.(`${method.id}/${model.id}/${task.id}/s${spec.seed}: ${m}`);

  await prepareMeans(model);
  say('learning circuit');
  const cacheDir = spec.circuitCacheDir ?? CIRCUIT_CACHE_DIR;
  const circuit = await cachedPrune(method, options, model, task, spec.seed, cacheDir, say);
  return evaluateCircuit({
    runId: runIdFor(spec, method, model, task),
    method: {
      id: method.id,
      kind: method.kind === 'mask-learner' ? ('ablation-scheme' as const) : ('discover' as const),
      options: JSON.parse(JSON.stringify(options)) as Record<string, never>,
      description: method.description,
      ...(method.paperUrl ? { paper_url: method.paperUrl } : {}),
      ...(method.baseline ? { baseline: true } : {}),
    },
    model,
    task,
    seed: spec.seed,
    settings: s,
    recordedSettings: runSettings(spec, method, task),
    circuit,
    blind: async (taskId) => cachedPrune(method, options, model, await loadTask(taskId), spec.seed, cacheDir, say),
    say,
    t0,
  });
}

/** Everything a circuit is judged with: the run's identity, its settings, the circuit and its blind control. */
export interface CircuitEvaluation {
  runId: string;
  method: RunResult['method'];
  model: LoadedModel;
  task: Task;
  seed: number;
  /** what the checks run with */
  settings: SuiteSettings;
  /** what the run records (and its id hashes) */
  recordedSettings: Record<string, unknown>;
  /** the circuit, verified on the test split (a failed verification flags the run) */
  circuit: CircuitFile;
  /** the same method's circuit on another task, found blind (the nonsense control) */
  blind: (taskId: string) => Promise<CircuitFile>;
  say: (msg: string) => void;
  /** when the run started (Date.now()), for its wall time */
  t0: number;
}

/**
 * The second half of a run: every registered check on a given circuit, the overall, and the
 * validated RunResult. The suite passes the circuit it learned; the submission server passes a
 * submitted one (src/suite/recompute.ts), so both are judged by the same code.
 */
export async function evaluateCircuit(e: CircuitEvaluation): Promise<RunResult> {
  const { model, task, circuit, say, t0 } = e;
  const s = e.settings;
  const spec = { seed: e.seed };
  await prepareMeans(model); // μ for mean ablation, once per model and thread
  const runner = new AblationRunner(model, { ablation: circuit.ablation, frozenNorms: circuit.frozen_norms });
  const cut = new CircuitUnderTest(model, runner, circuit.nodes, circuit.ranking);
  const test = taskPrompts(task.id, 'test', { seed: spec.seed, limit: s.testPrompts, corpus: modelCorpus(model) });
  const circuitEval = await cut.evaluate(task.id, test, cut.keep);
  const flagged = !circuit.verification.passed;

  const checks: Record<string, CheckResult> = {};
  let viewer: RunResult['viewer'] = null;
  let nul: SizeMatchedNull | null = null;
  if (!flagged) {
    // the size-matched random circuits, conditioned on passing the circuit's own validation target where random circuits of its size can
    const val = taskPrompts(task.id, 'validation', { seed: 0, limit: VALIDATION_PROMPTS, corpus: modelCorpus(model) });
    const scanTarget = circuit.scan?.target ?? circuit.target_loss * SCAN_MARGIN;
    nul = await sizeMatchedNull(cut.total, cut.size, s.randomDraws, spec.seed, NULL_TRIES, async (keep) => (await cut.evaluate(task.id, val, keep)).loss <= scanTarget);
    const ctx: CheckContext = {
      model,
      task,
      seed: spec.seed,
      settings: s,
      circuit: cut,
      randomKeeps: nul.keeps,
      test,
      prompts: (split) => taskPrompts(task.id, split, { seed: spec.seed, limit: s.testPrompts, corpus: modelCorpus(model) }),
      blind: e.blind,
      say,
    };
    for (const check of await loadChecks()) {
      if (!check.appliesTo(task) || (s.checks && !s.checks.includes(check.id))) continue;
      say(check.id);
      const out = await check.run(ctx);
      const figures = { ...out.figures };
      if (figures.viewer) {
        const v = figures.viewer as { activations: NonNullable<RunResult['viewer']>['activations']; attention: NonNullable<RunResult['viewer']>['attention'] };
        const viewPrompts = test.slice(0, 8);
        viewer = { prompts: viewPrompts.map((p) => p.text), tokens: viewPrompts.map((p) => decode(p.ids)), activations: v.activations, attention: v.attention, edges: await circuitEdges(model, circuit.nodes) };
        delete figures.viewer;
      }
      const rs = out.randomScores ?? null;
      const randomMean = rs && rs.length ? rs.reduce((a, b) => a + b, 0) / rs.length : null;
      checks[check.id] = {
        title: check.title,
        role: check.role,
        score: out.score,
        random: rs ? { draws: rs.length, scores: rs, mean: randomMean! } : null,
        value: checkValue(check.role, out.score, rs),
        figures: JSON.parse(JSON.stringify(figures)) as CheckResult['figures'],
      };
    }
  }
  const b = currentBackend();
  const result = {
    schema_version: SCHEMA_VERSION,
    scoring_version: SCORING_VERSION,
    run_id: e.runId,
    method: e.method,
    model: modelInfo(model),
    task: task.id,
    seed: spec.seed,
    settings: JSON.parse(JSON.stringify(e.recordedSettings)) as Record<string, never>,
    circuit: {
      nodes: circuit.nodes,
      size: circuit.size,
      total_nodes: circuit.total_nodes,
      ablation: circuit.ablation,
      frozen_norms: circuit.frozen_norms,
      loss: circuitEval.loss,
      target_loss: circuit.target_loss,
      ranking: circuit.ranking,
      verification: { loss: circuit.verification.loss, prompts: circuit.verification.prompts, passed: circuit.verification.passed },
      validation_loss: circuit.validation_loss,
      lambda: circuit.lambda,
      monotone: circuit.scan ? circuit.scan.monotone : null,
      ...(nul ? { random_null: { kind: nul.kind, candidates: nul.candidates, passing: nul.passing } } : {}),
    },
    flagged,
    checks,
    overall: null as number | null,
    viewer,
    provenance: {
      backend: b.name,
      tfjs_version: b.tfjsVersion,
      package_version: PACKAGE_VERSION,
      git_commit: /^[0-9a-f]{7,40}$/.test(gitCommit()) ? gitCommit() : null,
      node_version: process.version,
      wall_time_s: (Date.now() - t0) / 1000,
      date: new Date().toISOString(),
      seeds: { run: spec.seed, mask_init: spec.seed, batch_order: spec.seed, adversary: spec.seed, prompts: spec.seed, random_circuits: spec.seed },
    },
  };
  result.overall = runOverall(result);
  const parsed = RunResultSchema.safeParse(result);
  if (!parsed.success) throw new Error(`internal: run result does not match the schema: ${formatZodIssue(parsed.error).line}`);
  return parsed.data;
}
