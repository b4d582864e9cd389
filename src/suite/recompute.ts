// Recomputing a submitted run (DESIGN.md §7): the submitted circuit and its blind nonsense circuit
// are verified and judged on THIS machine's zoo model and prompts, by evaluateCircuit — the code
// the suite judges its own circuits with. Nothing submitted is executed: a submission is data (node
// ids, an ablation), and every id is checked against the loaded model again here.
import { prepareMeans } from '../model/means.ts';
import { currentBackend } from '../engine/backend.ts';
import { allNodeIds } from '../engine/model.ts';
import { ZOO_IDS } from '../engine/zoo.ts';
import { modelCorpus, type LoadedModel } from '../engine/modelio.ts';
import { listMethods, loadMethod } from '../methods/registry.ts';
import { circuitLossOn, VALIDATION_PROMPTS, VERIFY_PROMPTS } from '../methods/prune.ts';
import { CIRCUIT_SCHEMA_VERSION, type CircuitFile } from '../methods/circuit.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import { loadTask } from '../tasks/load.ts';
import { BUILTIN_TASK_IDS } from '../tasks/builtin.ts';
import { PACKAGE_VERSION, gitCommit } from '../util/provenance.ts';
import { SCHEMA_VERSION, SCORING_VERSION, computeRunId, type ModelInfo, type RunResult } from '../results/schema.ts';
import { checkSubmission, circuitHash, submittedRunMethod, type Submission, type SubmissionContext, type SubmittedCircuit, type SubmittedRun } from '../results/submission.ts';
import { cachedModel, evaluateCircuit, modelInfo } from './run.ts';
import { NONSENSE_TASK } from './checks/2-nonsense.ts';
import type { SuiteSettings } from './presets.ts';

/** One run of a submission to recompute: plain data, so it crosses a worker boundary as is. */
export interface RecomputeJob {
  submission: Pick<Submission, 'method'>;
  run: SubmittedRun;
  settings: SuiteSettings;
}

/** This machine's zoo (the checkpoints present), the tasks a submission may be scored on, and the reserved ids. */
export async function describeJudge(): Promise<SubmissionContext> {
  await loadMethod('zero'); // registers the built-ins
  const models: ModelInfo[] = [];
  for (const id of ZOO_IDS) {
    try {
      models.push(modelInfo(cachedModel(id)));
    } catch {
      // a zoo model without a checkpoint here is simply not offered
    }
  }
  return { models, tasks: BUILTIN_TASK_IDS.filter((t) => t !== NONSENSE_TASK), reserved: listMethods().map((m) => m.id) };
}

/** The submitted circuit as a CircuitFile, with the harness's own validation and held-out test losses. */
async function verified(model: LoadedModel, taskId: string, c: SubmittedCircuit, target: number, seed: number, method: RunResult['method']): Promise<CircuitFile> {
  const setup = { ablation: c.ablation, frozenNorms: c.frozen_norms };
  const val = taskPrompts(taskId, 'validation', { seed: 0, limit: VALIDATION_PROMPTS, corpus: modelCorpus(model) });
  const test = taskPrompts(taskId, 'test', { seed: 0, limit: VERIFY_PROMPTS, corpus: modelCorpus(model) });
  const valLoss = await circuitLossOn(model, taskId, setup, c.nodes, val);
  const testLoss = await circuitLossOn(model, taskId, setup, c.nodes, test);
  const b = currentBackend();
  return {
    schema_version: CIRCUIT_SCHEMA_VERSION,
    kind: 'faithbench-circuit',
    method: { id: method.id, kind: method.kind === 'discover' ? 'discover' : 'mask-learner', options: {} },
    model: { id: model.id, hash: model.hash },
    task: taskId,
    seed,
    ablation: c.ablation,
    frozen_norms: c.frozen_norms,
    nodes: c.nodes,
    size: c.nodes.length,
    total_nodes: allNodeIds(model.cfg).length,
    ranking: c.ranking,
    target_loss: target,
    reported_loss: null,
    validation_loss: valLoss,
    verification: { split: 'test', prompts: test.length, loss: testLoss, target, passed: testLoss <= target },
    scan: null,
    lambda: null,
    learn_curve: [],
    provenance: { backend: b.name, tfjs_version: b.tfjsVersion, package_version: PACKAGE_VERSION, git_commit: gitCommit(), wall_time_s: 0, date: new Date().toISOString() },
  };
}

export async function recomputeRun(job: RecomputeJob, onProgress?: (msg: string) => void): Promise<RunResult> {
  const t0 = Date.now();
  const { run, settings } = job;
  const model = cachedModel(run.model);
  // the queue validated this job; the judge does again, against the model it actually loaded
  const problem = checkSubmission({ method: job.submission.method, runs: [run] }, { models: [modelInfo(model)], tasks: [run.task], reserved: [] });
  if (problem) throw new Error(`${problem.path}: ${problem.message}`);
  const task = await loadTask(run.task);
  const method = submittedRunMethod(job.submission.method);
  const target = settings.targetLoss;
  const say = (m: string) => onProgress?.(`${method.id}/${model.id}/${task.id}/s${run.seed}: ${m}`);
  await prepareMeans(model);
  say('verifying the submitted circuits');
  const circuit = await verified(model, task.id, run.circuit, target, run.seed, method);
  const nonsense = await verified(model, NONSENSE_TASK, run.nonsense, target, run.seed, method);
  const recordedSettings = { ...settings, submission: { circuit: circuitHash(run) } };
  const runId = computeRunId({
    schema_version: SCHEMA_VERSION,
    scoring_version: SCORING_VERSION,
    method: { id: method.id, options: method.options },
    model: { id: model.id, hash: model.hash },
    task: task.id,
    seed: run.seed,
    settings: recordedSettings,
  });
  return evaluateCircuit({
    runId,
    method,
    model,
    task,
    seed: run.seed,
    settings,
    recordedSettings,
    circuit,
    blind: async (taskId) => {
      if (taskId !== NONSENSE_TASK) throw new Error(`a submission carries no blind circuit for task "${taskId}"`);
      return nonsense;
    },
    say,
    t0,
  });
}
