import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { initBackend } from '../engine/backend.ts';
import { ZOO, ZOO_IDS, modelPath } from '../engine/zoo.ts';
import { loadModel, modelCorpus } from '../engine/modelio.ts';
import { corpusVersionOf } from '../engine/train.ts';
import { totalNodes } from '../engine/model.ts';
import { competence } from '../tasks/competence.ts';
import { name2Probe } from '../tasks/name2-probe.ts';
import { loadFilterModel } from './shared.ts';

export function register(program: Command): void {
  program
    .command('zoo')
    .description('list the reference models: parameters, weight density, competence on held-out prompts, and the name2 probe (IOI logit difference, opposite- vs same-gender)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      await initBackend();
      loadFilterModel();
      const rows = [];
      for (const id of ZOO_IDS) rows.push(await (async () => {
        const cfg = ZOO[id];
        if (!existsSync(modelPath(id))) return { id, trained: false as const, corpus_version: corpusVersionOf(cfg), config: cfg.model };
        const m = loadModel(id);
        const comp = await competence(m);
        const probe = await name2Probe(m);
        return {
          id,
          trained: true as const,
          hash: m.hash,
          corpus_version: modelCorpus(m),
          params: m.meta.param_count,
          nodes: totalNodes(m.cfg),
          config: m.cfg,
          l0_target: cfg.l0Target,
          density: m.meta.density,
          final_val_loss: [...m.meta.curve].reverse().find((p) => p.val_loss !== undefined)?.val_loss,
          competence: comp.figures,
          passes_bar: comp.pass,
          name2_probe: probe,
          backend: m.meta.backend,
          train_wall_s: m.meta.train_wall_s,
        };
      })());
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      process.stdout.write('| model | corpus | params | nodes | mean density | pronoun | IOI opp. | IOI same | questions | bar | logit diff IOI opp. | logit diff IOI same | gap |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
      for (const r of rows) {
        if (!r.trained) {
          process.stdout.write(`| ${r.id} | v${r.corpus_version} | (not trained: run \`faithbench train --model ${r.id}\`) ||||||||||\n`);
          continue;
        }
        const p = r.name2_probe;
        const d = Object.values(r.density);
        const f = (k: string) => r.competence[k].pCorrect.toFixed(3);
        process.stdout.write(`| ${r.id} | v${r.corpus_version} | ${r.params} | ${r.nodes} | ${(d.reduce((a, c) => a + c, 0) / d.length).toFixed(3)} | ${f('pronoun')} | ${f('ioi_opposite')} | ${f('ioi_same_gender')} | ${f('questions')} | ${r.passes_bar ? 'pass' : 'FAIL'} | ${p.opposite.toFixed(2)} | ${p.same_gender.toFixed(2)} | ${p.gap >= 0 ? '+' : ''}${p.gap.toFixed(2)} |\n`);
      }
    });
}
