// Comparing results folders written by different processes (shards, cluster jobs, backends):
// the same grid must give the same files with the same figures.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** every file under d, recursively */
export function walk(d: string): string[] {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
}

/** the files under root, as paths relative to it, sorted */
export function relFiles(root: string): string[] {
  return walk(root)
    .map((f) => f.slice(root.length))
    .sort();
}

/** a result without the fields that legitimately differ between two computations */
export function figures(file: string) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  delete r.provenance.wall_time_s;
  delete r.provenance.date;
  delete r.digest; // covers the two above
  return r;
}
