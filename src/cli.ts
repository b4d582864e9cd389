// The one entry point: `faithbench <command>`. Each command lives in src/commands/<name>.ts
// and exports register(program); this file only wires them and reports errors as one line.
import { Command, CommanderError } from 'commander';
import { oneLine } from './util/errors.ts';
import { COMMANDS } from './commands/index.ts';

const program = new Command();
program
  .name('faithbench')
  .description('Adversarial faithfulness benchmark for circuit-discovery (pruning) methods')
  .version('0.1.0')
  .showHelpAfterError(false)
  // the root's -V/--version only before a command, so `corpus stats --version 2` reaches its command
  .enablePositionalOptions()
  .exitOverride();

for (const register of COMMANDS) register(program);

function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  process.stderr.write(`faithbench: error: ${oneLine(err)}\n`);
  if (process.env.FAITHBENCH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
