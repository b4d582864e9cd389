// Small helpers shared by CLI commands.
import { UserError } from '../util/errors.ts';

export { loadFilterModel } from '../tasks/prompts.ts';

/** A flag's value as a positive integer, or a one-line error naming the flag. */
export function positiveInt(flag: string, raw: string): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, got "${raw}"`);
  return n;
}
