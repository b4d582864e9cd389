// Weight sparsity (Gao et al.): after each optimizer step keep, in each weight matrix,
// the largest-|w| fraction L0 of entries (and at least `minPerColumn` per output unit),
// zero the rest. Done on the host with quickselect: O(n) per matrix.

/** k-th largest value (1-based k) of `values`, destroying its order. */
export function kthLargest(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] > pivot) i++;
      while (values[j] < pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target];
  }
  return values[target];
}

/**
 * Returns a 0/1 mask for a [rows, cols] matrix keeping the top fraction `l0` by |w|,
 * plus the top `minPerColumn` of every column. l0 ≥ 1 keeps everything.
 */
export function topMagnitudeMask(w: Float32Array, rows: number, cols: number, l0: number, minPerColumn: number): Uint8Array {
  const n = w.length;
  const mask = new Uint8Array(n);
  if (l0 >= 1) return mask.fill(1);
  const keep = Math.max(1, Math.round(l0 * n));
  const mags = new Float32Array(n);
  for (let i = 0; i < n; i++) mags[i] = Math.abs(w[i]);
  const thr = kthLargest(mags.slice(), keep);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    // strictly-greater first, then fill ties up to `keep` so the count is exact
    if (mags[i] > thr) {
      mask[i] = 1;
      kept++;
    }
  }
  for (let i = 0; i < n && kept < keep; i++) {
    if (mags[i] === thr && !mask[i]) {
      mask[i] = 1;
      kept++;
    }
  }
  const minCol = Math.min(minPerColumn, rows);
  if (minCol > 0) {
    const col = new Float32Array(rows);
    for (let c = 0; c < cols; c++) {
      let have = 0;
      for (let r = 0; r < rows; r++) have += mask[r * cols + c];
      if (have >= minCol) continue;
      for (let r = 0; r < rows; r++) col[r] = mags[r * cols + c];
      const t = kthLargest(col.slice(), minCol);
      for (let r = 0; r < rows && have < minCol; r++) {
        if (mags[r * cols + c] >= t && !mask[r * cols + c]) {
          mask[r * cols + c] = 1;
          have++;
        }
      }
    }
  }
  return mask;
}

/** L0 schedule: anneal linearly from 1 to the target over the first half of training (Gao et al.). */
export function l0At(step: number, totalSteps: number, target: number): number {
  if (target >= 1) return 1;
  const half = Math.max(1, Math.floor(totalSteps / 2));
  const t = Math.min(1, step / half);
  return 1 + (target - 1) * t;
}

/** Fraction of nonzero entries. */
export function density(w: Float32Array): number {
  let nz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
  return nz / w.length;
}
