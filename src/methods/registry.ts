// The method registry and plugin loader. `defineMethod` validates and registers;
// `loadMethod` resolves a built-in id or loads a plugin file (.ts or .js, in any folder,
// bundled by src/plugins/load.ts) that default-exports (or exports `method`) a defined method.
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { loadPlugin, looksLikePath } from '../plugins/load.ts';
import type { Method, MaskLearnerMethod, DiscoverMethod } from './types.ts';

const REGISTRY = new Map<string, Method>();
/** ids of the built-in methods, captured before any plugin loads */
const BUILTIN_IDS = new Set<string>();

const CardSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'method id must be lowercase letters, digits and dashes'),
  description: z.string().min(1, 'description is required'),
  paperUrl: z.string().url().optional(),
  kind: z.enum(['mask-learner', 'discover']),
  options: z.custom<z.ZodTypeAny>((v) => v instanceof z.ZodType, { message: 'options must be a zod schema' }),
});

/** Validate and register a method; returns it (so a plugin can `export default defineMethod({...})`). */
export function defineMethod<O extends z.ZodTypeAny>(method: MaskLearnerMethod<O>): MaskLearnerMethod<O>;
export function defineMethod<O extends z.ZodTypeAny>(method: DiscoverMethod<O>): DiscoverMethod<O>;
export function defineMethod(method: Method): Method;
export function defineMethod(method: Method): Method {
  const parsed = CardSchema.safeParse(method);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UserError(`invalid method definition: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  if (method.kind === 'mask-learner' && typeof (method as { scheme?: unknown }).scheme !== 'function') {
    throw new UserError(`invalid method "${method.id}": a mask-learner method needs a scheme(options) function`);
  }
  if (method.kind === 'discover' && typeof (method as { discover?: unknown }).discover !== 'function') {
    throw new UserError(`invalid method "${method.id}": a discover method needs a discover(model, task, budget, options, ctx) function`);
  }
  // a built-in's id is reserved: a plugin's defineMethod cannot replace it
  if (BUILTIN_IDS.has(method.id) && REGISTRY.get(method.id) !== method) throw new UserError(`method id "${method.id}" is reserved by a built-in method; choose another id`);
  REGISTRY.set(method.id, method);
  return method;
}

export function listMethods(): Method[] {
  return [...REGISTRY.values()];
}

function isMethod(v: unknown): v is Method {
  return typeof v === 'object' && v !== null && 'id' in v && 'kind' in v && 'options' in v;
}

/** A built-in id, or a path to a plugin file (in any folder; see src/plugins/load.ts). */
export async function loadMethod(ref: string): Promise<Method> {
  await import('./builtin/index.ts');
  if (!BUILTIN_IDS.size) for (const id of REGISTRY.keys()) BUILTIN_IDS.add(id);
  const builtin = REGISTRY.get(ref);
  if (builtin) return builtin;
  if (!looksLikePath(ref)) throw new UserError(`unknown method "${ref}": expected one of ${[...REGISTRY.keys()].join(', ')} or a path to a method file`);
  const { value: candidate } = await loadPlugin(ref, 'method');
  if (!isMethod(candidate)) throw new UserError(`method file ${ref} does not export a method (default-export the result of defineMethod)`);
  // built-in ids are reserved: a plugin never mixes its runs into a built-in method's row
  if (BUILTIN_IDS.has(candidate.id)) throw new UserError(`method file ${ref} defines "${candidate.id}", an id reserved by a built-in method; choose another id`);
  if ((candidate as { baseline?: unknown }).baseline) throw new UserError(`method file ${ref}: "baseline" is reserved for the built-in reference baselines`);
  // plugins built without our defineMethod still get validated
  return defineMethod(candidate);
}

/** Parse options against the method's schema: one line naming the offending option. */
export function parseOptions(method: Method, raw: unknown): Record<string, unknown> {
  const parsed = method.options.safeParse(raw ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new UserError(`options for method "${method.id}" are invalid: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return parsed.data as Record<string, unknown>;
}
