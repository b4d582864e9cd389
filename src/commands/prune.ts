import type { Command } from 'commander';
import { resolve } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { initBackend } from '../engine/backend.ts';
import { loadModel } from '../engine/modelio.ts';
import { parseCorpusVersion } from '../corpus/versions.ts';
import { loadMethod } from '../methods/registry.ts';
import { prune } from '../methods/prune.ts';
import { readCircuitFile } from '../methods/circuit.ts';
import { loadTask } from '../tasks/index.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { progressBar } from '../util/progress.ts';
import { UserError } from '../util/errors.ts';
import { SITES } from '../engine/model.ts';
import { loadFilterModel } from './shared.ts';

function parseJsonOption(text: string | undefined, flag: string): unknown {
  if (text === undefined) return {};
  const src = existsSync(text) ? readFileSync(text, 'utf8') : text;
  try {
    return JSON.parse(src);
  } catch {
    throw new UserError(`${flag} must be JSON or a path to a JSON file`);
  }
}

export function parseSeed(s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isInteger(n) || n < 0) throw new UserError(`--seed must be a non-negative integer, got "${s}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('prune')
    .description('learn a circuit for (method, model, task, seed) and write a circuit file')
    .requiredOption('--method <id|file>', 'built-in method id or a path to a method plugin (.ts/.js)')
    .requiredOption('--model <id|file>', 'zoo model id or checkpoint path')
    .requiredOption('--task <id|file>', 'built-in task id or a path to a task plugin (.ts/.js)')
    .option('--seed <n>', 'seed', '0')
    .option('--options <json|file>', "method options (validated by the method's schema)")
    .option('--out <file>', 'circuit file (default circuits/<method>-<model>-<task>-s<seed>.json)')
    .option('--quiet', 'no progress output')
    .option('--corpus <v>', 'refuse a checkpoint trained on another corpus version than this one')
    .action(async (opts: { method: string; model: string; task: string; seed: string; options?: string; out?: string; quiet?: boolean; corpus?: string }) => {
      const seed = parseSeed(opts.seed);
      const options = parseJsonOption(opts.options, '--options');
      const task = await loadTask(opts.task);
      const method = await loadMethod(opts.method);
      const info = await initBackend();
      const model = loadModel(opts.model, opts.corpus === undefined ? {} : { corpus: parseCorpusVersion(opts.corpus, '--corpus') });
      loadFilterModel();
      if (!opts.quiet) process.stderr.write(`backend: ${info.name}; pruning ${model.id} on ${task.id} with ${method.id} (seed ${seed})\n`);
      let bar: ReturnType<typeof progressBar> | undefined;
      const circuit = await prune({
        method,
        options,
        model,
        taskId: task.id,
        seed,
        onProgress: (done, total, extra) => {
          bar ??= progressBar(`prune ${method.id}`, total, { quiet: opts.quiet });
          bar.update(done, extra);
        },
      });
      bar?.stop();
      // nothing a method reports is trusted: a discover circuit above the target on held-out prompts
      // is refused; a learned one is written but flagged (the suite keeps flagged circuits out of scores)
      const failed = `${circuit.size}-node circuit has loss ${circuit.verification.loss.toFixed(4)} on ${circuit.verification.prompts} held-out test prompts, above the target ${circuit.target_loss}`;
      if (!circuit.verification.passed && method.kind === 'mask-learner') process.stderr.write(`warning: flagged: the ${failed}\n`);
      if (!circuit.verification.passed && method.kind === 'discover') {
        throw new UserError(`method "${method.id}" gave a ${circuit.size}-node circuit whose loss on ${circuit.verification.prompts} held-out test prompts is ${circuit.verification.loss.toFixed(4)}, above the target ${circuit.target_loss}${circuit.reported_loss !== null ? ` (it reported ${circuit.reported_loss.toFixed(4)})` : ''}; no circuit file written`);
      }
      const out = resolve(opts.out ?? `circuits/${method.id}-${model.id}-${task.id}-s${seed}.json`);
      writeJsonAtomic(out, circuit);
      process.stdout.write(`circuit: ${circuit.size} of ${circuit.total_nodes} nodes (${((100 * circuit.size) / circuit.total_nodes).toFixed(2)}%), validation loss ${circuit.validation_loss.toFixed(4)}, test loss ${circuit.verification.loss.toFixed(4)} (target ${circuit.target_loss})${circuit.lambda !== null ? `, λ ${circuit.lambda.toExponential(2)}` : ''}${circuit.scan && !circuit.scan.monotone ? ', loss along the ranking is NOT monotone' : ''} → ${out}\n`);
    });

  const circuit = program.command('circuit').description('inspect circuit files');
  circuit
    .command('show <file>')
    .description('summarise a circuit by layer and site')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }) => {
      const c = readCircuitFile(file);
      const counts = new Map<string, number>();
      for (const id of c.nodes) {
        const m = /^L(\d+)\.([a-z_]+)\.(\d+)$/.exec(id);
        if (!m) throw new UserError(`circuit file ${file}: malformed node id "${id}"`);
        const key = `L${m[1]}.${m[2]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const summary = {
        method: c.method.id,
        model: c.model.id,
        task: c.task,
        seed: c.seed,
        size: c.size,
        total_nodes: c.total_nodes,
        fraction: c.size / c.total_nodes,
        validation_loss: c.validation_loss,
        test_loss: c.verification.loss,
        ablation: c.ablation,
        frozen_norms: c.frozen_norms,
        by_site: Object.fromEntries(counts),
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        return;
      }
      process.stdout.write(`${c.method.id} on ${c.model.id} / ${c.task} (seed ${c.seed}): ${c.size} of ${c.total_nodes} nodes, test loss ${c.verification.loss.toFixed(4)}, ${c.ablation} ablation${c.frozen_norms ? ', frozen norms' : ''}\n`);
      const layers = [...new Set([...counts.keys()].map((k) => k.split('.')[0]))].sort();
      for (const l of layers) {
        const row = SITES.map((s) => `${s} ${counts.get(`${l}.${s}`) ?? 0}`).join('  ');
        process.stdout.write(`  ${l}: ${row}\n`);
      }
    });
}
