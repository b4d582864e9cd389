// One suite run: (method, model, task, seed) → a validated RunResult. Learns the circuit
// (and, for pronoun, the nonsense circuit with the same options), then runs every check
// that applies to the task.
import { currentBackend } from '../engine/backend.ts';
import { loadModel, type LoadedModel } from '../engine/modelio.ts';
import { siteWidth, SITES } from '../engine/model.ts';
import { loadMethod, parseOptions } from '../methods/registry.ts';
import { prune } from '../methods/prune.ts';
import { AblationRunner } from '../methods/learner.ts';
import type { Method } from '../methods/types.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import { decode } from '../corpus/index.ts';
import { PACKAGE_VERSION, gitCommit } from '../util/provenance.ts';
import { CircuitUnderTest, sizeCheck, nonsenseCheck, sameGenderCheck, rolesCheck, adversaryCheck, mibCheck, circuitEdges } from './checks.ts';
import { RunResultSchema, SCHEMA_VERSION, computeRunId, formatZodIssue, type RunResult, type ModelInfo } from './results-schema.ts';
import type { SuiteSettings } from './presets.ts';

export interface RunSpec {
  method: string; // id or plugin path
  model: string;
  task: string;
  seed: number;
  settings: SuiteSettings;
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

/** The method's options as the suite runs them: the preset's step count for mask learners. */
export function suiteOptions(method: Method, settings: SuiteSettings): Record<string, unknown> {
  return parseOptions(method, method.kind === 'mask-learner' ? { steps: settings.steps } : {});
}

export function runIdFor(spec: RunSpec, method: Method, model: LoadedModel): string {
  return computeRunId({
    schema_version: SCHEMA_VERSION,
    method: { id: method.id, options: suiteOptions(method, spec.settings) },
    model: { id: model.id, hash: model.hash },
    task: spec.task,
    seed: spec.seed,
    settings: spec.settings as unknown as Record<string, unknown>,
  });
}

const modelCache = new Map<string, LoadedModel>();
export function cachedModel(id: string): LoadedModel {
  let m = modelCache.get(id);
  if (!m) modelCache.set(id, (m = loadModel(id)));
  return m;
}

export async function runOne(spec: RunSpec, onProgress?: (msg: string) => void): Promise<RunResult> {
  const t0 = Date.now();
  const method = await loadMethod(spec.method);
  const model = cachedModel(spec.model);
  const options = suiteOptions(method, spec.settings);
  const s = spec.settings;
  const say = (m: string) => onProgress?.(`${method.id}/${model.id}/${spec.task}/s${spec.seed}: ${m}`);

  say('learning circuit');
  const circuit = await prune({ method, options, model, taskId: spec.task, seed: spec.seed });
  const runner = new AblationRunner(model, { ablation: circuit.ablation, frozenNorms: circuit.frozen_norms });
  const cut = new CircuitUnderTest(model, runner, circuit.nodes, circuit.ranking);
  const test = taskPrompts(spec.task, 'test', { seed: spec.seed, limit: s.testPrompts });
  const circuitEval = runner.evaluate(spec.task, test, cut.keep);

  say('loss vs size');
  const size = sizeCheck(cut, spec.task, test, s.gridPoints);
  let nonsense = null;
  if (spec.task === 'pronoun') {
    say('nonsense circuit');
    const nc = await prune({ method, options, model, taskId: 'nonsense', seed: spec.seed });
    const ncut = new CircuitUnderTest(model, runner, nc.nodes, nc.ranking);
    nonsense = nonsenseCheck(ncut, taskPrompts('nonsense', 'test', { seed: spec.seed, limit: s.testPrompts }), circuit.size, s.gridPoints);
  }
  const same_gender = spec.task === 'ioi' ? sameGenderCheck(cut, taskPrompts('ioi', 'same-gender', { seed: spec.seed, limit: s.testPrompts })) : null;
  say('node roles');
  const roles = rolesCheck(cut, test);
  say('adversary');
  const adversary = adversaryCheck(cut, spec.task, test, s.adversary, spec.seed);
  const mib = mibCheck(cut, spec.task, test, s.gridPoints);
  const viewPrompts = test.slice(0, 8);
  const b = currentBackend();
  const result = {
    schema_version: SCHEMA_VERSION,
    run_id: runIdFor(spec, method, model),
    method: {
      id: method.id,
      kind: method.kind === 'mask-learner' ? ('ablation-scheme' as const) : ('discover' as const),
      options: JSON.parse(JSON.stringify(options)) as Record<string, never>,
      description: method.description,
      ...(method.paperUrl ? { paper_url: method.paperUrl } : {}),
    },
    model: modelInfo(model),
    task: spec.task,
    seed: spec.seed,
    settings: JSON.parse(JSON.stringify(s)) as Record<string, never>,
    circuit: {
      nodes: circuit.nodes,
      size: circuit.size,
      total_nodes: circuit.total_nodes,
      ablation: circuit.ablation,
      frozen_norms: circuit.frozen_norms,
      loss: circuitEval.loss,
      target_loss: circuit.target_loss,
      ranking: circuit.ranking,
    },
    checks: { size, nonsense, same_gender, roles: roles.check, adversary, mib },
    viewer: {
      prompts: viewPrompts.map((p) => p.text),
      tokens: viewPrompts.map((p) => decode(p.ids)),
      activations: roles.viewer.activations,
      attention: roles.viewer.attention,
      edges: circuitEdges(model, circuit.nodes),
    },
    provenance: {
      backend: b.name,
      tfjs_version: b.tfjsVersion,
      package_version: PACKAGE_VERSION,
      git_commit: /^[0-9a-f]{7,40}$/.test(gitCommit()) ? gitCommit() : null,
      node_version: process.version,
      wall_time_s: (Date.now() - t0) / 1000,
      date: new Date().toISOString(),
      seeds: { run: spec.seed, mask_init: spec.seed, batch_order: spec.seed, adversary: spec.seed, prompts: spec.seed },
    },
  };
  const parsed = RunResultSchema.safeParse(result);
  if (!parsed.success) throw new Error(`internal: run result does not match the schema: ${formatZodIssue(parsed.error).line}`);
  return parsed.data;
}
