// The scoring (DESIGN.md §6), as pure functions of stored figures. No tfjs: the suite, the
// leaderboard, the site, the verifier and the tests all call these, so there is ONE definition
// of every score and of `overall`. The principles they encode exist because the first scores
// were bought by size (a whole-model "circuit" topped the leaderboard):
//   - size-matched lift: a check credits only what a circuit does beyond random circuits of the
//     same size under the same ablation — beyond the best of R such draws (scoring v4), so the
//     whole model (whose size-matched random circuit is itself) scores 0 and a circuit that is
//     itself a random draw scores ≈ 0 in expectation, not the clamp's positive bias;
//   - chance correction: a binary accuracy a enters as (a − 0.5)/(a_model − 0.5);
//   - a negative control multiplies: a method that makes a few nodes do what the model never
//     does has its circuits discounted.
import { clamp01, type CheckResult, type RunResult } from './schema.ts';

export { clamp01 };

/** Below this headroom (1 − s̄_rand) the random circuits already score ≈ 1: nothing is left to credit. */
export const LIFT_MIN_HEADROOM = 0.05;

/** Size-matched lift: clamp((s − s̄_rand)/(1 − s̄_rand), 0, 1), and 0 when 1 − s̄_rand < 0.05. */
export function lift(s: number, sRand: number): number {
  const headroom = 1 - sRand;
  if (headroom < LIFT_MIN_HEADROOM) return 0;
  return clamp01((s - sRand) / headroom);
}

/** Chance-corrected binary accuracy (or P_correct): clamp((a − 0.5)/(a_model − 0.5), 0, 1); 0 when the model is at chance. */
export function chanceCorrected(a: number, aModel: number): number {
  const den = aModel - 0.5;
  return den > 0 ? clamp01((a - 0.5) / den) : 0;
}

/** Check 3: the IOI circuit's same-gender P_correct against the model's. */
export function sameGenderScore(P_circ: number, P_model: number): number {
  return chanceCorrected(P_circ, P_model);
}

/** Check 5: the worst-case accuracy the adversary found, chance-corrected against the model's. */
export function adversaryScore(worstAcc: number, accModel: number): number {
  return chanceCorrected(worstAcc, accModel);
}

/** Check 6: the share of circuit nodes whose removal alone raises the test loss by more than `threshold`. */
export const MINIMALITY_THRESHOLD = 0.01;
export function minimalityScore(rises: ReadonlyArray<number>, threshold = MINIMALITY_THRESHOLD): number {
  return rises.length ? rises.filter((r) => r > threshold).length / rises.length : 0;
}

/**
 * Check 4: mean of clamp(r, 0, 1) over the circuit's nodes that have a maskable input (a node
 * constant in the pruned model counts r = 0: its role is gone), averaged with 1 − mean attention
 * JS divergence when the circuit has q/k/v nodes (heads). 0 when there is no node to judge.
 */
export function rolesScore(rs: ReadonlyArray<number | null>, js: ReadonlyArray<number>): number {
  const rPart = rs.length ? rs.reduce<number>((a, r) => a + clamp01(r ?? 0), 0) / rs.length : null;
  const jsPart = js.length ? 1 - js.reduce((a, x) => a + clamp01(x), 0) / js.length : null;
  const parts = [rPart, jsPart].filter((x): x is number => x !== null);
  return parts.length ? parts.reduce((a, b) => a + b, 0) / parts.length : 0;
}

/**
 * Check 2 (negative control): resistance = clamp((L_circ − target)/(L_rand − target), 0, 1), where
 * L_circ is the lowest nonsense loss of any prefix of ≤ B nodes of the method's blind nonsense
 * ranking and L_rand the same for random rankings. null (the control cannot tell, no discount)
 * when random prefixes themselves come within LIFT_MIN_HEADROOM of the target.
 */
export function nonsenseResistance(L_circ: number, L_rand: number, target: number): number | null {
  const den = L_rand - target;
  if (den < LIFT_MIN_HEADROOM) return null;
  return clamp01((L_circ - target) / den);
}

/**
 * Check 2 over a fixed grid of budgets (shares of the model's nodes, the same for every method):
 * the mean of the per-budget resistances that can tell (null ones skipped); null when none can.
 * L_circ(B) and L_rand(B) are the lowest nonsense losses of prefixes of ≤ B nodes.
 */
export function nonsenseResistanceOverBudgets(perBudget: ReadonlyArray<{ L_circ: number; L_rand: number }>, target: number): number | null {
  const rs = perBudget.map((b) => nonsenseResistance(b.L_circ, b.L_rand, target)).filter((r): r is number => r !== null);
  return rs.length ? rs.reduce((a, b) => a + b, 0) / rs.length : null;
}

/**
 * The null a lifted check is measured against: the BEST of the R size-matched random draws
 * (scoring v4). Against their mean (v3), a circuit that is itself a random draw earns
 * E[clamp((X − X̄)/(1 − X̄), 0, 1)] > 0 from the clamp alone — the v3 random baseline's 0.104
 * overall on the standard grid; against the best of R it exceeds the reference with chance
 * 1/(R + 1), and only by its excess. null without draws.
 */
export function nullReference(randomScores: ReadonlyArray<number> | null): number | null {
  return randomScores && randomScores.length ? Math.max(...randomScores) : null;
}

/** What a check contributes: lift over the null reference for lifted checks, the score for controls, nothing for reports. */
export function checkValue(role: CheckResult['role'], score: number | null, randomScores: ReadonlyArray<number> | null): number | null {
  if (role === 'report' || score === null) return null;
  if (role === 'control') return score;
  const ref = nullReference(randomScores);
  return ref === null ? null : lift(score, ref);
}

/**
 * THE overall score of one run: mean of its lifted checks' values × the product of its controls.
 * null when the circuit was flagged (failed verification) or no lifted check applies.
 */
export function overallOf(checks: Readonly<Record<string, Pick<CheckResult, 'role' | 'value'>>>, flagged = false): number | null {
  if (flagged) return null;
  const lifted: number[] = [];
  let control = 1;
  for (const c of Object.values(checks)) {
    if (c.value === null) continue;
    if (c.role === 'lifted') lifted.push(c.value);
    else if (c.role === 'control') control *= c.value;
  }
  if (!lifted.length) return null;
  return clamp01((lifted.reduce((a, b) => a + b, 0) / lifted.length) * control);
}

export function runOverall(run: Pick<RunResult, 'checks' | 'flagged'> & { settings?: RunResult['settings'] }): number | null {
  // a run that ran only some checks (a report preset's settings.checks) has no overall: its mean would be over other checks than everyone else's
  if (run.settings && Array.isArray((run.settings as Record<string, unknown>).checks)) return null;
  return overallOf(run.checks, run.flagged);
}

/**
 * The formulas above as text, for readers of the results (the site's check definitions): how a
 * check's raw score s becomes the value that enters the overall, per role, and the overall itself.
 * Kept beside the functions so that a change of scoring changes both.
 */
export const ROLE_FORMULA: Readonly<Record<CheckResult['role'], string>> = {
  lifted: `value = clamp((s − s_ref)/(1 − s_ref), 0, 1), where s_ref is the best raw score of R random circuits of the same size under the same ablation (scoring v4); 0 when 1 − s_ref < ${LIFT_MIN_HEADROOM}`,
  control: 'value = s; the overall is multiplied by it (null, no discount, when the control cannot tell)',
  report: 'no value: shown beside the score, never folded into it',
};

export const OVERALL_FORMULA = 'overall = mean of the lifted checks’ values that apply to the task × the product of the controls’ values; none for a flagged run';
