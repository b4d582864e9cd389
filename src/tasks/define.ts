/**
 * Tasks are data, not code paths: a task is one definition (prompts per split, target
 * and foil tokens, loss kind) passed to `defineTask`, which validates it and registers it.
 *
 * A researcher adds a task in a few lines, e.g. "which pronoun follows 'then'":
 *
 * ```ts
 * import { defineTask, expandTemplate } from 'faithbench';
 * const prompts = (names: string[]) =>
 *   expandTemplate('{name} was happy . then', { name: names }).map(({ words, slots }) => ({
 *     words, target: slots.name === 'Mia' || slots.name === 'Kim' ? 'she' : 'he',
 *     foil: slots.name === 'Mia' || slots.name === 'Kim' ? 'he' : 'she', template: slots.name,
 *   }));
 * defineTask({
 *   id: 'then-pronoun', description: 'subject pronoun after "then"', loss: 'binary-ce',
 *   targetDescription: 'he/she by the name', foilDescription: 'the other pronoun',
 *   splits: { train: prompts(['Leo', 'Mia']), validation: prompts(['Kim']), test: prompts(['Peter']) },
 * });
 * ```
 *
 * `defineTask` checks, and rejects with a one-line message: the shape (zod), that every
 * word is in the corpus vocabulary, target ≠ foil, that ALL prompts of the task (every
 * split) have the same token length (so they batch as one [B, T] tensor), and that the
 * train / validation / test splits share no template. Extra named splits (IOI's
 * `same-gender`) may reuse templates: they are test variants.
 */
import { z } from 'zod';
import seedrandom from 'seedrandom';
import { BOS } from '../corpus/vocab.ts';
import { tokenId } from '../corpus/tokenizer.ts';
import { CORPUS_VERSIONS, CorpusVersion } from '../corpus/versions.ts';
import { UserError, oneLine } from '../util/errors.ts';
import { shuffled } from '../util/random.ts';

export const LOSS_KINDS = ['full-ce', 'binary-ce'] as const;
/** full-ce: cross-entropy over the whole vocabulary; binary-ce: softplus(logit_foil − logit_target). */
export type LossKind = (typeof LOSS_KINDS)[number];

export const CORE_SPLITS = ['train', 'validation', 'test'] as const;

/** One prompt as words; `<bos>` is prepended by the registry. */
export interface PromptSpec {
  words: readonly string[];
  /** The correct next token. */
  target: string;
  /** The competing token (binary CE compares target with it). */
  foil: string;
  /**
   * The template this prompt instantiates (e.g. the action "ran home"). train / validation /
   * test must not share one. Defaults to the prompt text, so at least no prompt is in two splits.
   */
  template?: string;
  /** getPrompts draws round-robin over (target, stratum) groups, so any limit stays balanced. */
  stratum?: string;
  meta?: Record<string, string>;
}

/** A split's prompts, or a deterministic function that produces them (called once, at definition). */
export type SplitSource = readonly PromptSpec[] | (() => readonly PromptSpec[]);

export interface TaskDefinition {
  id: string;
  description: string;
  loss: LossKind;
  targetDescription: string;
  foilDescription: string;
  splits: TaskSplits;
  /**
   * Prompts for models trained on another corpus version, by version ("2"): the same split names
   * and prompt length, other prompts (e.g. IOI with name1 at varying positions). A variant holds
   * from its version on: a model gets the variant of the latest version ≤ its own (a v3 model
   * gets the "2" variant when there is no "3"), and `splits` below the first. So adding a
   * variant never changes what models of older versions are judged on.
   */
  corpusVariants?: Record<string, TaskSplits>;
}

export type TaskSplits = { train: SplitSource; validation: SplitSource; test: SplitSource; [extra: string]: SplitSource };

/** A tokenized prompt: `ids` starts with `<bos>`; predict the token after the last id. */
export interface Prompt {
  ids: number[];
  target: number;
  foil: number;
  /** The prompt's words without `<bos>`, space-separated. */
  text: string;
  meta?: Record<string, string>;
}

/** A registered task. */
export interface Task {
  readonly id: string;
  readonly description: string;
  readonly loss: LossKind;
  readonly targetDescription: string;
  readonly foilDescription: string;
  /** train, validation, test, then any extra splits in definition order. */
  readonly splits: readonly string[];
  /** Token length of every prompt of this task, `<bos>` included. */
  readonly promptLength: number;
  /** Corpus versions with their own prompts (TaskDefinition.corpusVariants). */
  readonly corpusVariants: readonly string[];
  /**
   * Every prompt of a split in definition order (see getPrompts for a seeded, balanced draw), for
   * a model trained on corpus version `corpus` (the task's own splits when it has no variant for it).
   */
  prompts(split: string, corpus?: string): readonly Prompt[];
}

const ID_RE = /^[a-z][a-z0-9-]*$/;

const PromptSpecSchema = z.object({
  words: z.array(z.string().min(1)).min(1, 'a prompt needs at least one word'),
  target: z.string().min(1),
  foil: z.string().min(1),
  template: z.string().min(1).optional(),
  stratum: z.string().optional(),
  meta: z.record(z.string(), z.string()).optional(),
});

const SplitSourceSchema = z.union([
  z.array(z.unknown()),
  z.custom<() => readonly PromptSpec[]>((v) => typeof v === 'function', { message: 'a split must be an array of prompts or a function returning one' }),
], { message: 'a split must be an array of prompts or a function returning one' });

const SplitsSchema = z
  .record(z.string().regex(ID_RE, 'split names must be lowercase letters, digits and dashes'), SplitSourceSchema)
  .superRefine((splits, ctx) => {
    for (const s of CORE_SPLITS) if (!(s in splits)) ctx.addIssue({ code: 'custom', message: `missing split '${s}'`, path: [s] });
  });

const TaskDefinitionSchema = z.object({
  id: z.string().regex(ID_RE, 'task id must be lowercase letters, digits and dashes, starting with a letter'),
  description: z.string().min(1),
  loss: z.enum(LOSS_KINDS),
  targetDescription: z.string().min(1),
  foilDescription: z.string().min(1),
  splits: SplitsSchema,
  corpusVariants: z
    .record(z.string(), SplitsSchema)
    .superRefine((variants, ctx) => {
      for (const v of Object.keys(variants)) {
        if (!CorpusVersion.safeParse(v).success) ctx.addIssue({ code: 'custom', message: `corpus version "${v}" does not exist (known: ${CORPUS_VERSIONS.join(', ')})`, path: [v] });
      }
    })
    .optional(),
});

/** One line per zod error: "path: message; path: message". */
function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}

const REGISTRY = new Map<string, Task>();

/** Tokenize and check one set of splits (the task's, or a corpus variant's): one length, disjoint core templates. */
function compileSplits(
  splits: Record<string, SplitSource>,
  splitNames: readonly string[],
  label: string,
  expectedLength: number | undefined,
  fail: (msg: string) => never,
): { prompts: Map<string, readonly Prompt[]>; length: number } {
  const bos = tokenId(BOS);
  const prompts = new Map<string, readonly Prompt[]>();
  const templates = new Map<string, string>(); // template → core split that uses it
  let length = expectedLength;

  for (const split of splitNames) {
    const source = splits[split];
    let specs: readonly unknown[];
    try {
      specs = typeof source === 'function' ? source() : source;
    } catch (err) {
      return fail(`${label}split '${split}': its prompt function threw: ${oneLine(err)}`);
    }
    if (!Array.isArray(specs)) fail(`${label}split '${split}': the prompt function must return an array`);
    if (specs.length === 0) fail(`${label}split '${split}' has no prompts`);
    const out: Prompt[] = [];
    specs.forEach((raw, i) => {
      const where = `${label}split '${split}' prompt ${i}`;
      const p = PromptSpecSchema.safeParse(raw);
      if (!p.success) return fail(`${where}: ${describeIssues(p.error)}`);
      const spec = p.data;
      if (spec.target === spec.foil) fail(`${where}: target and foil are both ${JSON.stringify(spec.target)}`);
      let ids: number[];
      let target: number;
      let foil: number;
      try {
        ids = [bos, ...spec.words.map(tokenId)];
        target = tokenId(spec.target);
        foil = tokenId(spec.foil);
      } catch (err) {
        return fail(`${where}: ${oneLine(err)}`);
      }
      if (length === undefined) length = ids.length;
      else if (ids.length !== length) {
        fail(`${where} has ${ids.length} tokens but earlier prompts have ${length}: all prompts of a task (every corpus variant) must have the same length`);
      }
      const text = spec.words.join(' ');
      const template = spec.template ?? text;
      if ((CORE_SPLITS as readonly string[]).includes(split)) {
        const seen = templates.get(template);
        if (seen !== undefined && seen !== split) fail(`${label}template ${JSON.stringify(template)} is in both '${seen}' and '${split}': train, validation and test must be disjoint`);
        templates.set(template, split);
      }
      const meta = { ...(spec.meta ?? {}), template, ...(spec.stratum !== undefined ? { stratum: spec.stratum } : {}) };
      out.push(Object.freeze({ ids, target, foil, text, meta }));
    });
    prompts.set(split, Object.freeze(out));
  }

  return { prompts, length: length! };
}

/** Validate a task definition, tokenize its prompts and register it; returns the task. */
export function defineTask(def: TaskDefinition): Task {
  const id = typeof (def as { id?: unknown })?.id === 'string' ? def.id : '?';
  const fail = (msg: string): never => {
    throw new UserError(`invalid task definition '${id}': ${msg}`);
  };
  const parsed = TaskDefinitionSchema.safeParse(def);
  if (!parsed.success) fail(describeIssues(parsed.error));
  if (REGISTRY.has(def.id)) fail('a task with this id is already defined');

  const splitNames = [...CORE_SPLITS, ...Object.keys(def.splits).filter((s) => !(CORE_SPLITS as readonly string[]).includes(s))];
  const base = compileSplits(def.splits, splitNames, '', undefined, fail);
  const length = base.length;
  const variants = new Map<string, Map<string, readonly Prompt[]>>();
  for (const [version, splits] of Object.entries(def.corpusVariants ?? {})) {
    const names = Object.keys(splits);
    const same = names.length === splitNames.length && splitNames.every((n) => names.includes(n));
    // a check applies to a task by its split names, so every model must see the same ones
    if (!same) fail(`corpus v${version} variant has splits ${names.join(', ')}; it must have exactly the task's (${splitNames.join(', ')})`);
    variants.set(version, compileSplits(splits, splitNames, `corpus v${version}: `, length, fail).prompts);
  }
  const prompts = base.prompts;
  // the variant of the latest version at or below the model's (CORPUS_VERSIONS is in order)
  const variantFor = (corpus?: string) => {
    if (corpus === undefined) return undefined;
    const upTo = CORPUS_VERSIONS.slice(0, CORPUS_VERSIONS.indexOf(corpus as CorpusVersion) + 1).reverse();
    return upTo.map((v) => variants.get(v)).find((v) => v !== undefined);
  };

  const task: Task = Object.freeze({
    id: def.id,
    description: def.description,
    loss: def.loss,
    targetDescription: def.targetDescription,
    foilDescription: def.foilDescription,
    splits: Object.freeze(splitNames),
    promptLength: length,
    corpusVariants: Object.freeze([...variants.keys()]),
    prompts(split: string, corpus?: string): readonly Prompt[] {
      const ps = (variantFor(corpus) ?? prompts).get(split);
      if (!ps) throw new UserError(`task '${def.id}' has no split '${split}' (splits: ${splitNames.join(', ')})`);
      return ps;
    },
  });
  REGISTRY.set(def.id, task);
  return task;
}

/** The registered task; throws a one-line error listing the known ids. */
export function getTask(id: string): Task {
  const task = REGISTRY.get(id);
  if (!task) throw new UserError(`unknown task '${id}' (known: ${[...REGISTRY.keys()].join(', ') || 'none'})`);
  return task;
}

export function listTasks(): Task[] {
  return [...REGISTRY.values()];
}

export interface GetPromptsOptions {
  /** Seeds the order; the same seed gives the same prompts. Default 0. */
  seed?: number;
  /** At most this many prompts (all of the split when omitted or larger). */
  limit?: number;
  /** The corpus version of the model the prompts are for (the task's own splits when omitted). */
  corpus?: string;
}

/**
 * A seeded, balanced draw from a split: prompts are shuffled within (target, stratum)
 * groups and taken round-robin over the groups, so every prefix is balanced between
 * targets (a constant guess scores 50%) and, where a task sets strata, between prompt forms.
 */
export function getPrompts(taskId: string, split: string, opts: GetPromptsOptions = {}): Prompt[] {
  const task = getTask(taskId);
  const all = task.prompts(split, opts.corpus);
  const seed = opts.seed ?? 0;
  const limit = opts.limit ?? all.length;
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`limit must be a non-negative integer, got ${limit}`);
  const rng = seedrandom(`faithbench-prompts:${taskId}:${split}:${seed}`);
  const groups = new Map<string, Prompt[]>();
  for (const p of all) {
    const key = `${p.target}|${p.meta?.stratum ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(p);
  }
  const lists = [...groups.keys()].sort().map((k) => shuffle(groups.get(k)!, rng));
  const out: Prompt[] = [];
  for (let i = 0; out.length < Math.min(limit, all.length); i++) {
    for (const list of lists) if (i < list.length && out.length < limit) out.push(list[i]);
  }
  return out;
}

const shuffle = shuffled;

/** Prompts as flat row-major arrays, ready to become a [B, T] tensor. */
export interface PromptBatch {
  /** [batch, length] token ids. */
  ids: Int32Array;
  targets: Int32Array;
  foils: Int32Array;
  batch: number;
  length: number;
}

export function stackPrompts(prompts: readonly Prompt[]): PromptBatch {
  if (prompts.length === 0) throw new UserError('cannot stack an empty prompt list');
  const length = prompts[0].ids.length;
  const ids = new Int32Array(prompts.length * length);
  const targets = new Int32Array(prompts.length);
  const foils = new Int32Array(prompts.length);
  prompts.forEach((p, b) => {
    if (p.ids.length !== length) throw new UserError(`prompt ${b} has ${p.ids.length} tokens, expected ${length}: prompts of different lengths cannot be stacked`);
    ids.set(p.ids, b * length);
    targets[b] = p.target;
    foils[b] = p.foil;
  });
  return { ids, targets, foils, batch: prompts.length, length };
}

/**
 * Every filling of a template's `{slot}`s (cartesian product, in order). A slot value may
 * be a phrase ("ran home"); it is split into words, so it adds one token per word.
 */
export function expandTemplate(template: string, slots: Record<string, readonly string[]>): Array<{ words: string[]; slots: Record<string, string> }> {
  const parts = template.trim().split(/\s+/);
  const names = [...new Set(parts.filter((w) => /^\{\w+\}$/.test(w)).map((w) => w.slice(1, -1)))];
  for (const n of names) if (!slots[n]) throw new UserError(`template ${JSON.stringify(template)} uses slot {${n}} but no values were given for it`);
  let fillings: Array<Record<string, string>> = [{}];
  for (const n of names) fillings = fillings.flatMap((f) => slots[n].map((v) => ({ ...f, [n]: v })));
  return fillings.map((f) => ({
    words: parts.flatMap((w) => (/^\{\w+\}$/.test(w) ? f[w.slice(1, -1)].split(' ') : [w])),
    slots: f,
  }));
}
