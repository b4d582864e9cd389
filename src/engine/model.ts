// The reference transformer, top to bottom in one file (after nanoGPT's model.py):
// pre-norm GPT, RMSNorm, learned absolute positions, causal multi-head attention,
// GELU MLP, untied unembedding; optional AbsTopK activation sparsity at node sites.
//
// Every node site has a stable hook name `L{layer}.{site}` (TransformerLens style);
// a node is one coordinate of it: `L{layer}.{site}.{index}`. The forward pass takes
// hooks that read activations, apply keep coefficients k and ablation values μ
// (x̃ = μ + k·(x − μ)), and override norm scales (frozen layer norm).
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { linear3d, absTopK, gelu, causalAttention, embedding, splitLastAxis, rmsNorm, maskSite } from './ops.ts';

export const SITES = ['attn_in', 'q', 'k', 'v', 'attn_out', 'mlp_in', 'mlp_neuron', 'mlp_out'] as const;
export type Site = (typeof SITES)[number];

export const ModelConfig = z
  .object({
    vocabSize: z.number().int().min(2),
    dModel: z.number().int().min(1),
    nLayers: z.number().int().min(1),
    nHeads: z.number().int().min(1),
    dHead: z.number().int().min(1),
    dMlp: z.number().int().min(1),
    seqLen: z.number().int().min(1),
    /** AbsTopK keep fraction at node sites (Gao et al.: 0.25); null = dense activations */
    absTopK: z.number().gt(0).lte(1).nullable(),
  })
  .strict();
export type ModelConfig = z.infer<typeof ModelConfig>;

export interface LayerParams {
  norm1: tf.Variable; // [D] RMSNorm gain before attention
  wQKV: tf.Variable; // [D, 3·H·dh]
  bQKV: tf.Variable;
  wO: tf.Variable; // [H·dh, D]
  bO: tf.Variable;
  norm2: tf.Variable; // [D]
  wUp: tf.Variable; // [D, F]
  bUp: tf.Variable;
  wDown: tf.Variable; // [F, D]
  bDown: tf.Variable;
}

export interface Params {
  tokEmb: tf.Variable; // [V, D]
  posEmb: tf.Variable; // [T, D]
  layers: LayerParams[];
  normF: tf.Variable; // [D]
  wUnembed: tf.Variable; // [D, V]
}

/** Width of each node site. */
export function siteWidth(cfg: ModelConfig, site: Site): number {
  const attnWidth = cfg.nHeads * cfg.dHead;
  switch (site) {
    case 'q':
    case 'k':
    case 'v':
      return attnWidth;
    case 'mlp_neuron':
      return cfg.dMlp;
    default:
      return cfg.dModel;
  }
}

export const hookName = (layer: number, site: Site): string => `L${layer}.${site}`;
export const nodeId = (layer: number, site: Site, index: number): string => `L${layer}.${site}.${index}`;

/** Every hook point in forward order, with its width and offset into the flat node vector. */
export interface SiteSlot {
  layer: number;
  site: Site;
  name: string;
  width: number;
  offset: number;
}

export function siteSlots(cfg: ModelConfig): SiteSlot[] {
  const out: SiteSlot[] = [];
  let offset = 0;
  for (let l = 0; l < cfg.nLayers; l++) {
    for (const site of SITES) {
      const width = siteWidth(cfg, site);
      out.push({ layer: l, site, name: hookName(l, site), width, offset });
      offset += width;
    }
  }
  return out;
}

export function totalNodes(cfg: ModelConfig): number {
  return siteSlots(cfg).reduce((a, s) => a + s.width, 0);
}

const NODE_RE = /^L(\d+)\.(attn_in|q|k|v|attn_out|mlp_in|mlp_neuron|mlp_out)\.(\d+)$/;

/** Parse a node id; returns undefined when malformed or out of range for this model. */
export function parseNodeId(cfg: ModelConfig, id: string): { layer: number; site: Site; index: number } | undefined {
  const m = NODE_RE.exec(id);
  if (!m) return undefined;
  const layer = Number(m[1]);
  const site = m[2] as Site;
  const index = Number(m[3]);
  if (layer >= cfg.nLayers || index >= siteWidth(cfg, site)) return undefined;
  return { layer, site, index };
}

/** Node ids in flat order (the order of siteSlots). */
export function allNodeIds(cfg: ModelConfig): string[] {
  const ids: string[] = [];
  for (const s of siteSlots(cfg)) for (let i = 0; i < s.width; i++) ids.push(nodeId(s.layer, s.site, i));
  return ids;
}

/** Norm hook names: `L{l}.norm1`, `L{l}.norm2`, `final`. */
export type NormName = string;

export interface Hooks {
  /** keep coefficients per hook name, broadcastable to [B, T, width] (e.g. [width] or [B, 1, width]) */
  keep?: Record<string, tf.Tensor>;
  /** ablation values μ per hook name, [width]; absent = zero ablation */
  ablation?: Record<string, tf.Tensor>;
  /** override each norm's 1/RMS per position, [B, T, 1] (frozen layer norm) */
  normScales?: Record<NormName, tf.Tensor>;
  /** cache activations (after masking), norm scales and attention patterns */
  cache?: boolean;
  /** only compute logits at these positions' rows (e.g. the last): saves the unembedding on the rest */
  lastPositionOnly?: boolean;
}

export interface ForwardCache {
  acts: Record<string, tf.Tensor3D>; // [B, T, width], after ablation
  normScales: Record<NormName, tf.Tensor3D>; // [B, T, 1]
  attn: tf.Tensor4D[]; // per layer [B, H, T, T]
}

export interface ForwardOutput {
  logits: tf.Tensor3D; // [B, T or 1, V]
  cache?: ForwardCache;
}

const EPS = 1e-5;

/**
 * tfjs reads a normal op's seed as `seed ? seed : Math.random()` (ops/rand_util.js), so seed 0 —
 * the zoo's seed, whose first tensor is tok_emb — silently drew a random init: every checkpoint
 * trained before this fix has a tok_emb no config reproduces. 0 maps to a value no other draw uses.
 */
export const nonzeroSeed = (seed: number): number => (seed === 0 ? 2 ** 31 - 1 : seed);

export function initParams(cfg: ModelConfig, seed: number): Params {
  const D = cfg.dModel;
  const A = cfg.nHeads * cfg.dHead;
  let s = seed * 1000;
  const normal = (shape: number[], std: number) => tf.variable(tf.randomNormal(shape, 0, std, 'float32', nonzeroSeed(s++)));
  const zeros = (n: number) => tf.variable(tf.zeros([n]));
  const ones = (n: number) => tf.variable(tf.ones([n]));
  // GPT-2 init: 0.02, residual projections scaled by 1/sqrt(2·layers).
  const resid = 0.02 / Math.sqrt(2 * cfg.nLayers);
  return {
    tokEmb: normal([cfg.vocabSize, D], 0.02),
    posEmb: normal([cfg.seqLen, D], 0.02),
    layers: Array.from({ length: cfg.nLayers }, () => ({
      norm1: ones(D),
      wQKV: normal([D, 3 * A], 0.02),
      bQKV: zeros(3 * A),
      wO: normal([A, D], resid),
      bO: zeros(D),
      norm2: ones(D),
      wUp: normal([D, cfg.dMlp], 0.02),
      bUp: zeros(cfg.dMlp),
      wDown: normal([cfg.dMlp, D], resid),
      bDown: zeros(D),
    })),
    normF: ones(D),
    wUnembed: normal([D, cfg.vocabSize], 0.02),
  };
}

/** Parameters as a flat name → variable map (checkpoint order). */
export function namedParams(p: Params): Array<[string, tf.Variable]> {
  const out: Array<[string, tf.Variable]> = [
    ['tok_emb', p.tokEmb],
    ['pos_emb', p.posEmb],
  ];
  p.layers.forEach((l, i) => {
    for (const [k, v] of Object.entries(l)) out.push([`layers.${i}.${k}`, v as tf.Variable]);
  });
  out.push(['norm_f', p.normF], ['w_unembed', p.wUnembed]);
  return out;
}

/** The weight matrices that weight-sparse training sparsifies (not gains, biases). */
export function sparsifiedMatrices(p: Params): Array<[string, tf.Variable]> {
  return namedParams(p).filter(([, v]) => v.rank === 2);
}

/**
 * The forward pass. ids: int32 [B, T] token ids (T ≤ seqLen). Returns logits and,
 * with hooks.cache, the activations of every site (after ablation), norm scales and attention.
 */
export function forward(p: Params, cfg: ModelConfig, ids: tf.Tensor2D, hooks: Hooks = {}): ForwardOutput {
  const [B, T] = ids.shape;
  const H = cfg.nHeads;
  const dh = cfg.dHead;
  const cache: ForwardCache | undefined = hooks.cache ? { acts: {}, normScales: {}, attn: [] } : undefined;

  // A node site: AbsTopK first (sparse models), then the keep/ablation hook.
  const site = (layer: number, s: Site, x: tf.Tensor3D): tf.Tensor3D => {
    const name = hookName(layer, s);
    let y = x;
    if (cfg.absTopK !== null) y = absTopK(y, Math.max(1, Math.floor(cfg.absTopK * siteWidth(cfg, s)))) as tf.Tensor3D;
    const k = hooks.keep?.[name];
    if (k) {
      const mu = hooks.ablation?.[name];
      y = maskSite(y, k, mu) as tf.Tensor3D; // μ + k·(x − μ), or k·x
    }
    if (cache) cache.acts[name] = y;
    return y;
  };

  // RMSNorm; with a frozen scale the norm divides by the recorded RMS instead of this input's.
  const norm = (name: NormName, x: tf.Tensor3D, gain: tf.Variable): tf.Tensor3D => {
    let frozen = hooks.normScales?.[name] as tf.Tensor3D | undefined;
    if (frozen) {
      // a last-rows-only x (see lastRowsOnly below) takes the last rows of the recorded scale
      if (frozen.shape[1] > x.shape[1]) frozen = tf.slice(frozen, [0, frozen.shape[1] - x.shape[1], 0], [-1, x.shape[1], -1]);
      if (cache) cache.normScales[name] = frozen;
      return tf.mul(tf.mul(x, frozen), gain) as tf.Tensor3D;
    }
    // scale = rsqrt(mean(x²) + eps), y = x·scale·gain (one fused kernel on wasm)
    const { y, scale } = rmsNorm(x, gain, EPS);
    if (cache) cache.normScales[name] = scale as tf.Tensor3D;
    return y as tf.Tensor3D;
  };

  // With lastPositionOnly (and no cache) the last layer matters at the last position only: its
  // keys and values still come from every position, but its queries, attention output, MLP and
  // residual stream are computed for the last row alone. Same logits, a third less work when
  // pruning. Not when a hook varies along positions (it would need every row).
  const perPosition = (t?: tf.Tensor) => t !== undefined && t.rank >= 2 && t.shape[t.rank - 2] !== 1;
  const lastRowOnly = (l: number) =>
    !!hooks.lastPositionOnly && !cache && T > 1 && l === cfg.nLayers - 1 &&
    !SITES.some((s) => perPosition(hooks.keep?.[hookName(l, s)]) || perPosition(hooks.ablation?.[hookName(l, s)]));
  const lastRow = (t: tf.Tensor3D) => tf.slice(t, [0, t.shape[1] - 1, 0], [B, 1, t.shape[2]]) as tf.Tensor3D;

  const posIds = tf.range(0, T, 1, 'int32');

  let x = tf.add(embedding(p.tokEmb as tf.Tensor2D, ids), embedding(p.posEmb as tf.Tensor2D, posIds)) as tf.Tensor3D;
  for (let l = 0; l < cfg.nLayers; l++) {
    const w = p.layers[l];
    const lastOnly = lastRowOnly(l);
    // attention
    const h = site(l, 'attn_in', norm(`L${l}.norm1`, x, w.norm1));
    const qkv = linear3d(h, w.wQKV as tf.Tensor2D, w.bQKV as tf.Tensor1D);
    const A = H * dh;
    const [qRaw, kRaw, vRaw] = splitLastAxis(qkv, [A, A, A]) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const q = site(l, 'q', lastOnly ? lastRow(qRaw) : qRaw);
    const k = site(l, 'k', kRaw);
    const v = site(l, 'v', vRaw);
    // softmax(q·kᵀ/√dh + causal mask)·v per head, heads merged back: [B, T (or 1), H·dh] (ops.ts)
    const { z: merged, pattern } = causalAttention(q, k, v, H);
    if (cache) cache.attn.push(pattern);
    const attnOut = site(l, 'attn_out', linear3d(merged, w.wO as tf.Tensor2D, w.bO as tf.Tensor1D));
    x = tf.add(lastOnly ? lastRow(x) : x, attnOut) as tf.Tensor3D;
    // MLP
    const m = site(l, 'mlp_in', norm(`L${l}.norm2`, x, w.norm2));
    const neurons = site(l, 'mlp_neuron', gelu(linear3d(m, w.wUp as tf.Tensor2D, w.bUp as tf.Tensor1D)) as tf.Tensor3D);
    const mlpOut = site(l, 'mlp_out', linear3d(neurons, w.wDown as tf.Tensor2D, w.bDown as tf.Tensor1D));
    x = tf.add(x, mlpOut) as tf.Tensor3D;
  }
  let final = x;
  if (hooks.lastPositionOnly && x.shape[1] > 1) final = lastRow(x);
  const normed = norm('final', final, p.normF);
  const logits = linear3d(normed, p.wUnembed as tf.Tensor2D);
  return { logits, cache };
}

/** Number of parameters. */
export function paramCount(p: Params): number {
  return namedParams(p).reduce((a, [, v]) => a + v.size, 0);
}
