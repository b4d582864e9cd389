// Reads a results directory for the site, the server and the leaderboard command.
// A results directory is shared ground (the suite writes to it, submissions land in it, people
// copy files into it), so nothing in it may crash a reader: a file that is not a valid,
// consistent run is reported in one line naming the file, and skipped.
import { lstatSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { MethodCardSchema, formatZodIssue, type MethodCard, type RunResult } from '../results/schema.ts';
import { isSubmittedMethodId } from '../results/submission.ts';
import { verifyRun } from './submit.ts';

export interface LoadedRun {
  run: RunResult;
  /** Path relative to the results directory, with forward slashes. */
  file: string;
  /** Runs under submissions/ were sent through the API; the suite wrote the rest. */
  source: 'suite' | 'submission';
}

export interface LoadedResults {
  runs: LoadedRun[];
  /** Method cards from submissions (`method.json`), by method id. */
  cards: Map<string, MethodCard>;
  /** One line per skipped file. */
  problems: string[];
}

export const SUBMISSIONS_DIR = 'submissions';
export const CARD_FILE = 'method.json';
/** Larger files are not results; reading them would only cost memory. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Every *.json under dir, sorted; hidden entries (temp files, .git) and symlinks are not followed. */
function listJson(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function loadResults(dir: string): LoadedResults {
  const result: LoadedResults = { runs: [], cards: new Map(), problems: [] };
  if (!existsSync(dir)) return result;
  const seen = new Map<string, string>();
  for (const path of listJson(dir)) {
    const rel = relative(dir, path).split(sep).join('/');
    const skip = (why: string) => result.problems.push(`skipping ${rel}: ${why}`);
    if (lstatSync(path).size > MAX_FILE_BYTES) {
      skip(`larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      skip(`not valid JSON (${(err as Error).message})`);
      continue;
    }
    if (rel.endsWith(`/${CARD_FILE}`) && rel.startsWith(`${SUBMISSIONS_DIR}/`)) {
      const card = MethodCardSchema.safeParse(json);
      if (card.success) result.cards.set(card.data.id, card.data);
      else skip(`not a method card: ${formatZodIssue(card.error).line}`);
      continue;
    }
    const v = verifyRun(json);
    if (!v.ok) {
      skip(`not a valid run result: ${v.error}`);
      continue;
    }
    // submitted methods are namespaced (sub.<name>): only submissions/ holds them, and it holds nothing else
    const submitted = rel.startsWith(`${SUBMISSIONS_DIR}/`);
    if (submitted !== isSubmittedMethodId(v.value.method.id)) {
      skip(submitted ? `method "${v.value.method.id}" is not a submitted method (sub.<name>)` : `method "${v.value.method.id}" is a submitted method outside ${SUBMISSIONS_DIR}/`);
      continue;
    }
    const first = seen.get(v.value.run_id);
    if (first) {
      skip(`run ${v.value.run_id} is already in ${first}`);
      continue;
    }
    seen.set(v.value.run_id, rel);
    result.runs.push({ run: v.value, file: rel, source: submitted ? 'submission' : 'suite' });
  }
  return result;
}
