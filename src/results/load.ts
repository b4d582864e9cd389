// The one reader of results directories: the suite's cache lookup, merge, leaderboard, findings,
// the site and the server all read runs through here, so they all accept and refuse the same files.
//
// A results directory is shared ground (the suite writes to it, submissions land in it, people copy
// and edit files in it), so nothing in it may crash a reader, and nothing in it is trusted: a file is
// a run only if it
//   1. is JSON of at most MAX_FILE_BYTES,
//   2. matches the schema (src/results/schema.ts),
//   3. carries the digest of its content if it has one (computeDigest: a SHA-256 over the whole run
//      but the digest itself, written by the suite) — a hand edit of any figure breaks it, and
//   4. is consistent (verifyRun): its run_id is the hash of its inputs, sizes match node lists, every
//      check's value and the overall are the scoring functions of the stored figures, and so on.
// Every other file is skipped with one reason, and every command says what it skipped and why.
//
// The digest detects edits; it does not authenticate (anyone can recompute a SHA-256). Runs written
// before the digest existed (schema v2 files without `digest`) are still read, checked by 1, 2 and
// 4 only: an edit that keeps a run consistent (say, of a raw figure no score is derived from, or of
// a score together with everything derived from it) is not detectable in them. Readers say how many
// such runs they read (undigested); rerunning the suite rewrites them with a digest.
//
// Results carry no tensors: this module must stay free of tfjs, engine and methods imports.
import { isSubmittedMethodId } from './submission.ts';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { MethodCardSchema, computeDigest, formatZodIssue, type MethodCard, type RunResult } from './schema.ts';
import { UserError } from '../util/errors.ts';
// TODO(architecture): the consistency verifier belongs in src/results/ (it imports only results
// code); it lives in site/submit.ts today, which another change owns.
import { verifyRun } from '../site/submit.ts';

export interface LoadedRun {
  run: RunResult;
  /** Path relative to the results directory, with forward slashes. */
  file: string;
  /** Runs under submissions/ were sent through the API; the suite wrote the rest. */
  source: 'suite' | 'submission';
}

export interface Skipped {
  /** Path relative to the results directory, with forward slashes. */
  file: string;
  reason: string;
}

export interface LoadedResults {
  runs: LoadedRun[];
  /** Method cards from submissions (`method.json`), by method id. */
  cards: Map<string, MethodCard>;
  /** The card files, relative paths (merge copies them). */
  cardFiles: string[];
  /** Every file that was not read as a run or a card, with why. */
  skipped: Skipped[];
  /** The same as one line each, `skipping <file>: <reason>` (what the server logs). */
  problems: string[];
  /** Runs read without a digest (written before digests): only their consistency was checked. */
  undigested: string[];
}

export const SUBMISSIONS_DIR = 'submissions';
export const CARD_FILE = 'method.json';
/** Larger files are not results; reading them would only cost memory. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export type RunVerdict = { ok: true; run: RunResult; digested: boolean } | { ok: false; reason: string };

/** Rules 2–4 above for a parsed JSON value. */
export function checkRunValue(json: unknown): RunVerdict {
  const v = verifyRun(json);
  // a run edited after the suite wrote it is named as such first: that is the cause, the
  // inconsistency (if any) only its symptom
  const digest = (json as { digest?: unknown } | null)?.digest;
  if (v.ok) {
    if (v.value.digest === undefined) return { ok: true, run: v.value, digested: false };
    if (v.value.digest !== computeDigest(v.value)) return { ok: false, reason: 'edited after the suite wrote it: its content no longer matches its digest' };
    return { ok: true, run: v.value, digested: true };
  }
  if (v.kind === 'consistency' && typeof digest === 'string') return { ok: false, reason: `edited after the suite wrote it (${v.error})` };
  return { ok: false, reason: `not a valid run result: ${v.error}` };
}

function readJson(path: string): { ok: true; json: unknown } | { ok: false; reason: string } {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    return { ok: false, reason: `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  if (!st.isFile()) return { ok: false, reason: 'not a regular file' };
  if (st.size > MAX_FILE_BYTES) return { ok: false, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, reason: `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
}

/** One run file, all rules: what the suite's cache lookup uses. */
export function readRunFile(path: string): RunVerdict {
  const r = readJson(path);
  return r.ok ? checkRunValue(r.json) : r;
}

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

/** All runs of a directory (empty if it does not exist: the server starts on an empty one). */
export function loadResults(dir: string): LoadedResults {
  const result: LoadedResults = { runs: [], cards: new Map(), cardFiles: [], skipped: [], problems: [], undigested: [] };
  if (!existsSync(dir)) return result;
  const seen = new Map<string, string>();
  for (const path of listJson(dir)) {
    const rel = relative(dir, path).split(sep).join('/');
    const skip = (reason: string) => {
      result.skipped.push({ file: rel, reason });
      result.problems.push(`skipping ${rel}: ${reason}`);
    };
    const read = readJson(path);
    if (!read.ok) {
      skip(read.reason);
      continue;
    }
    if (rel.endsWith(`/${CARD_FILE}`) && rel.startsWith(`${SUBMISSIONS_DIR}/`)) {
      const card = MethodCardSchema.safeParse(read.json);
      if (card.success) {
        result.cards.set(card.data.id, card.data);
        result.cardFiles.push(rel);
      } else skip(`not a method card: ${formatZodIssue(card.error).line}`);
      continue;
    }
    const v = checkRunValue(read.json);
    if (!v.ok) {
      skip(v.reason);
      continue;
    }
    // submitted methods are namespaced (sub.<name>): only submissions/ holds them, and it holds nothing else
    const submitted = rel.startsWith(`${SUBMISSIONS_DIR}/`);
    if (submitted !== isSubmittedMethodId(v.run.method.id)) {
      skip(submitted ? `method "${v.run.method.id}" is not a submitted method (sub.<name>)` : `method "${v.run.method.id}" is a submitted method outside ${SUBMISSIONS_DIR}/`);
      continue;
    }
    const first = seen.get(v.run.run_id);
    if (first) {
      skip(`run ${v.run.run_id} is already in ${first}`);
      continue;
    }
    seen.set(v.run.run_id, rel);
    if (!v.digested) result.undigested.push(rel);
    result.runs.push({ run: v.run, file: rel, source: submitted ? 'submission' : 'suite' });
  }
  return result;
}

/** A results directory a command was pointed at: it must exist and be a directory (a typo is an error, not an empty board). */
export function requireResultsDir(dir: string, flag = '--results'): void {
  if (!existsSync(dir)) throw new UserError(`${flag} ${dir}: no such folder`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${dir}: not a folder`);
}

/** loadResults for a command: the folder must exist and hold at least one valid run. */
export function loadRequired(dir: string, flag = '--results'): LoadedResults {
  requireResultsDir(dir, flag);
  const loaded = loadResults(dir);
  if (loaded.runs.length === 0) throw new UserError(`${flag} ${dir}: no valid run results${loaded.skipped.length ? ` (${loaded.skipped.length} skipped; first: ${loaded.skipped[0].file}: ${loaded.skipped[0].reason})` : ''}`);
  return loaded;
}

/** What a command prints about what it did not read: one line per skipped file (the first `max`, then a count), one line about runs without a digest. */
export function skippedReport(loaded: Pick<LoadedResults, 'skipped' | 'undigested'>, where: string, max = 10): string[] {
  const lines = loaded.skipped.slice(0, max).map((s) => `skipped ${s.file}: ${s.reason}`);
  if (loaded.skipped.length > max) lines.push(`… and ${loaded.skipped.length - max} more skipped files in ${where} (${loaded.skipped.length} in all)`);
  const n = loaded.undigested.length;
  if (n) lines.push(`${n} run${n === 1 ? '' : 's'} in ${where} carr${n === 1 ? 'ies' : 'y'} no digest (written before digests): checked for consistency only, so an edit of a raw figure would go unnoticed; rerunning the suite adds one`);
  return lines;
}
