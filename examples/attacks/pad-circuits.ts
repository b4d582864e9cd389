// The padding attack: can size buy score? Takes circuit files (`faithbench prune` output, or the
// suite's .cache/circuits), adds (factor − 1)·n random non-circuit nodes to every task circuit
// (nonsense circuits are copied unchanged), and writes the padded circuit files. Bundle and
// recompute them as any submission, then compare with the unpadded runs:
//
//   npx tsx examples/attacks/pad-circuits.ts --factor 2 --out pad2 circuits/*.json
//   node bin/faithbench.js bundle pad2/*.json --name pad2-zero --out pad2.json
//   node bin/faithbench.js submit pad2.json --preset standard --out pad2-results
//
// A scoring that size cannot buy gives a padded circuit no more than its unpadded one: the padding
// is random nodes, which the size-matched null (random circuits of the padded size) already
// contains. docs/findings.md reports the figures.
import { basename, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { readCircuitFile } from '../../src/methods/circuit.ts';
import { shuffled } from '../../src/util/random.ts';
import { writeJsonAtomic } from '../../src/util/fs.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const factor = Number(flag('--factor') ?? '2');
const out = flag('--out');
if (!out || !Number.isFinite(factor) || factor < 1 || !args.length) {
  console.error('usage: pad-circuits.ts --factor <≥ 1> --out <dir> <circuit files...>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
for (const file of args) {
  const c = readCircuitFile(file);
  if (c.task !== 'nonsense') {
    const rng = seedrandom(`pad:${c.model.id}:${c.task}:${c.seed}:${factor}`);
    const kept = new Set(c.nodes);
    const extra = shuffled(c.ranking.filter((n) => !kept.has(n)), rng).slice(0, Math.round((factor - 1) * c.size));
    const nodes = [...c.nodes, ...extra];
    const inCircuit = new Set(nodes);
    c.nodes = nodes;
    c.size = nodes.length;
    // the ranking still starts with the circuit, so the prefix the checks read is the padded circuit
    c.ranking = [...nodes, ...c.ranking.filter((n) => !inCircuit.has(n))];
  }
  writeJsonAtomic(join(out, basename(file)), c);
}
console.log(`${args.length} circuit files → ${out} (task circuits padded ×${factor})`);
