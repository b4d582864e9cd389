// Plugins from anywhere: a method file (with a helper it imports relatively) and a task file,
// written to a temp folder OUTSIDE the repo and importing only from `faithbench`, run through
// the real CLI; and the one-line errors for the bad inputs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readCircuitFile } from '../src/methods/circuit.ts';
import { PLUGIN_CACHE_DIR } from '../src/plugins/load.ts';

const REPO = process.cwd();
const CLI = join(REPO, 'bin/faithbench.js');
const dir = mkdtempSync(join(tmpdir(), 'fb-plugins-'));

/** Run the CLI asynchronously (a synchronous spawn would block vitest's worker RPC). */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, FAITHBENCH_BACKEND: 'wasm' } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}

const file = (name: string, text: string): string => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
};

// A helper beside the method: the bundler inlines it. `tf` and `seededRandom` come from faithbench;
// tf.sum needs a registered backend, so it only works if tf is the harness's own instance.
const HELPER = `import { allNodeIds, seededRandom, tf, type ModelConfig } from 'faithbench';
export function everyNode(cfg: ModelConfig, seed: number): string[] {
  const ids = allNodeIds(cfg);
  const rng = seededRandom(seed);
  const order = ids.map((id) => [rng(), id] as const).sort((a, b) => a[0] - b[0]).map(([, id]) => id);
  const n = tf.tidy(() => tf.sum(tf.ones([order.length])).dataSync()[0]);
  if (n !== ids.length) throw new Error('tf is not the harness instance');
  return order;
}
`;

const METHOD = `import { defineMethod, z } from 'faithbench';
import { everyNode } from './lib/helper.ts';

export default defineMethod({
  id: 'outside-keep-all',
  kind: 'discover',
  description: 'Keeps every node, in a seeded order (a plugin written outside the repo).',
  options: z.object({ steps: z.number().int().positive().default(10) }),
  discover(model, _task, budget) {
    const ranking = everyNode(model.cfg, budget.seed);
    return { nodes: ranking, ranking, ablation: 'zero', frozenNorms: false, nominalLoss: 0 };
  },
});
`;

// A small pronoun-like task: "when {name} {action} ," → he/she, disjoint action templates per split.
const TASK = `import { defineTask, type PromptSpec } from 'faithbench';

const NAMES: Record<string, 'he' | 'she'> = { Leo: 'he', Peter: 'he', Mia: 'she', Kim: 'she' };
const prompts = (actions: string[]): PromptSpec[] =>
  actions.flatMap((action) => Object.entries(NAMES).map(([name, p]) => ({
    words: ['when', name, ...action.split(' '), ','], target: p, foil: p === 'he' ? 'she' : 'he', template: action,
  })));

export default defineTask({
  id: 'outside-pronoun',
  description: 'pronoun after "when {name} {action} ," (a task plugin written outside the repo)',
  loss: 'binary-ce',
  targetDescription: 'he/she by the name',
  foilDescription: 'the other pronoun',
  splits: {
    train: prompts(['ran home', 'ate lunch', 'woke up']),
    validation: prompts(['wrote letters', 'climbed trees']),
    test: prompts(['caught fish', 'built castles']),
  },
});
`;

let method: string;
let task: string;

beforeAll(() => {
  expect(relative(REPO, dir).startsWith('..')).toBe(true); // really outside the repo
  file('lib/helper.ts', HELPER);
  method = file('m.ts', METHOD);
  task = file('t.ts', TASK);
});

afterAll(() => {
  // the bundles of this run's plugins (their first line names the source file), then the folder
  if (existsSync(PLUGIN_CACHE_DIR)) {
    for (const name of readdirSync(PLUGIN_CACHE_DIR)) {
      const p = join(PLUGIN_CACHE_DIR, name);
      if (readFileSync(p, 'utf8').startsWith(`// bundled from ${dir}`)) rmSync(p, { force: true });
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('plugins from any folder', () => {
  it('prunes with a method file and a task file that import only from faithbench', async () => {
    const out = join(dir, 'c.json');
    const r = await cli(['prune', '--method', method, '--model', 'dense-d64', '--task', task, '--options', '{"steps":5}', '--out', out, '--quiet']);
    expect(r.code, r.err).toBe(0);
    const c = readCircuitFile(out); // schema-checked
    expect(c.method.id).toBe('outside-keep-all');
    expect(c.method.options).toEqual({ steps: 5 });
    expect(c.task).toBe('outside-pronoun');
    expect(c.model.id).toBe('dense-d64');
    expect(c.size).toBe(c.total_nodes);
    expect(c.nodes).toHaveLength(c.total_nodes);
    expect(new Set(c.ranking).size).toBe(c.total_nodes);
    expect(c.verification.passed).toBe(true);
    expect(r.out).toMatch(/→ .*c\.json/);
  });

  it('runs the suite on both files (2 workers, each loading them again), then resumes from cache', async () => {
    const out = join(dir, 'results');
    const args = ['suite', '--preset', 'tiny', '--methods', method, '--tasks', `pronoun,${task}`, '--models', 'dense-d64', '--seeds', '0', '--out', out, '--quiet'];
    let r = await cli([...args, '--workers', '2']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/2 runs computed, 0 cached/);
    const files = (readdirSync(join(out, 'outside-keep-all', 'dense-d64')) as string[]).sort();
    expect(files.map((f) => f.replace(/-[0-9a-f]{16}\.json$/, ''))).toEqual(['outside-pronoun-s0', 'pronoun-s0']);
    const run = JSON.parse(readFileSync(join(out, 'outside-keep-all', 'dense-d64', files[0]), 'utf8'));
    expect(run.task).toBe('outside-pronoun');
    expect(run.overall).toBe(0); // a plugin returning the whole model scores 0 like the built-in baseline
    r = await cli(args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/0 runs computed, 2 cached/);
    // the verifier recomputes each run id from the stored inputs (plugin code hashes included)
    const board = await cli(['leaderboard', '--json', '--results', out]);
    expect(board.err).not.toMatch(/skipped|skipping/);
    expect(JSON.parse(board.out).rows[0].n_runs).toBe(2);
  });

  it('refuses a plugin that takes a built-in id or calls itself a baseline', async () => {
    const taken = file('taken.ts', METHOD.replace("id: 'outside-keep-all'", "id: 'zero'"));
    const base = file('base.ts', METHOD.replace("kind: 'discover',", "kind: 'discover',\n  baseline: true,"));
    const a = await cli(['prune', '--method', taken, '--model', 'dense-d64', '--task', task, '--quiet']);
    expect(a.code).not.toBe(0);
    expect(a.err).toMatch(/"zero".*reserved by a built-in method/);
    const b = await cli(['prune', '--method', base, '--model', 'dense-d64', '--task', task, '--quiet']);
    expect(b.code).not.toBe(0);
    expect(b.err).toMatch(/"baseline" is reserved/);
  });

  it('loads a task file again in worker threads with the same id (as the suite does)', async () => {
    const code = `import { Worker } from 'node:worker_threads';
const { register } = await import('tsx/esm/api');
register();
const { loadTask } = await import('./src/tasks/index.ts');
const ref = process.argv[1];
const main = await loadTask(ref);
const again = await loadTask(ref);
const inWorker = () => new Promise((ok, bad) => {
  const w = new Worker(\`import { workerData, parentPort } from 'node:worker_threads';
const { register } = await import('tsx/esm/api');
register();
const { loadTask } = await import('./src/tasks/index.ts');
const t = await loadTask(workerData);
parentPort.postMessage([t.id, t.prompts('test').length]);\`, { eval: true, workerData: ref });
  w.once('message', (m) => { ok(m); w.terminate(); });
  w.once('error', bad);
});
console.log(JSON.stringify({ same: main === again, main: [main.id, main.prompts('test').length], workers: await Promise.all([inWorker(), inWorker()]) }));`;
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile('node', ['--input-type=module', '-e', code, task], { cwd: REPO, encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ code: error ? 1 : 0, out: stdout, err: stderr }),
      );
    });
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ same: true, main: ['outside-pronoun', 8], workers: [['outside-pronoun', 8], ['outside-pronoun', 8]] });
  });

  it('rejects bad plugin files with one line naming the file and the problem', async () => {
    const seedImport = file('bad/seed-import.ts', `import seedrandom from 'seedrandom';\nimport { defineMethod, z } from 'faithbench';\nexport default defineMethod({ id: 'seedy', kind: 'discover', description: 'd', options: z.object({}), discover: () => { throw new Error(String(seedrandom)); } });\n`);
    const helperImport = file('bad/helper-import.ts', `import { x } from './lib/uses-lodash.ts';\nexport default x;\n`);
    file('bad/lib/uses-lodash.ts', `import lodash from 'lodash';\nexport const x = lodash;\n`);
    const syntax = file('bad/syntax.ts', `import { defineMethod } from 'faithbench';\nexport default defineMethod({{ nope\n`);
    const notTask = file('bad/not-task.ts', `export const hello = 'no task here';\nexport default { name: 'not a task' };\n`);
    const badWord = file('bad/bad-word.ts', `import { defineTask } from 'faithbench';\nexport default defineTask({ id: 'bad-word', description: 'd', loss: 'binary-ce', targetDescription: 't', foilDescription: 'f', splits: { train: [{ words: ['zebra'], target: 'he', foil: 'she' }], validation: [{ words: ['Mia'], target: 'she', foil: 'he' }], test: [{ words: ['Leo'], target: 'he', foil: 'she' }] } });\n`);
    const q = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const cases: Array<[string[], RegExp]> = [
      [['--method', seedImport, '--task', task], new RegExp(`^method file ${q(seedImport)} imports "seedrandom": plugins import only from "faithbench" \\(which re-exports z, tf and a seeded RNG\\)$`)],
      [['--method', helperImport, '--task', task], /^method file .*helper-import\.ts imports "lodash" \(in .*uses-lodash\.ts\): plugins import only from "faithbench"/],
      [['--method', syntax, '--task', task], new RegExp(`^method file ${q(syntax)} failed to load: line 2:\\d+: `)],
      [['--method', method, '--task', notTask], new RegExp(`^task file ${q(notTask)} does not export a task \\(default-export the result of defineTask`)],
      [['--method', method, '--task', method], /^task file .*m\.ts does not export a task \(it exports a method\)/],
      [['--method', method, '--task', badWord], /^task file .*bad-word\.ts failed to load: invalid task definition 'bad-word': .*unknown word "zebra"/],
      [['--method', method, '--task', join(dir, 'missing.ts')], /^task file .*missing\.ts not found$/],
      [['--method', join(dir, 'missing.ts'), '--task', task], /^method file .*missing\.ts not found$/],
      [['--method', method, '--task', 'telepathy'], /^unknown task 'telepathy' \(known: pronoun, ioi, questions, nonsense; or a path to a task file\)$/],
    ];
    // one after another: each is a short process, and the machine's cores are shared
    for (const [args, re] of cases) {
      const out = join(dir, 'never.json');
      const r = await cli(['prune', '--model', 'dense-d64', '--out', out, '--quiet', ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err.trim().replace(/^faithbench: error: /, '')).toMatch(re);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('resolves zod and tfjs-core imported directly to the harness copies (older plugins)', async () => {
    const direct = file('direct/zod-direct.ts', `import { z } from 'zod';
import * as tf from '@tensorflow/tfjs-core';
import { defineMethod, allNodeIds } from 'faithbench';
export default defineMethod({
  id: 'zod-direct', kind: 'discover', description: 'imports zod and tfjs-core directly',
  options: z.object({ steps: z.number().default(1) }),
  discover(model) {
    const ranking = allNodeIds(model.cfg);
    if (tf.tidy(() => tf.sum(tf.ones([2])).dataSync()[0]) !== 2) throw new Error('tf');
    return { nodes: ranking, ranking, ablation: 'zero', frozenNorms: false, nominalLoss: 0 };
  },
});
`);
    const out = join(dir, 'direct.json');
    const r = await cli(['prune', '--method', direct, '--model', 'dense-d64', '--task', task, '--out', out, '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(readCircuitFile(out).method.id).toBe('zod-direct');
  });
});
