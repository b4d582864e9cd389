import type { Command } from 'commander';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { initBackend } from '../engine/backend.ts';
import { TrainConfig, train, configHash, corpusVersionOf } from '../engine/train.ts';
import { zooConfig, modelPath, REPO_ROOT, ZOO_IDS } from '../engine/zoo.ts';
import { saveModel } from '../engine/modelio.ts';
import { progressBar } from '../util/progress.ts';
import { UserError } from '../util/errors.ts';
import { positiveInt } from './shared.ts';
import { PACKAGE_VERSION } from '../util/provenance.ts';

function readConfig(path: string): TrainConfig {
  if (!existsSync(path)) throw new UserError(`config ${path}: file not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UserError(`config ${path}: not valid JSON`);
  }
  const parsed = TrainConfig.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UserError(`config ${path}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return parsed.data;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a reference model (resumable: interrupt with Ctrl-C and run again)')
    .option('--model <id>', `zoo model id (${ZOO_IDS.join(', ')})`)
    .option('--config <file>', 'a training config JSON instead of a zoo id')
    .option('--id <name>', 'model id to record (default: the zoo id or the config file name)')
    .option('--out <file>', 'checkpoint path (default: models/<id>.safetensors)')
    .option('--fresh', 'ignore saved resume state and start over')
    .option('--quiet', 'no progress output')
    .option('--threads <n>', 'data-parallel threads for the gradients (deterministic per count; a run resumes only with the count it started with)', '1')
    .action(async (opts: { model?: string; config?: string; id?: string; out?: string; fresh?: boolean; quiet?: boolean; threads: string }) => {
      if (!opts.model === !opts.config) throw new UserError('train needs exactly one of --model <id> or --config <file>');
      const threads = positiveInt('--threads', opts.threads);
      const cfg = opts.model ? zooConfig(opts.model) : readConfig(opts.config!);
      const id = opts.id ?? opts.model ?? opts.config!.replace(/^.*\//, '').replace(/\.json$/, '');
      const out = resolve(opts.out ?? modelPath(id));
      const statePath = resolve(REPO_ROOT, '.cache', 'train', `${id}-${configHash(cfg)}.state.safetensors`);
      if (opts.fresh) rmSync(statePath, { force: true });
      const info = await initBackend();
      if (!opts.quiet) process.stderr.write(`backend: ${info.name}; training ${id} for ${cfg.steps} steps${threads > 1 ? ` on ${threads} threads` : ''} on corpus v${corpusVersionOf(cfg)} → ${out}\n`);
      let stop = false;
      const onSig = () => {
        if (stop) process.exit(130);
        stop = true;
        process.stderr.write('\ninterrupt: saving resume state…\n');
      };
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
      const bar = progressBar(`train ${id}`, cfg.steps, { quiet: opts.quiet });
      const t0 = Date.now();
      let lastVal: number | undefined;
      const res = await train(cfg, {
        statePath,
        shouldStop: () => stop,
        threads,
        onProgress: (p) => {
          if (p.valLoss !== undefined) lastVal = p.valLoss;
          bar.update(p.step, `loss ${p.loss.toFixed(3)}${lastVal !== undefined ? ` val ${lastVal.toFixed(3)}` : ''}`);
        },
      });
      bar.stop();
      if (!res.completed) {
        process.stderr.write(`stopped; resume state saved to ${statePath}. Run the same command to resume.\n`);
        process.exit(130);
      }
      const hash = await saveModel(out, res.params, {
        kind: 'faithbench-model',
        id,
        config: cfg,
        corpus_version: corpusVersionOf(cfg),
        seed: cfg.seed,
        curve: res.curve,
        backend: info.name,
        ...(threads > 1 ? { train_threads: threads } : {}),
        tfjs_version: info.tfjsVersion,
        package_version: PACKAGE_VERSION,
        train_wall_s: (Date.now() - t0) / 1000,
        created: new Date().toISOString(),
      });
      const last = res.curve[res.curve.length - 1];
      process.stdout.write(`saved ${out} (hash ${hash.slice(0, 12)}, final train loss ${last?.train_loss.toFixed(4)}, val ${last?.val_loss?.toFixed(4)})\n`);
    });
}
