// `faithbench submit <bundle>`: verify a results bundle offline, exactly as the server would.
import type { Command } from 'commander';
import { UserError } from '../util/errors.ts';
import { verifyBundleFile } from '../site/submit.ts';

export function register(program: Command): void {
  program
    .command('submit')
    .description('verify a results bundle ({method, results[], aggregate?}) before submitting it: schema, consistency, recomputed scores')
    .argument('<bundle>', 'bundle JSON file')
    .action((file: string) => {
      const v = verifyBundleFile(file);
      if (!v.ok) throw new UserError(v.kind === 'io' ? `${file}: ${v.message}` : `${file} is not a valid bundle: ${v.error}`);
      const rs = v.value.results;
      const count = (xs: string[]) => new Set(xs).size;
      process.stdout.write(
        `ok: ${file}: method ${v.value.method.id}, ${rs.length} runs (${count(rs.map((r) => r.model.id))} models, ` +
          `${count(rs.map((r) => r.task))} tasks, ${count(rs.map((r) => String(r.seed)))} seeds) verified` +
          `${v.value.aggregate ? ', aggregate matches' : ''}\n`,
      );
    });
}
