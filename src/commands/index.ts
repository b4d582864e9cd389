// Registry of CLI commands: adding a command is one file in src/commands and one line here.
import type { Command } from 'commander';
import { register as doctor } from './doctor.ts';
import { register as corpus } from './corpus.ts';
import { register as train } from './train.ts';
import { register as zoo } from './zoo.ts';
import { register as tasks } from './tasks.ts';
import { register as prune } from './prune.ts';
import { register as suite } from './suite.ts';
import { register as leaderboard } from './leaderboard.ts';
import { register as site } from './site.ts';
import { register as serve } from './serve.ts';
import { register as submit } from './submit.ts';
import { register as bench } from './bench.ts';

export const COMMANDS: Array<(program: Command) => void> = [doctor, corpus, train, zoo, tasks, prune, suite, leaderboard, site, serve, submit, bench];
