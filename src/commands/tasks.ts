import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { initBackend } from '../engine/backend.ts';
import { ZOO_IDS, modelPath } from '../engine/zoo.ts';
import { loadModel, modelCorpus } from '../engine/modelio.ts';
import { DEFAULT_CORPUS_VERSION } from '../corpus/versions.ts';
import { listTasks } from '../tasks/index.ts';
import { taskPrompts } from '../tasks/prompts.ts';
import { evaluatePrompts } from '../tasks/competence.ts';
import { loadFilterModel } from './shared.ts';

export function register(program: Command): void {
  program
    .command('tasks')
    .description("list the registered tasks with their splits and each zoo model's competence (binary P_correct on every split but train)")
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'prompts per split to evaluate', '200')
    .action(async (opts: { json?: boolean; limit: string }) => {
      await initBackend();
      loadFilterModel();
      const limit = Math.max(1, Number(opts.limit) || 200);
      const models = ZOO_IDS.filter((id) => existsSync(modelPath(id))).map((id) => loadModel(id));
      const rows = [];
      for (const t of listTasks()) {
        const competence: Record<string, Record<string, number>> = {};
        for (const m of models) {
          competence[m.id] = {};
          for (const s of t.splits.filter((x) => x !== 'train')) competence[m.id][s] = (await evaluatePrompts(m, t.id, taskPrompts(t.id, s, { limit, corpus: modelCorpus(m) }))).pCorrect;
        }
        rows.push({
        id: t.id,
        description: t.description,
        loss: t.loss,
        target: t.targetDescription,
        foil: t.foilDescription,
        prompt_length: t.promptLength,
        splits: Object.fromEntries(t.splits.map((s) => [s, taskPrompts(t.id, s, { corpus: DEFAULT_CORPUS_VERSION }).length])),
        competence,
        });
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      for (const r of rows) {
        process.stdout.write(`${r.id} (${r.loss}, ${r.prompt_length} tokens): ${r.description}\n  target ${r.target}; foil ${r.foil}\n  prompts: ${Object.entries(r.splits).map(([s, n]) => `${s} ${n}`).join(', ')}\n`);
        for (const [m, c] of Object.entries(r.competence)) {
          process.stdout.write(`  ${m.padEnd(12)} ${Object.entries(c).map(([s, p]) => `${s} ${p.toFixed(3)}`).join('  ')}\n`);
        }
      }
    });
}
