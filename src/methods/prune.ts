// One pruning run: a method on (model, task, seed) → a circuit. Mask-learner methods go
// through the shared learner and bisection; discover methods return their own circuit,
// which is validated (every node id must exist in the model).
import { allNodeIds, parseNodeId } from '../engine/model.ts';
import type { LoadedModel } from '../engine/modelio.ts';
import { currentBackend } from '../engine/backend.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import { UserError } from '../util/errors.ts';
import { PACKAGE_VERSION, gitCommit } from '../util/provenance.ts';
import { AblationRunner, learnMask, bisectCount, topNKeep, type LearnerOptions } from './learner.ts';
import { parseOptions } from './registry.ts';
import { CIRCUIT_SCHEMA_VERSION, type CircuitFile } from './circuit.ts';
import type { Method, DiscoveredCircuit } from './types.ts';

export const TRAIN_PROMPTS = 512;
export const VALIDATION_PROMPTS = 128;

export interface PruneRequest {
  method: Method;
  options: unknown;
  model: LoadedModel;
  taskId: string;
  seed: number;
  onProgress?: (done: number, total: number, info: string) => void;
}

/** Smallest top-ranked prefix meeting the target (bisection), given a ranking. */
export function discretize(model: LoadedModel, taskId: string, runner: AblationRunner, ranking: readonly string[], target: number) {
  const ids = allNodeIds(model.cfg);
  const index = new Map(ids.map((id, i) => [id, i]));
  const rankIdx = ranking.map((id) => index.get(id)!);
  const val = taskPrompts(taskId, 'validation', { seed: 0, limit: VALIDATION_PROMPTS });
  return bisectCount((n) => runner.evaluate(taskId, val, topNKeep(rankIdx, ids.length, n)).loss, ids.length, target);
}

export async function prune(req: PruneRequest): Promise<CircuitFile> {
  const t0 = Date.now();
  const { method, model, taskId, seed } = req;
  const options = parseOptions(method, req.options);
  const train = taskPrompts(taskId, 'train', { seed, limit: TRAIN_PROMPTS });
  if (train.length === 0) throw new UserError(`task "${taskId}" has no training prompts for model ${model.id}`);
  const ids = allNodeIds(model.cfg);
  let circuit: DiscoveredCircuit;
  let curve: CircuitFile['learn_curve'] = [];
  let probes: CircuitFile['probes'] = [];
  let target: number;

  if (method.kind === 'mask-learner') {
    const o = options as unknown as LearnerOptions;
    target = o.targetLoss;
    const scheme = method.scheme(options);
    const learned = learnMask(model, taskId, train, scheme, o, seed, (step, loss, size) =>
      req.onProgress?.(step + 1, o.steps, `loss ${loss.toFixed(3)} size ${size}`),
    );
    curve = learned.curve;
    const runner = new AblationRunner(model, scheme);
    const d = discretize(model, taskId, runner, learned.ranking, target);
    probes = d.probes;
    circuit = {
      nodes: learned.ranking.slice(0, d.size),
      ranking: learned.ranking,
      ablation: scheme.ablation,
      frozenNorms: scheme.frozenNorms,
      nominalLoss: d.loss,
    };
  } else {
    const o = options as { targetLoss?: number; steps?: number };
    target = o.targetLoss ?? 0.15;
    const val = taskPrompts(taskId, 'validation', { seed: 0, limit: VALIDATION_PROMPTS });
    const index = new Map(ids.map((id, i) => [id, i]));
    circuit = await method.discover(model, taskId, { targetLoss: target, steps: o.steps ?? 300, seed }, options, {
      trainPrompts: train,
      validationPrompts: val,
      circuitLoss: (nodes, ablation, frozenNorms) => {
        const keep = new Float32Array(ids.length);
        for (const n of nodes) keep[index.get(n)!] = 1;
        return new AblationRunner(model, { ablation, frozenNorms }).evaluate(taskId, val, keep).loss;
      },
      log: (msg) => req.onProgress?.(0, 1, msg),
    });
    for (const list of [circuit.nodes, circuit.ranking]) {
      const bad = list.find((n) => !parseNodeId(model.cfg, n));
      if (bad !== undefined) throw new UserError(`method "${method.id}" returned node id "${bad}", which does not exist in model ${model.id}`);
    }
    if (new Set(circuit.nodes).size !== circuit.nodes.length) throw new UserError(`method "${method.id}" returned duplicate node ids`);
  }
  const b = currentBackend();
  return {
    schema_version: CIRCUIT_SCHEMA_VERSION,
    kind: 'faithbench-circuit',
    method: { id: method.id, kind: method.kind, options },
    model: { id: model.id, hash: model.hash },
    task: taskId,
    seed,
    ablation: circuit.ablation,
    frozen_norms: circuit.frozenNorms,
    nodes: circuit.nodes,
    size: circuit.nodes.length,
    total_nodes: ids.length,
    ranking: circuit.ranking,
    target_loss: target,
    nominal_loss: circuit.nominalLoss,
    probes,
    learn_curve: curve,
    provenance: {
      backend: b.name,
      tfjs_version: b.tfjsVersion,
      package_version: PACKAGE_VERSION,
      git_commit: gitCommit(),
      wall_time_s: (Date.now() - t0) / 1000,
      date: new Date().toISOString(),
    },
  };
}
