// `--shard i/N | auto` (src/suite/shard.ts): every source of the index and count, and every way
// the input can be wrong — each a one-line UserError naming the flag or variable at fault.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveShard, shardOf } from '../src/suite/shard.ts';
import { UserError } from '../src/util/errors.ts';

type Env = Record<string, string | undefined>;
/** what Slurm 22.05 sets in a task of `sbatch --array=<min>-<max>:<step>` (checked on the real one, test/slurm.test.ts) */
const slurm = (id: number, min: number, max: number, step = 1): Env => ({
  SLURM_JOB_ID: String(100 + id),
  SLURM_ARRAY_JOB_ID: '100',
  SLURM_ARRAY_TASK_ID: String(id),
  SLURM_ARRAY_TASK_MIN: String(min),
  SLURM_ARRAY_TASK_MAX: String(max),
  SLURM_ARRAY_TASK_STEP: String(step),
  SLURM_ARRAY_TASK_COUNT: String((max - min) / step + 1),
});

const shard = (spec: string | undefined, count: string | undefined, env: Env) => {
  const r = resolveShard(spec, count, env);
  return r && { index: r.index, count: r.count };
};

/** the UserError's message, which must be one line */
function failure(spec: string | undefined, count: string | undefined, env: Env): string {
  try {
    resolveShard(spec, count, env);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error(`resolveShard(${spec}, ${count}, ${JSON.stringify(env)}) did not throw`);
}

describe('--shard i/N', () => {
  it('parses i/N and ignores the array variables around it', () => {
    expect(shard('2/5', undefined, {})).toEqual({ index: 2, count: 5 });
    expect(shard('0/1', undefined, slurm(1, 0, 2))).toEqual({ index: 0, count: 1 });
    expect(shard(undefined, undefined, slurm(1, 0, 2))).toBeUndefined();
  });

  it('rejects malformed and out-of-range values', () => {
    expect(failure('3/2', undefined, {})).toMatch(/^--shard 3\/2: need 0 ≤ i < N$/);
    expect(failure('2/2', undefined, {})).toMatch(/--shard 2\/2: need 0 ≤ i < N/);
    expect(failure('0/0', undefined, {})).toMatch(/--shard 0\/0: need 0 ≤ i < N/);
    for (const bad of ['', '1', '-1/3', '1.5/3', 'a/b', '1/3/4', 'Auto']) expect(failure(bad, undefined, {})).toMatch(/--shard must be i\/N \(e\.g\. 0\/4\) or auto, got/);
  });

  it('refuses --shard-count beside it, or alone', () => {
    expect(failure('1/3', '3', {})).toMatch(/--shard-count goes with --shard auto/);
    expect(failure(undefined, '3', {})).toMatch(/--shard-count goes with --shard auto/);
  });
});

describe('--shard auto under Slurm', () => {
  it('is the task’s position in the array: id − min, over the step', () => {
    for (const id of [0, 1, 2]) expect(shard('auto', undefined, slurm(id, 0, 2))).toEqual({ index: id, count: 3 });
    expect(shard('auto', undefined, slurm(16, 1, 16))).toEqual({ index: 15, count: 16 });
    expect(shard('auto', undefined, slurm(9, 3, 9, 3))).toEqual({ index: 2, count: 3 });
    expect(resolveShard('auto', undefined, slurm(1, 0, 2))!.from).toBe('SLURM_ARRAY_TASK_ID=1 of 3');
  });

  it('needs only the id and count: min defaults to 0, step to 1', () => {
    expect(shard('auto', undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '5' })).toEqual({ index: 4, count: 5 });
    expect(shard('auto', undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '5', SLURM_ARRAY_TASK_MIN: '' })).toEqual({ index: 4, count: 5 });
  });

  it('accepts a --shard-count or FAITHBENCH_SHARD_COUNT that agrees, refuses one that does not', () => {
    expect(shard('auto', '3', slurm(2, 0, 2))).toEqual({ index: 2, count: 3 });
    expect(shard('auto', undefined, { ...slurm(2, 0, 2), FAITHBENCH_SHARD_COUNT: '3' })).toEqual({ index: 2, count: 3 });
    expect(failure('auto', '4', slurm(2, 0, 2))).toBe('--shard auto: --shard-count 4 disagrees with SLURM_ARRAY_TASK_COUNT=3');
    expect(failure('auto', undefined, { ...slurm(2, 0, 2), FAITHBENCH_SHARD_COUNT: '8' })).toBe('--shard auto: FAITHBENCH_SHARD_COUNT 8 disagrees with SLURM_ARRAY_TASK_COUNT=3');
  });

  it('refuses a missing count, or a count without an id', () => {
    expect(failure('auto', undefined, { SLURM_ARRAY_TASK_ID: '1' })).toBe('--shard auto: SLURM_ARRAY_TASK_ID=1 is set but SLURM_ARRAY_TASK_COUNT is not');
    expect(failure('auto', undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '' })).toMatch(/SLURM_ARRAY_TASK_COUNT is not/);
    expect(failure('auto', undefined, { SLURM_ARRAY_TASK_COUNT: '3' })).toBe('--shard auto: SLURM_ARRAY_TASK_COUNT=3 is set but SLURM_ARRAY_TASK_ID is not');
  });

  it('names a Slurm job that is not an array', () => {
    expect(failure('auto', undefined, { SLURM_JOB_ID: '77' })).toBe('--shard auto: Slurm job 77 is not a job array (SLURM_ARRAY_TASK_ID is not set): submit it with sbatch --array=0-<N-1>');
  });

  it('refuses an id outside the array and a list array, on every one of its tasks', () => {
    expect(failure('auto', undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3' })).toBe('--shard auto: SLURM_ARRAY_TASK_ID=3 is out of range for an array of SLURM_ARRAY_TASK_COUNT=3 tasks from 0: submit one range (--array=0-2)');
    expect(failure('auto', undefined, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1' })).toBe('--shard auto: SLURM_ARRAY_TASK_ID=0 is out of range for an array of SLURM_ARRAY_TASK_COUNT=3 tasks from SLURM_ARRAY_TASK_MIN=1: submit one range (--array=0-2)');
    expect(failure('auto', undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_STEP: '3' })).toBe('--shard auto: SLURM_ARRAY_TASK_ID=4 is out of range for an array of SLURM_ARRAY_TASK_COUNT=3 tasks from 0 in steps of SLURM_ARRAY_TASK_STEP=3: submit one range (--array=0-2)');
    expect(failure('auto', undefined, slurm(7, 1, 4))).toMatch(/SLURM_ARRAY_TASK_ID=7 is out of range/);
    // --array=1,5,9 as Slurm 22.05 describes it: min 1, max 9, step 1, count 3
    for (const id of ['1', '5', '9']) {
      const env = { SLURM_ARRAY_TASK_ID: id, SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_STEP: '1' };
      expect(failure('auto', undefined, env)).toBe('--shard auto: SLURM_ARRAY_TASK_MIN=1, SLURM_ARRAY_TASK_MAX=9 and SLURM_ARRAY_TASK_STEP=1 do not span SLURM_ARRAY_TASK_COUNT=3 tasks: submit one range (--array=0-2)');
    }
  });

  it('names a variable that is not an integer', () => {
    const cases: Array<[Env, string]> = [
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_ID: 'x' }, '--shard auto: SLURM_ARRAY_TASK_ID must be a non-negative integer, got "x"'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_ID: '-1' }, '--shard auto: SLURM_ARRAY_TASK_ID must be a non-negative integer, got "-1"'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_ID: '1.0' }, '--shard auto: SLURM_ARRAY_TASK_ID must be a non-negative integer, got "1.0"'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_COUNT: '0' }, '--shard auto: SLURM_ARRAY_TASK_COUNT must be a positive integer, got "0"'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_COUNT: '3 ' }, '--shard auto: SLURM_ARRAY_TASK_COUNT must be a positive integer, got "3 "'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_MIN: 'zero' }, '--shard auto: SLURM_ARRAY_TASK_MIN must be a non-negative integer, got "zero"'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_MAX: '2e0' }, '--shard auto: SLURM_ARRAY_TASK_MAX must be a non-negative integer, got "2e0"'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_STEP: '0' }, '--shard auto: SLURM_ARRAY_TASK_STEP must be a positive integer, got "0"'],
      [{ ...slurm(1, 0, 2), SLURM_ARRAY_TASK_ID: '99999999999999999999' }, '--shard auto: SLURM_ARRAY_TASK_ID must be a non-negative integer, got "99999999999999999999"'],
      [{ JOB_COMPLETION_INDEX: 'three', FAITHBENCH_SHARD_COUNT: '4' }, '--shard auto: JOB_COMPLETION_INDEX must be a non-negative integer, got "three"'],
      [{ JOB_COMPLETION_INDEX: '1', FAITHBENCH_SHARD_COUNT: '-4' }, '--shard auto: FAITHBENCH_SHARD_COUNT must be a positive integer, got "-4"'],
    ];
    for (const [env, msg] of cases) expect(failure('auto', undefined, env)).toBe(msg);
  });
});

describe('--shard auto in a Kubernetes Indexed Job', () => {
  it('takes JOB_COMPLETION_INDEX with the count from --shard-count or FAITHBENCH_SHARD_COUNT (the flag wins)', () => {
    expect(shard('auto', '4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(shard('auto', undefined, { JOB_COMPLETION_INDEX: '0', FAITHBENCH_SHARD_COUNT: '4' })).toEqual({ index: 0, count: 4 });
    expect(shard('auto', '16', { JOB_COMPLETION_INDEX: '9', FAITHBENCH_SHARD_COUNT: '4' })).toEqual({ index: 9, count: 16 });
    expect(resolveShard('auto', '4', { JOB_COMPLETION_INDEX: '3' })!.from).toBe('JOB_COMPLETION_INDEX=3 of 4');
  });

  it('refuses a missing count, an index out of range and a bad count', () => {
    expect(failure('auto', undefined, { JOB_COMPLETION_INDEX: '3' })).toBe('--shard auto: JOB_COMPLETION_INDEX=3 (a Kubernetes Indexed Job) gives no count: pass --shard-count N or set FAITHBENCH_SHARD_COUNT (the Job\'s completions)');
    expect(failure('auto', '4', { JOB_COMPLETION_INDEX: '4' })).toBe('--shard auto: JOB_COMPLETION_INDEX=4 is out of range for --shard-count 4 (need an index below the count)');
    expect(failure('auto', undefined, { JOB_COMPLETION_INDEX: '7', FAITHBENCH_SHARD_COUNT: '4' })).toMatch(/JOB_COMPLETION_INDEX=7 is out of range for FAITHBENCH_SHARD_COUNT 4/);
    for (const bad of ['0', 'four', '-2', '2.5', '']) expect(failure('auto', bad, { JOB_COMPLETION_INDEX: '1' })).toBe(`--shard-count must be a positive integer, got "${bad}"`);
  });
});

describe('--shard auto with no array, or two', () => {
  it('refuses an environment with no array index', () => {
    const msg = '--shard auto: no job-array index in the environment (SLURM_ARRAY_TASK_ID from sbatch --array, or JOB_COMPLETION_INDEX from a Kubernetes Indexed Job); outside an array pass --shard i/N';
    expect(failure('auto', undefined, {})).toBe(msg);
    expect(failure('auto', '3', { FAITHBENCH_SHARD_COUNT: '3', SLURM_ARRAY_TASK_ID: '', JOB_COMPLETION_INDEX: '' })).toBe(msg);
  });

  it('refuses both a Slurm and a Kubernetes index', () => {
    expect(failure('auto', undefined, { ...slurm(1, 0, 2), JOB_COMPLETION_INDEX: '1' })).toBe('--shard auto: both SLURM_ARRAY_TASK_ID=1 and JOB_COMPLETION_INDEX=1 are set; pass --shard i/N');
  });
});

describe('shardOf', () => {
  it('partitions a plan: every run in exactly one shard, in plan order', () => {
    const plan = Array.from({ length: 7 }, (_, i) => i);
    const parts = [0, 1, 2].map((index) => shardOf(plan, { index, count: 3 }));
    expect(parts).toEqual([[0, 3, 6], [1, 4], [2, 5]]);
    expect(shardOf(plan, undefined)).toEqual(plan);
    expect(shardOf([0, 1], { index: 2, count: 3 })).toEqual([]);
  });
});

describe('faithbench suite --shard auto (the CLI)', () => {
  const CLI = join(process.cwd(), 'bin/faithbench.js');
  // the variables a test runner might itself run under (a CI job inside Slurm) are cleared first
  const clean = Object.fromEntries(Object.keys(process.env).filter((k) => !/^(SLURM_|JOB_COMPLETION_INDEX$|FAITHBENCH_SHARD_COUNT$)/.test(k)).map((k) => [k, process.env[k]]));
  const cli = (args: string[], env: Env) =>
    new Promise<{ code: number; err: string }>((resolve) => {
      execFile('node', [CLI, 'suite', '--preset', 'tiny', '--out', join(process.cwd(), '.cache', 'never-written'), ...args], { encoding: 'utf8', env: { ...clean, ...env } }, (error, _out, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, err: stderr });
      });
    });

  it('reports bad array input in one line and exits non-zero, before any backend starts', async () => {
    const cases: Array<[string[], Env, RegExp]> = [
      [['--shard', 'auto'], {}, /^faithbench: error: --shard auto: no job-array index in the environment/],
      [['--shard', 'auto'], { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3' }, /^faithbench: error: --shard auto: SLURM_ARRAY_TASK_ID=3 is out of range/],
      [['--shard', 'auto'], { SLURM_ARRAY_TASK_ID: 'one', SLURM_ARRAY_TASK_COUNT: '3' }, /^faithbench: error: --shard auto: SLURM_ARRAY_TASK_ID must be a non-negative integer, got "one"/],
      [['--shard', 'auto'], { JOB_COMPLETION_INDEX: '2' }, /^faithbench: error: --shard auto: JOB_COMPLETION_INDEX=2 \(a Kubernetes Indexed Job\) gives no count/],
      [['--shard', 'auto', '--shard-count', '2'], { JOB_COMPLETION_INDEX: '2' }, /^faithbench: error: --shard auto: JOB_COMPLETION_INDEX=2 is out of range for --shard-count 2/],
      [['--shard-count', '2'], {}, /^faithbench: error: --shard-count goes with --shard auto/],
    ];
    const results = await Promise.all(cases.map(([args, env]) => cli(args, env)));
    cases.forEach(([args, env, re], i) => {
      const r = results[i];
      expect(r.code, `${args.join(' ')} ${JSON.stringify(env)}`).toBe(1);
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).toMatch(re);
      expect(r.err).not.toMatch(/^backend:/m);
    });
  });
});

describe('docs/cluster', () => {
  // no YAML parser among the dependencies: the two numbers are found by their keys
  it('job.yaml passes a shard count equal to its completions, and every index maps to a shard', () => {
    const y = readFileSync('docs/cluster/job.yaml', 'utf8');
    expect(y).toMatch(/^\s*completionMode: Indexed$/m);
    const completions = /^\s*completions: (\d+)$/m.exec(y)?.[1];
    const count = /- name: FAITHBENCH_SHARD_COUNT\n\s*value: "(\d+)"/.exec(y)?.[1];
    expect(completions).toBeDefined();
    expect(count).toBe(completions);
    expect(y).toMatch(/faithbench\.js suite .*--shard auto --out "\/shared\/shards\/\$JOB_COMPLETION_INDEX"/);
    const n = Number(completions);
    for (const i of [0, n - 1]) expect(shard('auto', undefined, { JOB_COMPLETION_INDEX: String(i), FAITHBENCH_SHARD_COUNT: count })).toEqual({ index: i, count: n });
  });

  it('faithbench.sbatch runs --shard auto per task and merges after the whole array', () => {
    const s = readFileSync('docs/cluster/faithbench.sbatch', 'utf8');
    expect(s).toMatch(/^#SBATCH --array=0-\d+$/m);
    expect(s).toMatch(/--shard auto --out "\$SHARDS\/\$SLURM_ARRAY_TASK_ID"/);
    expect(s).toMatch(/--dependency="afterok:\$SLURM_ARRAY_JOB_ID"/);
  });
});
