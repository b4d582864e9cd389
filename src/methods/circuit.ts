// The circuit file a prune run writes (zod-validated, versioned).
import { z } from 'zod';
import { readFileSync, existsSync } from 'node:fs';
import { UserError } from '../util/errors.ts';

export const CIRCUIT_SCHEMA_VERSION = 2;

export const CircuitFile = z.object({
  schema_version: z.literal(CIRCUIT_SCHEMA_VERSION),
  kind: z.literal('faithbench-circuit'),
  method: z.object({ id: z.string(), kind: z.enum(['mask-learner', 'discover']), options: z.record(z.string(), z.unknown()), baseline: z.boolean().optional() }),
  model: z.object({ id: z.string(), hash: z.string() }),
  task: z.string(),
  seed: z.number().int(),
  ablation: z.enum(['zero', 'mean']),
  frozen_norms: z.boolean(),
  nodes: z.array(z.string()),
  size: z.number().int().nonnegative(),
  total_nodes: z.number().int().positive(),
  /** all nodes, most important first (τ order for the mask learner) */
  ranking: z.array(z.string()),
  target_loss: z.number(),
  /** what the method said its loss was (never used for anything but display) */
  reported_loss: z.number().nullable(),
  /** the harness's own figure on the validation split */
  validation_loss: z.number(),
  /** the harness's verification on held-out prompts: above the target = flagged */
  verification: z.object({ split: z.string(), prompts: z.number().int(), loss: z.number(), target: z.number(), passed: z.boolean() }),
  /** the discretisation scan along the ranking, at `target` = SCAN_MARGIN × target_loss on validation (null when a discover method did not use it) */
  scan: z.object({ target: z.number().optional(), probes: z.array(z.object({ size: z.number(), loss: z.number() })), monotone: z.boolean(), passed: z.boolean() }).nullable(),
  /** final λ of the mask learner (null for discover methods) */
  lambda: z.number().nullable(),
  learn_curve: z.array(z.object({ step: z.number(), loss: z.number(), size: z.number(), nominal: z.number().optional(), lambda: z.number().optional() })),
  provenance: z.object({
    backend: z.string(),
    tfjs_version: z.string(),
    package_version: z.string(),
    git_commit: z.string(),
    wall_time_s: z.number(),
    date: z.string(),
  }),
});
export type CircuitFile = z.infer<typeof CircuitFile>;

export function readCircuitFile(path: string): CircuitFile {
  if (!existsSync(path)) throw new UserError(`circuit file ${path} not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UserError(`circuit file ${path} is not valid JSON`);
  }
  const parsed = CircuitFile.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UserError(`circuit file ${path}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return parsed.data;
}
