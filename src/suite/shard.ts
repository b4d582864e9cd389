// Which shard of the grid this process runs: `--shard i/N` names it; `--shard auto` reads it from
// the job array the process runs in — a Slurm array (sbatch --array) or a Kubernetes Indexed Job.
// Every way this can go wrong is a UserError of one line that names the flag or variable at fault:
// on a cluster, a shard that silently ran the wrong slice is found only after the merge.
import { z } from 'zod';
import { UserError } from '../util/errors.ts';

export const ShardSchema = z
  .strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() })
  .refine((s) => s.index < s.count, 'need 0 ≤ i < N');
export type Shard = z.infer<typeof ShardSchema>;

/** A shard and where it came from ("--shard 1/3", "SLURM_ARRAY_TASK_ID=4 …"), for the suite's log line. */
export interface ResolvedShard extends Shard {
  from: string;
}

/** Kubernetes gives a pod its index but not the Job's completions: the count comes from here or --shard-count. */
export const SHARD_COUNT_ENV = 'FAITHBENCH_SHARD_COUNT';

// each message is the whole complaint about one variable: "must be <it>"
const integer = (min: 0 | 1) => {
  const it = min === 0 ? 'a non-negative integer' : 'a positive integer';
  return z.string().regex(/^\d+$/, it).transform(Number).pipe(z.number().min(min, it).max(Number.MAX_SAFE_INTEGER, it));
};
// an empty variable (`X=` in a script) counts as unset, as it does in the shell's ${X:-…}
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === '' ? undefined : v), t.optional());

// Only the variables read here; everything else in the environment is left alone.
const ArrayEnv = z.object({
  SLURM_JOB_ID: optional(z.string()),
  SLURM_ARRAY_TASK_ID: optional(integer(0)),
  SLURM_ARRAY_TASK_COUNT: optional(integer(1)),
  SLURM_ARRAY_TASK_MIN: optional(integer(0)),
  SLURM_ARRAY_TASK_MAX: optional(integer(0)),
  SLURM_ARRAY_TASK_STEP: optional(integer(1)),
  JOB_COMPLETION_INDEX: optional(integer(0)),
  [SHARD_COUNT_ENV]: optional(integer(1)),
});
type ArrayEnv = z.infer<typeof ArrayEnv>;
const Count = integer(1);

function readEnv(env: Record<string, string | undefined>): ArrayEnv {
  const parsed = ArrayEnv.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue.path[0]);
  throw new UserError(`--shard auto: ${name} must be ${issue.message}, got "${env[name]}"`);
}

function parseCountFlag(text: string): number {
  const r = Count.safeParse(text.trim());
  if (!r.success) throw new UserError(`--shard-count must be a positive integer, got "${text}"`);
  return r.data;
}

/** "i/N" with 0 ≤ i < N. */
function parseExplicit(text: string): ResolvedShard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`--shard must be i/N (e.g. 0/4) or auto, got "${text}"`);
  const r = ShardSchema.safeParse({ index: Number(m[1]), count: Number(m[2]) });
  if (!r.success) throw new UserError(`--shard ${text}: need 0 ≤ i < N`);
  return { ...r.data, from: '--shard' };
}

function fromSlurm(e: ArrayEnv & { SLURM_ARRAY_TASK_ID: number }, count: { value: number; from: string } | undefined): ResolvedShard {
  const id = e.SLURM_ARRAY_TASK_ID;
  if (e.SLURM_ARRAY_TASK_COUNT === undefined) throw new UserError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is set but SLURM_ARRAY_TASK_COUNT is not`);
  const n = e.SLURM_ARRAY_TASK_COUNT;
  const min = e.SLURM_ARRAY_TASK_MIN ?? 0;
  const step = e.SLURM_ARRAY_TASK_STEP ?? 1;
  // shard = position in the array, so --array=1-16 and --array=0-30:2 work as well as 0-15; a list
  // (--array=0,5,9) has no position to compute — caught by the span check, on every task alike
  const range = `--array=0-${n - 1}`;
  if (e.SLURM_ARRAY_TASK_MAX !== undefined && (e.SLURM_ARRAY_TASK_MAX - min) / step + 1 !== n) {
    throw new UserError(`--shard auto: SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_MAX=${e.SLURM_ARRAY_TASK_MAX} and SLURM_ARRAY_TASK_STEP=${step} do not span SLURM_ARRAY_TASK_COUNT=${n} tasks: submit one range (${range})`);
  }
  const offset = id - min;
  if (offset < 0 || offset % step !== 0 || offset / step >= n) {
    const from = `${e.SLURM_ARRAY_TASK_MIN !== undefined ? 'SLURM_ARRAY_TASK_MIN=' : ''}${min}${step !== 1 ? ` in steps of SLURM_ARRAY_TASK_STEP=${step}` : ''}`;
    throw new UserError(`--shard auto: SLURM_ARRAY_TASK_ID=${id} is out of range for an array of SLURM_ARRAY_TASK_COUNT=${n} tasks from ${from}: submit one range (${range})`);
  }
  if (count && count.value !== n) throw new UserError(`--shard auto: ${count.from} ${count.value} disagrees with SLURM_ARRAY_TASK_COUNT=${n}`);
  const index = offset / step;
  return { index, count: n, from: `SLURM_ARRAY_TASK_ID=${id} of ${n}` };
}

function fromKubernetes(index: number, count: { value: number; from: string } | undefined): ResolvedShard {
  if (!count) throw new UserError(`--shard auto: JOB_COMPLETION_INDEX=${index} (a Kubernetes Indexed Job) gives no count: pass --shard-count N or set ${SHARD_COUNT_ENV} (the Job's completions)`);
  if (index >= count.value) throw new UserError(`--shard auto: JOB_COMPLETION_INDEX=${index} is out of range for ${count.from} ${count.value} (need an index below the count)`);
  return { index, count: count.value, from: `JOB_COMPLETION_INDEX=${index} of ${count.value}` };
}

/**
 * The shard from `--shard` and `--shard-count` and the environment; undefined when `--shard` is
 * absent (the whole grid). Throws a one-line UserError on any inconsistency.
 */
export function resolveShard(shard: string | undefined, shardCount: string | undefined, env: Record<string, string | undefined>): ResolvedShard | undefined {
  if (shard === undefined) {
    if (shardCount !== undefined) throw new UserError('--shard-count goes with --shard auto');
    return undefined;
  }
  if (shard.trim() !== 'auto') {
    if (shardCount !== undefined) throw new UserError(`--shard-count goes with --shard auto (--shard ${shard} names its count)`);
    return parseExplicit(shard);
  }
  const e = readEnv(env);
  const flag = shardCount !== undefined ? parseCountFlag(shardCount) : undefined;
  const count = flag !== undefined ? { value: flag, from: '--shard-count' } : e[SHARD_COUNT_ENV] !== undefined ? { value: e[SHARD_COUNT_ENV], from: SHARD_COUNT_ENV } : undefined;
  const slurm = e.SLURM_ARRAY_TASK_ID;
  const k8s = e.JOB_COMPLETION_INDEX;
  if (slurm !== undefined && k8s !== undefined) throw new UserError(`--shard auto: both SLURM_ARRAY_TASK_ID=${slurm} and JOB_COMPLETION_INDEX=${k8s} are set; pass --shard i/N`);
  if (slurm !== undefined) return fromSlurm({ ...e, SLURM_ARRAY_TASK_ID: slurm }, count);
  if (k8s !== undefined) return fromKubernetes(k8s, count);
  if (e.SLURM_ARRAY_TASK_COUNT !== undefined) throw new UserError(`--shard auto: SLURM_ARRAY_TASK_COUNT=${e.SLURM_ARRAY_TASK_COUNT} is set but SLURM_ARRAY_TASK_ID is not`);
  if (e.SLURM_JOB_ID !== undefined) throw new UserError(`--shard auto: Slurm job ${e.SLURM_JOB_ID} is not a job array (SLURM_ARRAY_TASK_ID is not set): submit it with sbatch --array=0-<N-1>`);
  throw new UserError('--shard auto: no job-array index in the environment (SLURM_ARRAY_TASK_ID from sbatch --array, or JOB_COMPLETION_INDEX from a Kubernetes Indexed Job); outside an array pass --shard i/N');
}

/** The runs of a fixed-order plan that a shard keeps: every count-th, starting at index. */
export function shardOf<T>(plan: readonly T[], shard: Shard | undefined): T[] {
  return shard ? plan.filter((_, i) => i % shard.count === shard.index) : [...plan];
}
