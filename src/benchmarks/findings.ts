// The seed's findings (DESIGN.md §6, last paragraph) as measurable figures, per method and
// model, from a results folder: what the write-up in docs/findings.md quotes.
import type { RunResult } from './results-schema.ts';

export interface FindingRow {
  method: string;
  model: string;
  runs: number;
  /** pronoun circuit size n* (mean over seeds) and as a share of all nodes */
  pronounNStar: number | null;
  pronounFraction: number | null;
  ioiNStar: number | null;
  /** nonsense: the smallest-loss circuit within B = 3·n*: its size / n*(pronoun), and L_circ / L_model */
  nonsenseSizeRatio: number | null;
  nonsenseLossRatio: number | null;
  /** share of nonsense runs reaching loss ≤ 0.15 within the budget (the model never does it) */
  nonsenseSolvedShare: number | null;
  sameGenderPCirc: number | null;
  badCircuitShare: number | null;
  rolesScore: number | null;
  flippedShare: number | null;
  advWorstAcc: number | null;
  randomAcc: number | null;
  modelAcc: number | null;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function findings(runs: readonly RunResult[]): FindingRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) {
    const k = `${r.method.id}\u0000${r.model.id}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const rows: FindingRow[] = [];
  for (const [k, rs] of [...groups.entries()].sort()) {
    const [method, model] = k.split('\u0000');
    const pron = rs.filter((r) => r.task === 'pronoun');
    const ioi = rs.filter((r) => r.task === 'ioi');
    const ns = pron.map((r) => r.checks.nonsense).filter((c) => c !== null);
    const sg = ioi.map((r) => r.checks.same_gender).filter((c) => c !== null);
    const roles = rs.map((r) => r.checks.roles).filter((c) => c !== null);
    const adv = rs.map((r) => r.checks.adversary).filter((c) => c !== null);
    rows.push({
      method,
      model,
      runs: rs.length,
      pronounNStar: mean(pron.map((r) => r.circuit.size)),
      pronounFraction: mean(pron.map((r) => r.circuit.size / r.circuit.total_nodes)),
      ioiNStar: mean(ioi.map((r) => r.circuit.size)),
      nonsenseSizeRatio: mean(ns.filter((c) => c.reference_n_star > 0).map((c) => c.circuit_size / c.reference_n_star)),
      nonsenseLossRatio: mean(ns.map((c) => c.L_circ / c.L_model)),
      nonsenseSolvedShare: mean(ns.map((c) => (c.L_circ <= 0.15 ? 1 : 0))),
      sameGenderPCirc: mean(sg.map((c) => c.P_circ)),
      badCircuitShare: mean(sg.map((c) => (c.bad_circuit ? 1 : 0))),
      rolesScore: mean(roles.map((c) => c.score)),
      flippedShare: mean(roles.map((c) => c.flipped_share)),
      advWorstAcc: mean(adv.map((c) => c.worst_acc)),
      randomAcc: mean(adv.map((c) => c.random_mean_acc)),
      modelAcc: mean(adv.map((c) => c.acc_model)),
    });
  }
  return rows;
}

const f = (x: number | null, d = 3) => (x === null ? '—' : x.toFixed(d));

export function findingsMarkdown(rows: readonly FindingRow[]): string {
  const head = '| method | model | runs | n* pronoun (share) | n* IOI | nonsense: best size / n* | nonsense: L_circ / L_model | nonsense solved (≤ 0.15) | same-gender P_circ | bad-circuit share | role score | flipped share | adv. worst acc | random-pattern acc |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n';
  return (
    head +
    rows
      .map((r) =>
        `| ${r.method} | ${r.model} | ${r.runs} | ${f(r.pronounNStar, 0)} (${f(r.pronounFraction === null ? null : 100 * r.pronounFraction, 1)}%) | ${f(r.ioiNStar, 0)} | ${f(r.nonsenseSizeRatio, 2)} | ${f(r.nonsenseLossRatio)} | ${f(r.nonsenseSolvedShare, 2)} | ${f(r.sameGenderPCirc)} | ${f(r.badCircuitShare, 2)} | ${f(r.rolesScore)} | ${f(r.flippedShare)} | ${f(r.advWorstAcc)} | ${f(r.randomAcc)} |`,
      )
      .join('\n') +
    '\n'
  );
}
