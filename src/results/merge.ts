// `faithbench merge`: combine results directories (e.g. the shards of a cluster job) into one,
// all or nothing. Every input file is validated by the one results reader first; any invalid
// file, empty input or conflict refuses the whole merge before anything is written. The new
// files are then written into a hidden staging folder on the destination's file system and
// moved in by rename: a new destination appears whole in one rename; into an existing one the
// files are renamed in one by one and, should a rename fail, the ones already moved are moved back.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonAtomic, writeFileAtomic } from '../util/fs.ts';
import { UserError } from '../util/errors.ts';
import { loadResults, requireResultsDir, type Skipped } from './load.ts';
import type { RunResult } from './schema.ts';

export interface MergeReport {
  out: string;
  /** New run files written. */
  copied: number;
  /** Runs the destination already held (same run id). */
  present: number;
  /** Runs that more than one input holds (same run id): the first input's is kept. */
  duplicates: number;
  /** Invalid files in the destination that a valid run of the same path replaced. */
  replaced: string[];
  /** Runs without a digest among the merged inputs (relative paths). */
  undigested: string[];
  /** Invalid files already in the destination, left as they are (unless replaced). */
  destSkipped: Skipped[];
}

/** Raised when an input holds invalid files: the command lists them, then fails. */
export class MergeRefused extends UserError {
  constructor(
    message: string,
    readonly skipped: Array<Skipped & { dir: string }>,
  ) {
    super(message);
  }
}

const inside = (parent: string, child: string) => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

export function mergeResults(dirs: string[], outDir: string): MergeReport {
  const out = resolve(outDir);
  const inputs = dirs.map((d) => resolve(d));
  for (const [i, d] of inputs.entries()) {
    requireResultsDir(d, 'merge:');
    if (inside(d, out) || inside(out, d)) throw new UserError(`merge: ${dirs[i]} and --out ${outDir} overlap; merge into a separate folder`);
  }
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`merge: --out ${outDir} is not a folder`);

  // 1. validate every input; refuse on any invalid file
  const bad: Array<Skipped & { dir: string }> = [];
  const plan = new Map<string, { from: string; run?: RunResult }>();
  const byRunId = new Map<string, string>();
  const report: MergeReport = { out, copied: 0, present: 0, duplicates: 0, replaced: [], undigested: [], destSkipped: [] };
  const loadedInputs = inputs.map((d) => loadResults(d));
  for (const [i, loaded] of loadedInputs.entries()) {
    for (const s of loaded.skipped) bad.push({ ...s, dir: dirs[i] });
    if (loaded.runs.length === 0 && loaded.skipped.length === 0) throw new UserError(`merge: ${dirs[i]} holds no run results`);
  }
  if (bad.length) throw new MergeRefused(`merge: ${bad.length} invalid file${bad.length === 1 ? '' : 's'} in the inputs (first: ${join(bad[0].dir, bad[0].file)}: ${bad[0].reason}); nothing was written`, bad);

  for (const [i, loaded] of loadedInputs.entries()) {
    for (const l of loaded.runs) {
      const other = byRunId.get(l.run.run_id);
      if (other !== undefined) {
        report.duplicates++;
        continue;
      }
      const at = plan.get(l.file);
      if (at) throw new UserError(`merge: ${l.file} is a different run in ${dirs[i]} than in an earlier input; nothing was written`);
      plan.set(l.file, { from: join(inputs[i], l.file), run: l.run });
      byRunId.set(l.run.run_id, l.file);
      if (!l.run.digest) report.undigested.push(l.file);
    }
    // method cards of submissions travel with their runs; the same card file twice must be identical
    for (const file of loaded.cardFiles) {
      const from = join(inputs[i], file);
      const at = plan.get(file);
      if (at && readFileSync(at.from, 'utf8') !== readFileSync(from, 'utf8')) throw new UserError(`merge: ${file} differs between inputs; nothing was written`);
      if (!at) plan.set(file, { from });
    }
  }

  // 2. what the destination already holds
  const dest = loadResults(out);
  const destById = new Map(dest.runs.map((l) => [l.run.run_id, l.file]));
  const destRuns = new Map(dest.runs.map((l) => [l.file, l.run.run_id]));
  const destInvalid = new Set(dest.skipped.map((s) => s.file));
  const destCards = new Set(dest.cardFiles);
  report.destSkipped = dest.skipped;
  const writes: Array<{ file: string; from: string; run?: RunResult }> = [];
  for (const [file, p] of plan) {
    if (p.run) {
      if (destById.has(p.run.run_id)) {
        report.present++;
        continue;
      }
      const there = destRuns.get(file);
      if (there !== undefined) throw new UserError(`merge: ${join(outDir, file)} already holds another run (${there}); nothing was written`);
      if (destInvalid.has(file)) report.replaced.push(file);
    } else if (destCards.has(file)) {
      if (readFileSync(join(out, file), 'utf8') !== readFileSync(p.from, 'utf8')) throw new UserError(`merge: ${join(outDir, file)} differs from the input's; nothing was written`);
      continue;
    }
    writes.push({ file, ...p });
  }
  if (writes.length === 0) return report;

  // 3. stage, then move in
  const fresh = !existsSync(out);
  if (fresh) mkdirSync(dirname(out), { recursive: true });
  const stage = fresh ? join(dirname(out), `.${basename(out)}.merge-${randomBytes(4).toString('hex')}`) : join(out, `.merge-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(stage, { recursive: true });
    for (const w of writes) {
      if (w.run) writeJsonAtomic(join(stage, 'new', w.file), w.run);
      else writeFileAtomic(join(stage, 'new', w.file), readFileSync(w.from));
    }
    if (fresh) {
      renameSync(join(stage, 'new'), out);
    } else {
      const moved: Array<{ file: string; backup?: string }> = [];
      try {
        for (const [i, w] of writes.entries()) {
          const target = join(out, w.file);
          let backup: string | undefined;
          if (existsSync(target)) {
            // an invalid file of the same path: kept aside until every rename has succeeded
            backup = join(stage, 'old', String(i));
            mkdirSync(dirname(backup), { recursive: true });
            renameSync(target, backup);
          }
          moved.push({ file: w.file, backup });
          mkdirSync(dirname(target), { recursive: true });
          renameSync(join(stage, 'new', w.file), target);
        }
      } catch (err) {
        for (const m of moved.reverse()) {
          rmSync(join(out, m.file), { force: true });
          if (m.backup) renameSync(m.backup, join(out, m.file));
        }
        throw err;
      }
    }
    report.copied = writes.filter((w) => w.run).length;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return report;
}
