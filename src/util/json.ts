// JSON helpers shared by the engine (checkpoint hashes), the server and the CLI.

/** JSON with object keys sorted at every depth, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Nesting deeper than this is refused before any parser or validator recurses into it. */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of `[`/`{` in a JSON text, scanned without recursion (strings and their
 * escapes skipped), stopping as soon as `limit` is exceeded. A 100000-deep array costs one
 * pass over its bytes, never a stack frame per level.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

export class JsonTooDeep extends Error {
  constructor(readonly limit: number) {
    super(`JSON nests deeper than ${limit} levels`);
  }
}

/** JSON.parse behind the depth check: throws JsonTooDeep, or JSON.parse's SyntaxError. */
export function parseJsonBounded(text: string, limit = MAX_JSON_DEPTH): unknown {
  if (jsonDepthExceeds(text, limit)) throw new JsonTooDeep(limit);
  return JSON.parse(text) as unknown;
}
