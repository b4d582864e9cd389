// `faithbench submit <bundle>`: what the server does with a submission, offline. The bundle is
// checked (depth, schema, this machine's zoo), then every run is recomputed here with the suite's
// own code; the recomputed figures are printed, and every figure the bundle claims that the
// recomputation contradicts is listed. Nothing in the bundle is executed or trusted.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { JsonTooDeep, parseJsonBounded } from '../util/json.ts';
import { writeJsonAtomic } from '../util/fs.ts';
import { initBackend } from '../engine/backend.ts';
import { formatZodIssue } from '../results/schema.ts';
import { SubmissionSchema, checkSubmission, compareClaims, runKey, storedCard, submittedMethodId, type Submission } from '../results/submission.ts';
import { describeJudge, recomputeRun } from '../suite/recompute.ts';
import { PRESETS } from '../suite/presets.ts';
import { CARD_FILE, SUBMISSIONS_DIR } from '../site/load.ts';
import { readCircuitFile, type CircuitFile } from '../methods/circuit.ts';
import { SUBMISSION_FORMAT, SUBMISSION_VERSION } from '../results/submission.ts';
import { loadFilterModel } from './shared.ts';

/** Reads and schema-checks a bundle file; every failure is one line naming the file. */
export function readSubmission(file: string): Submission {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = parseJsonBounded(text);
  } catch (err) {
    throw new UserError(`${file}: ${err instanceof JsonTooDeep ? err.message : `not valid JSON (${(err as Error).message})`}`);
  }
  const parsed = SubmissionSchema.safeParse(json);
  if (!parsed.success) throw new UserError(`${file} is not a valid submission: ${formatZodIssue(parsed.error).line}`);
  return parsed.data;
}

const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));

const asSubmitted = (c: CircuitFile) => ({ ablation: c.ablation, frozen_norms: c.frozen_norms, nodes: c.nodes, ranking: c.ranking });

export function register(program: Command): void {
  program
    .command('bundle')
    .description('make a submission bundle from circuit files (`faithbench prune` output): each run needs the nonsense circuit of the same model and seed')
    .argument('<circuits...>', 'circuit JSON files, the nonsense ones included')
    .requiredOption('--name <name>', 'method name (shown as sub.<name>)')
    .requiredOption('--out <file>', 'bundle file to write')
    .option('--description <text>', 'one paragraph about the method')
    .option('--paper-url <url>', 'paper link')
    .option('--code-url <url>', 'code link')
    .action((files: string[], opts: { name: string; out: string; description?: string; paperUrl?: string; codeUrl?: string }) => {
      const circuits = files.map((f) => ({ file: f, c: readCircuitFile(f) }));
      const kinds = new Set(circuits.map(({ c }) => c.method.kind));
      if (kinds.size !== 1) throw new UserError('the circuit files come from methods of different kinds (mask-learner and discover)');
      const blind = new Map(circuits.filter(({ c }) => c.task === 'nonsense').map(({ c }) => [`${c.model.id}/s${c.seed}`, c]));
      const runs = circuits
        .filter(({ c }) => c.task !== 'nonsense')
        .map(({ file, c }) => {
          const nonsense = blind.get(`${c.model.id}/s${c.seed}`);
          if (!nonsense) throw new UserError(`${file}: no nonsense circuit for ${c.model.id} seed ${c.seed} among the files (prune --task nonsense with the same options)`);
          return { model: c.model.id, model_hash: c.model.hash, task: c.task, seed: c.seed, circuit: asSubmitted(c), nonsense: asSubmitted(nonsense) };
        });
      const card = { id: opts.name, kind: kinds.has('discover') ? ('discover' as const) : ('ablation-scheme' as const), ...(opts.description ? { description: opts.description } : {}), ...(opts.paperUrl ? { paper_url: opts.paperUrl } : {}), ...(opts.codeUrl ? { code_url: opts.codeUrl } : {}) };
      const parsed = SubmissionSchema.safeParse({ format: SUBMISSION_FORMAT, version: SUBMISSION_VERSION, method: card, runs });
      if (!parsed.success) throw new UserError(`the bundle would not be valid: ${formatZodIssue(parsed.error).line}`);
      writeJsonAtomic(opts.out, parsed.data);
      process.stdout.write(`wrote ${opts.out}: ${runs.length} runs of sub.${opts.name}; check it with \`faithbench submit ${opts.out}\`\n`);
    });

  program
    .command('submit')
    .description('recompute a submission bundle ({format, version, method, runs: [{model, task, seed, circuit, nonsense, claimed?}]}) exactly as the server would')
    .argument('<bundle>', 'submission JSON file')
    .option('--preset <name>', `suite settings to judge with (${Object.keys(PRESETS).join(', ')}); the server's default is standard`, 'standard')
    .option('--out <dir>', 'also write the recomputed runs as a results folder (for `faithbench site build --results <dir>`)')
    .action(async (file: string, opts: { preset: string; out?: string }) => {
      const preset = PRESETS[opts.preset];
      if (!preset) throw new UserError(`unknown preset "${opts.preset}": expected one of ${Object.keys(PRESETS).join(', ')}`);
      const sub = readSubmission(file);
      await initBackend();
      loadFilterModel();
      const problem = checkSubmission(sub, await describeJudge());
      if (problem) throw new UserError(`${file} is not a valid submission: ${problem.path}: ${problem.message}`);
      const method = submittedMethodId(sub.method.id);
      process.stderr.write(`recomputing ${sub.runs.length} runs of ${method} with preset ${opts.preset}\n`);
      const disagreements: string[] = [];
      const results = [];
      for (const [i, run] of sub.runs.entries()) {
        const r = await recomputeRun({ submission: sub, run, settings: preset.settings });
        results.push(r);
        disagreements.push(...compareClaims(run.claimed, r, `runs[${i}]`));
        process.stdout.write(`${runKey(run)}: ${r.circuit.size}/${r.circuit.total_nodes} nodes, test loss ${r.circuit.verification.loss.toFixed(3)}${r.flagged ? ' — flagged (above the target on held-out prompts)' : `, overall ${fmt(r.overall)}`} (run ${r.run_id})\n`);
      }
      if (opts.out) {
        const dir = join(resolve(opts.out), SUBMISSIONS_DIR, method, 'local');
        writeJsonAtomic(join(dir, CARD_FILE), storedCard(sub));
        for (const r of results) writeJsonAtomic(join(dir, `${r.run_id}.json`), r);
        process.stdout.write(`wrote ${results.length} recomputed runs to ${dir}\n`);
      }
      for (const d of disagreements) process.stdout.write(`disagrees: ${d}\n`);
      if (disagreements.length) throw new UserError(`${file}: ${disagreements.length} claimed figures disagree with the recomputation (listed above); only recomputed figures are ever shown`);
      process.stdout.write(`ok: ${file}: ${sub.runs.length} runs of ${method} recomputed${sub.runs.some((r) => r.claimed) ? ', every claimed figure matches' : ''}\n`);
    });
}
