// Checks are registered data (DESIGN.md §6): an id, a title and description the site shows,
// how the check enters the overall (role), which tasks it applies to, and run(). Every file
// in this folder other than this one default-exports a `defineCheck(...)`; the suite loads
// them all, so adding a check touches no core file.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { LoadedModel } from '../../engine/modelio.ts';
import type { Prompt, Task } from '../../tasks/define.ts';
import type { CircuitFile } from '../../methods/circuit.ts';
import type { CheckRole } from '../../results/schema.ts';
import type { SuiteSettings } from '../presets.ts';
import type { CircuitUnderTest } from '../circuit.ts';

export interface CheckContext {
  model: LoadedModel;
  task: Task;
  seed: number;
  settings: SuiteSettings;
  /** the circuit, with its ranking, under its own ablation */
  circuit: CircuitUnderTest;
  /** size-matched random circuits: same size, same ablation, seeded draws (flat keep vectors) */
  randomKeeps: Float32Array[];
  /** the run's test prompts */
  test: Prompt[];
  /** another split of the run's task (e.g. same-gender), limited like the test prompts */
  prompts: (split: string) => Prompt[];
  /** the method run BLIND on another task with the options it used for this run (cached) */
  blind: (taskId: string) => Promise<CircuitFile>;
  say: (msg: string) => void;
}

export interface CheckOutput {
  /** the circuit's raw score in [0, 1] (null for report-only checks) */
  score: number | null;
  /** the same score for each size-matched random circuit (lifted checks) */
  randomScores?: number[];
  figures: Record<string, unknown>;
}

export interface CheckDefinition {
  id: string;
  title: string;
  /** one paragraph: what, how, why (the site shows it) */
  description: string;
  role: CheckRole;
  /** every score here is higher = more faithful; stated for the registry's readers */
  higherIsBetter: true;
  appliesTo: (task: Task) => boolean;
  run: (ctx: CheckContext) => CheckOutput | Promise<CheckOutput>;
}

const CheckCard = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/),
  title: z.string().min(1).max(200),
  description: z.string().min(1),
  role: z.enum(['lifted', 'control', 'report']),
  higherIsBetter: z.literal(true),
  appliesTo: z.custom<CheckDefinition['appliesTo']>((v) => typeof v === 'function'),
  run: z.custom<CheckDefinition['run']>((v) => typeof v === 'function'),
});

const REGISTRY = new Map<string, CheckDefinition>();

export function defineCheck(check: CheckDefinition): CheckDefinition {
  const parsed = CheckCard.safeParse(check);
  if (!parsed.success) throw new Error(`invalid check definition ${String((check as { id?: unknown }).id)}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
  REGISTRY.set(check.id, check);
  return check;
}

let loaded: Promise<CheckDefinition[]> | undefined;

/** Every check in this folder, in a fixed order: by file name (`1-size.ts`, `2-nonsense.ts`, …). */
export function loadChecks(): Promise<CheckDefinition[]> {
  loaded ??= (async () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const files = readdirSync(dir).filter((f) => /\.ts$/.test(f) && f !== 'registry.ts' && !f.endsWith('.d.ts')).sort();
    for (const f of files) await import(pathToFileURL(join(dir, f)).href);
    return [...REGISTRY.values()]; // registration order = file-name order (files are numbered)
  })();
  return loaded;
}

