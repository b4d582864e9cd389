// A real Slurm (Debian's slurm-wlm: slurmctld and slurmd on localhost, test/slurm/start.sh):
// a job array of 3 shards of a tiny grid with `--shard auto`, merged, gives the files and
// figures of a single-process run; so does docs/cluster/faithbench.sbatch with its afterok merge;
// and --shard auto fails in one line on an array it cannot map.
//
// Skipped when sbatch is not on PATH or this is not root (slurmd runs jobs as their submitter);
// CI sets FAITHBENCH_REQUIRE_SLURM=1 (it installs slurm-wlm), and then either is a failure.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relFiles, figures } from './results-compare.ts';

const ROOT = process.cwd();
const CLI = join(ROOT, 'bin/faithbench.js');
const SLURM_DIR = process.env.FAITHBENCH_SLURM_DIR ?? '/tmp/faithbench-slurm';

const why = spawnSync('sh', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).status !== 0 ? 'sbatch is not on PATH (apt-get install slurm-wlm)' : process.getuid?.() !== 0 ? 'not root (test/slurm/start.sh starts slurmd, which runs jobs as their submitter)' : null;
if (why) {
  if (process.env.FAITHBENCH_REQUIRE_SLURM === '1') throw new Error(`slurm required (FAITHBENCH_REQUIRE_SLURM=1) but unavailable: ${why}`);
  console.warn(`test/slurm.test.ts skipped: ${why}`);
}

/** 3 runs, so each of 3 shards gets one: zero learns a circuit (40 steps), the baselines do not */
const GRID = ['--preset', 'tiny', '--models', 'dense-d64', '--methods', 'zero,keep-all,random', '--tasks', 'pronoun'];

// the array variables of a runner that itself runs inside Slurm must not reach the jobs or the single run
const env: Record<string, string | undefined> = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM_|JOB_COMPLETION_INDEX$|FAITHBENCH_SHARD_COUNT$)/.test(k)));
env.SLURM_CONF = join(SLURM_DIR, 'slurm.conf');
env.FAITHBENCH_BACKEND = 'wasm';
env.FAITHBENCH_SLURM_DIR = SLURM_DIR;

function run(cmd: string, args: string[], timeoutMs: number, extra: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', env: { ...env, ...extra }, cwd: ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, out: stdout, err: stderr + (error && code === 1 && !stderr ? error.message : '') });
    });
  });
}

let dir = '';
let started = false;

beforeAll(async () => {
  if (why) return;
  dir = mkdtempSync(join(tmpdir(), 'fb-slurm-'));
  const r = await run(join(ROOT, 'test/slurm/start.sh'), [], 90_000);
  expect(r.code, r.out + r.err).toBe(0);
  // CI starts the daemons before npm test and stops them after; stop here only what this file started
  started = r.out.includes('slurm up (started)');
  console.log(r.out.trim());
}, 100_000);

afterAll(async () => {
  if (why) return;
  if (started) await run(join(ROOT, 'test/slurm/stop.sh'), [], 30_000);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `sbatch --wait` a script; its exit status is non-zero if any task failed. Each task's output goes to <name>-<task>.out (<name>-.out outside an array). */
function sbatch(name: string, script: string, args: string[]) {
  const array = args.some((a) => a.startsWith('--array='));
  const file = join(dir, `${name}.sh`);
  writeFileSync(file, `#!/bin/bash\n${script}\n`);
  // --time bounds a stuck task; the job's environment is this one (sbatch's default --export=ALL)
  return run('sbatch', ['--wait', '--quiet', `--job-name=fb-${name}`, '--time=5', `--chdir=${ROOT}`, `--output=${join(dir, `${name}-${array ? '%a' : ''}.out`)}`, ...args, file], 240_000);
}
const taskOut = (name: string, task: number | string) => {
  const f = join(dir, `${name}-${task}.out`);
  return existsSync(f) ? readFileSync(f, 'utf8') : `(no ${f})`;
};

describe.skipIf(why !== null)('a Slurm job array', () => {
  it('3 shards with --shard auto, merged, equal one process running the whole grid', async () => {
    const t0 = Date.now();
    const single = join(dir, 'single');
    // the single run beside the array: on separate cores where there are any, and it does not
    // find the array's circuits in the cache before it learns its own
    const [job, one] = await Promise.all([
      sbatch('grid', `exec node bin/faithbench.js suite ${GRID.join(' ')} --shard auto --out "${dir}/shard-$SLURM_ARRAY_TASK_ID"`, ['--array=0-2']),
      run('node', [CLI, 'suite', ...GRID, '--quiet', '--out', single], 240_000),
    ]);
    const outs = [0, 1, 2].map((i) => taskOut('grid', i));
    expect(job.code, `${job.err}\n${outs.join('\n')}`).toBe(0);
    expect(one.code, one.err).toBe(0);
    // each task found its own shard in the array's variables, and ran one run of the three
    outs.forEach((o, i) => expect(o).toMatch(new RegExp(`suite "tiny": 1 runs .*shard ${i}/3 from SLURM_ARRAY_TASK_ID=${i} of 3\\)`)));
    for (const i of [0, 1, 2]) expect(relFiles(join(dir, `shard-${i}`)), `shard ${i}`).toHaveLength(1);

    const merged = join(dir, 'merged');
    const m = await run('node', [CLI, 'merge', ...[0, 1, 2].map((i) => join(dir, `shard-${i}`)), '--out', merged], 60_000);
    expect(m.code, m.err).toBe(0);
    expect(m.out).toMatch(/merged 3 runs/);
    expect(relFiles(merged)).toHaveLength(3);
    expect(relFiles(merged)).toEqual(relFiles(single));
    for (const f of relFiles(single)) expect(figures(join(merged, f)), f).toEqual(figures(join(single, f)));
    console.log(`slurm job array of 3 shards + single run + merge: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 300_000);

  it('docs/cluster/faithbench.sbatch: the array, then the merge it submits with afterok, give the same results', async () => {
    const single = join(dir, 'single');
    expect(existsSync(single), 'needs the single-process run of the test above').toBe(true);
    const results = join(dir, 'doc-results');
    const vars = { PRESET: 'tiny', FAITHBENCH_ARGS: GRID.slice(2).join(' '), SHARDS: join(dir, 'doc-shards'), RESULTS: results, LOGS: dir };
    // --mem overrides the script's 4G, which a small CI machine's node may not have
    const job = await run('sbatch', ['--wait', '--quiet', '--array=0-2', '--mem=1G', `--chdir=${ROOT}`, `--output=${join(dir, 'doc-%a.out')}`, join(ROOT, 'docs/cluster/faithbench.sbatch')], 240_000, vars);
    expect(job.code, `${job.err}\n${[0, 1, 2].map((i) => taskOut('doc', i)).join('\n')}`).toBe(0);
    // the merge job starts once the array is done; a new --out appears whole, in one rename
    const mergeLog = () => readdirSync(dir).filter((f) => f.startsWith('faithbench-merge-')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    for (let t = 0; t < 120 && !/merged \d+ runs/.test(mergeLog()); t++) {
      expect(mergeLog()).not.toMatch(/error/);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(mergeLog()).toMatch(/merged 3 runs/);
    expect(relFiles(results)).toEqual(relFiles(single));
    for (const f of relFiles(single)) expect(figures(join(results, f)), f).toEqual(figures(join(single, f)));
  }, 300_000);

  it('--shard auto fails in one line on an array it cannot map, and outside an array', async () => {
    const cmd = `exec node bin/faithbench.js suite ${GRID.join(' ')} --shard auto --out "${dir}/never"`;
    // a list array has no position per task (Slurm says min 0, max 5, count 2); a plain job has no array at all
    const [list, plain] = await Promise.all([sbatch('list', cmd, ['--array=0,5']), sbatch('plain', cmd, [])]);
    expect(list.code).not.toBe(0);
    expect(plain.code).not.toBe(0);
    for (const task of [0, 5]) {
      const o = taskOut('list', task);
      expect(o.trim().split('\n'), o).toHaveLength(1);
      expect(o.trim()).toMatch(/^faithbench: error: --shard auto: SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_MAX=5 and SLURM_ARRAY_TASK_STEP=1 do not span SLURM_ARRAY_TASK_COUNT=2 tasks: submit one range \(--array=0-1\)$/);
    }
    const o = taskOut('plain', '');
    expect(o.trim().split('\n'), o).toHaveLength(1);
    expect(o).toMatch(/^faithbench: error: --shard auto: Slurm job \d+ is not a job array \(SLURM_ARRAY_TASK_ID is not set\)/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 120_000);
});
