// Registry of CLI commands: adding a command is one file in src/commands and one line here.
import type { Command } from 'commander';
import { register as doctor } from './doctor.ts';
import { register as train } from './train.ts';
import { register as zoo } from './zoo.ts';
import { register as corpus } from './corpus.ts';
import { register as prune } from './prune.ts';
import { register as suite } from './suite.ts';

export const COMMANDS: Array<(program: Command) => void> = [doctor, train, zoo, corpus, prune, suite];
