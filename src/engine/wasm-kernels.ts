// Fast kernels for the wasm backend.
//
// Stock tfjs-backend-wasm 4.22 runs every matMul with a transpose flag, every batched
// matMul, tanh and most reductions on slow scalar paths (DESIGN.md §2). This file adds
// kernels written in WebAssembly SIMD that work directly on the wasm backend's heap:
// the module below imports the backend's own WebAssembly.Memory, so a kernel reads its
// inputs and writes its outputs in place (no copies), exactly like the stock kernels.
//
// The wasm is assembled at start-up from the text in this file by a ~150-line
// assembler (`assemble`), so there is no build step, no binary in the repository and
// nothing to download: generator functions emit the (unrolled) instruction text.
//
// Registered kernels (all `Faith*` names are ours; `ops.ts` calls them through
// tf.engine().runKernel when `fastKernelsEnabled()`, and falls back to stock tfjs ops
// on other backends). Their gradients are registered with tf.registerGradient and are
// lazy per input, so a frozen weight's gradient is never computed.
//   FaithMatMul (+ bias, any transpose, batched)   FaithAttention / FaithAttentionGrad
//   FaithGelu / FaithGeluGrad                       FaithSoftmaxCE / FaithSoftmaxCEGrad
//   FaithRMSNorm / FaithRMSNormGrad                 FaithMaskCols(Mu) / FaithMaskColsGrad
//   FaithGatherRows / FaithScatterAddRows           FaithSplitCols / FaithConcatCols
//   FaithHeaviside / FaithHeavisideGrad             FaithAdamW, FaithColSum
// It also replaces two stock wasm kernels for every caller: UnsortedSegmentSum (missing
// on wasm; tf.gather's gradient needs it) and Identity (the stock one copies; every tensor
// saved for a gradient goes through it; tensors are immutable, so sharing is safe, as on cpu).
//
// The GEMM is a 4 × 8 register tile over packed panels (BLIS style) and uses fused
// multiply-add from relaxed SIMD when the engine has it (Node ≥ 22; on Node 20 the V8 flag
// is switched on before compiling; FAITHBENCH_WASM_FMA=0 turns it off). docs/performance.md
// has the measurements.
import * as tf from '@tensorflow/tfjs-core';
import v8 from 'node:v8';

// ───────────────────────────── a tiny WebAssembly assembler ─────────────────────────────

type ValType = 'i32' | 'f32' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

export interface WasmFunc {
  name: string;
  params: Array<[string, ValType]>;
  result?: ValType;
  locals?: Array<[string, ValType]>;
  /** flat instruction text: `local.get $x i32.const 4 i32.add ...`; `;;` starts a comment */
  body: string;
  /** hoist every `f32.const c f32x4.splat` into a v128 local set once at entry (V8 rebuilds splats in loops) */
  hoistConstants?: boolean;
}

const PLAIN: Record<string, number> = {
  unreachable: 0x00, nop: 0x01, else: 0x05, end: 0x0b, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.le': 0x5f, 'f32.ge': 0x60,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_s': 0x6d, 'i32.div_u': 0x6e, 'i32.rem_s': 0x6f,
  'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73, 'i32.shl': 0x74, 'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'f32.abs': 0x8b, 'f32.neg': 0x8c, 'f32.ceil': 0x8d, 'f32.floor': 0x8e, 'f32.trunc': 0x8f, 'f32.nearest': 0x90,
  'f32.sqrt': 0x91, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95, 'f32.min': 0x96,
  'f32.max': 0x97,
  'i32.trunc_f32_s': 0xa8, 'f32.convert_i32_s': 0xb2, 'f32.convert_i32_u': 0xb3,
  'i32.reinterpret_f32': 0xbc, 'f32.reinterpret_i32': 0xbe,
};
const SIMD: Record<string, number> = {
  'i32x4.splat': 0x11, 'f32x4.splat': 0x13,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51,
  'v128.bitselect': 0x52,
  'f32x4.ceil': 0x67, 'f32x4.floor': 0x68, 'f32x4.trunc': 0x69, 'f32x4.nearest': 0x6a,
  'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.shr_u': 0xad, 'i32x4.add': 0xae, 'i32x4.sub': 0xb1,
  'i32x4.mul': 0xb5,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6, 'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'i32x4.trunc_sat_f32x4_s': 0xf8, 'f32x4.convert_i32x4_s': 0xfa,
  // relaxed SIMD (a·b + c, fused where the CPU has FMA); used only when the engine supports it
  'f32x4.relaxed_madd': 0x105,
};
/** memory ops: [prefix (0 = none), opcode, natural alignment log2] */
const MEMOP: Record<string, [number, number, number]> = {
  'i32.load': [0, 0x28, 2], 'f32.load': [0, 0x2a, 2], 'i32.store': [0, 0x36, 2], 'f32.store': [0, 0x38, 2],
  'v128.load': [0xfd, 0x00, 4], 'v128.load32_splat': [0xfd, 0x09, 2], 'v128.store': [0xfd, 0x0b, 4],
};
const LANE: Record<string, number> = { 'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20 };

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function bytesOfName(s: string, out: number[]): void {
  const b = new TextEncoder().encode(s);
  uleb(b.length, out);
  out.push(...b);
}

function section(id: number, payload: number[], out: number[]): void {
  out.push(id);
  uleb(payload.length, out);
  for (const b of payload) out.push(b);
}

function hoistConstants(f: WasmFunc): WasmFunc {
  const consts = new Map<string, string>();
  const body = f.body.replace(/f32\.const (\S+) f32x4\.splat/g, (_m, c: string) => {
    let n = consts.get(c);
    if (!n) {
      n = `$__k${consts.size}`;
      consts.set(c, n);
    }
    return `local.get ${n}`;
  });
  const init = [...consts].map(([c, n]) => `f32.const ${c} f32x4.splat local.set ${n}`).join(' ');
  const locals: Array<[string, ValType]> = [...(f.locals ?? []), ...[...consts.values()].map((n): [string, ValType] => [n, 'v128'])];
  return { ...f, locals, body: `${init} ${body}`, hoistConstants: false };
}

function encodeBody(fIn: WasmFunc, funcIndex: Map<string, number>): number[] {
  const f = fIn.hoistConstants ? hoistConstants(fIn) : fIn;
  const localIndex = new Map<string, number>();
  const all = [...f.params, ...(f.locals ?? [])];
  all.forEach(([n], i) => {
    if (localIndex.has(n)) throw new Error(`${f.name}: duplicate local ${n}`);
    localIndex.set(n, i);
  });
  const out: number[] = [];
  const locals = f.locals ?? [];
  uleb(locals.length, out);
  for (const [, t] of locals) {
    out.push(1, VALTYPE[t]);
  }
  const toks = f.body.replace(/;;[^\n]*/g, ' ').split(/\s+/).filter((t) => t.length > 0);
  const labels: Array<string | null> = [];
  let i = 0;
  const next = () => {
    if (i >= toks.length) throw new Error(`${f.name}: unexpected end of body`);
    return toks[i++];
  };
  const local = () => {
    const t = next();
    const idx = t.startsWith('$') ? localIndex.get(t) : Number(t);
    if (idx === undefined || Number.isNaN(idx)) throw new Error(`${f.name}: unknown local ${t}`);
    return idx;
  };
  while (i < toks.length) {
    const op = next();
    if (op === 'block' || op === 'loop' || op === 'if') {
      out.push(op === 'block' ? 0x02 : op === 'loop' ? 0x03 : 0x04, 0x40);
      labels.push(i < toks.length && toks[i].startsWith('$') && !localIndex.has(toks[i]) ? next() : null);
    } else if (op === 'end') {
      out.push(0x0b);
      if (labels.length === 0) throw new Error(`${f.name}: unbalanced end`);
      labels.pop();
    } else if (op === 'br' || op === 'br_if') {
      const t = next();
      let depth: number;
      if (t.startsWith('$')) {
        const at = labels.lastIndexOf(t);
        if (at < 0) throw new Error(`${f.name}: unknown label ${t}`);
        depth = labels.length - 1 - at;
      } else depth = Number(t);
      out.push(op === 'br' ? 0x0c : 0x0d);
      uleb(depth, out);
    } else if (op === 'local.get' || op === 'local.set' || op === 'local.tee') {
      out.push(op === 'local.get' ? 0x20 : op === 'local.set' ? 0x21 : 0x22);
      uleb(local(), out);
    } else if (op === 'call') {
      const t = next();
      const idx = funcIndex.get(t.replace(/^\$/, ''));
      if (idx === undefined) throw new Error(`${f.name}: unknown function ${t}`);
      out.push(0x10);
      uleb(idx, out);
    } else if (op === 'i32.const') {
      out.push(0x41);
      sleb(Number(next()), out);
    } else if (op === 'f32.const') {
      out.push(0x43);
      const t = next();
      const v = t === 'inf' ? Infinity : t === '-inf' ? -Infinity : Number(t);
      if (Number.isNaN(v) && t !== 'nan') throw new Error(`${f.name}: bad f32 constant ${t}`);
      const b = new Uint8Array(new Float32Array([v]).buffer);
      out.push(...b);
    } else if (op in MEMOP) {
      const [prefix, code, align] = MEMOP[op];
      let offset = 0;
      while (i < toks.length && toks[i].startsWith('offset=')) offset = Number(next().slice(7));
      if (prefix) {
        out.push(prefix);
        uleb(code, out);
      } else out.push(code);
      uleb(align, out);
      uleb(offset, out);
    } else if (op in LANE) {
      out.push(0xfd);
      uleb(LANE[op], out);
      out.push(Number(next()));
    } else if (op in SIMD) {
      out.push(0xfd);
      uleb(SIMD[op], out);
    } else if (op in PLAIN) {
      out.push(PLAIN[op]);
    } else {
      throw new Error(`${f.name}: unknown instruction ${op}`);
    }
  }
  if (labels.length !== 0) throw new Error(`${f.name}: unclosed block`);
  out.push(0x0b);
  return out;
}

/** Assemble functions into a module that imports `env.memory` and exports every function. */
export function assemble(funcs: WasmFunc[]): Uint8Array<ArrayBuffer> {
  const funcIndex = new Map(funcs.map((f, i) => [f.name, i]));
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(funcs.length, types);
  for (const f of funcs) {
    types.push(0x60);
    uleb(f.params.length, types);
    for (const [, t] of f.params) types.push(VALTYPE[t]);
    if (f.result) types.push(1, VALTYPE[f.result]);
    else types.push(0);
  }
  section(1, types, out);
  const imports: number[] = [1];
  bytesOfName('env', imports);
  bytesOfName('memory', imports);
  imports.push(0x02, 0x00, 0x01); // memory, limits without maximum, min 1 page
  section(2, imports, out);
  const fsec: number[] = [];
  uleb(funcs.length, fsec);
  funcs.forEach((_, i) => uleb(i, fsec));
  section(3, fsec, out);
  const exps: number[] = [];
  uleb(funcs.length, exps);
  funcs.forEach((f, i) => {
    bytesOfName(f.name, exps);
    exps.push(0x00);
    uleb(i, exps);
  });
  section(7, exps, out);
  const code: number[] = [];
  uleb(funcs.length, code);
  for (const f of funcs) {
    const body = encodeBody(f, funcIndex);
    uleb(body.length, code);
    for (const b of body) code.push(b);
  }
  section(10, code, out);
  return new Uint8Array(out);
}

// ───────────────────────────── kernel text generators ─────────────────────────────

const get = (n: string) => `local.get ${n}`;
const set = (n: string) => `local.set ${n}`;
const zero4 = 'f32.const 0 f32x4.splat';
/** `for (j = 0; j < n; j++) body` with i32 locals j, n (text). */
const forJ = (j: string, n: string, body: string) =>
  `i32.const 0 ${set(j)} block loop ${get(j)} ${get(n)} i32.ge_s br_if 1 ${body} ${get(j)} i32.const 1 i32.add ${set(j)} br 0 end end`;
/** copy `n` floats src → dst (byte addresses given as instruction text) */
const copyFloats = (dst: string, src: string, n: string, j: string) =>
  forJ(j, n, `${dst} ${get(j)} i32.const 2 i32.shl i32.add ${src} ${get(j)} i32.const 2 i32.shl i32.add f32.load f32.store`);

/**
 * GEMM register tile: MR rows × 8 columns, over every column panel of a packed B block.
 * A is packed as [kc][MR] (so each row's value is one broadcast load at a fixed offset),
 * B as panels of [kc][8]; the k loop is unrolled by U.
 */
function gemmMicroKernel(MR: number, U: number, FMA: boolean): WasmFunc {
  const params: Array<[string, ValType]> = [
    ['$kc', 'i32'], ['$ap', 'i32'], ['$bp', 'i32'], ['$np', 'i32'],
    ['$nlast', 'i32'], ['$c', 'i32'], ['$ldc', 'i32'], ['$acc', 'i32'], ['$bias', 'i32'], ['$tmp', 'i32'],
  ];
  const locals: Array<[string, ValType]> = [['$p', 'i32'], ['$k', 'i32'], ['$pa', 'i32'], ['$pb', 'i32'], ['$cp', 'i32'], ['$full', 'i32'], ['$j', 'i32']];
  for (let r = 0; r < MR; r++) locals.push([`$x${r}a`, 'v128'], [`$x${r}b`, 'v128']);
  locals.push(['$b0', 'v128'], ['$b1', 'v128'], ['$av', 'v128']);
  const rowC = (r: number) => (r === 0 ? get('$cp') : `${get('$cp')} ${get('$ldc')} i32.const ${r} i32.mul i32.add`);
  let init = '';
  let store = '';
  for (let r = 0; r < MR; r++) {
    const xa = `$x${r}a`;
    const xb = `$x${r}b`;
    init += `
      ${get('$acc')} if
        ${get('$full')} if
          ${rowC(r)} v128.load ${set(xa)} ${rowC(r)} v128.load offset=16 ${set(xb)}
        else
          ${get('$tmp')} ${zero4} v128.store ${get('$tmp')} ${zero4} v128.store offset=16
          ${copyFloats(get('$tmp'), rowC(r), '$nlast', '$j')}
          ${get('$tmp')} v128.load ${set(xa)} ${get('$tmp')} v128.load offset=16 ${set(xb)}
        end
      else
        ${get('$bias')} if
          ${get('$bias')} ${get('$p')} i32.const 5 i32.shl i32.add local.tee $j v128.load ${set(xa)}
          ${get('$j')} v128.load offset=16 ${set(xb)}
        else
          ${zero4} ${set(xa)} ${zero4} ${set(xb)}
        end
      end`;
    store += `
      ${get('$full')} if
        ${rowC(r)} ${get(xa)} v128.store ${rowC(r)} ${get(xb)} v128.store offset=16
      else
        ${get('$tmp')} ${get(xa)} v128.store ${get('$tmp')} ${get(xb)} v128.store offset=16
        ${copyFloats(rowC(r), get('$tmp'), '$nlast', '$j')}
      end`;
  }
  const step = (u: number) => {
    let t = `${get('$pb')} v128.load offset=${32 * u} ${set('$b0')} ${get('$pb')} v128.load offset=${32 * u + 16} ${set('$b1')}`;
    for (let r = 0; r < MR; r++) {
      const xa = `$x${r}a`;
      const xb = `$x${r}b`;
      t += `
        ${get('$pa')} v128.load32_splat offset=${4 * (u * MR + r)} ${set('$av')}
        ${FMA ? `${get('$av')} ${get('$b0')} ${get(xa)} f32x4.relaxed_madd` : `${get(xa)} ${get('$av')} ${get('$b0')} f32x4.mul f32x4.add`} ${set(xa)}
        ${FMA ? `${get('$av')} ${get('$b1')} ${get(xb)} f32x4.relaxed_madd` : `${get(xb)} ${get('$av')} ${get('$b1')} f32x4.mul f32x4.add`} ${set(xb)}`;
    }
    return t;
  };
  let unrolled = '';
  for (let u = 0; u < U; u++) unrolled += ` ${step(u)} `;
  const body = `
    i32.const 0 ${set('$p')} ${get('$c')} ${set('$cp')} ${get('$bp')} ${set('$pb')}
    block $done loop $panels
      ${get('$p')} ${get('$np')} i32.ge_u br_if $done
      ${get('$p')} i32.const 1 i32.add ${get('$np')} i32.lt_u ${get('$nlast')} i32.const 8 i32.eq i32.or ${set('$full')}
      ${init}
      ${get('$ap')} ${set('$pa')}
      ${get('$kc')} ${set('$k')}
      block $ud loop $ul
        ${get('$k')} i32.const ${U} i32.lt_s br_if $ud
        ${unrolled}
        ${get('$pb')} i32.const ${32 * U} i32.add ${set('$pb')}
        ${get('$pa')} i32.const ${4 * MR * U} i32.add ${set('$pa')}
        ${get('$k')} i32.const ${U} i32.sub ${set('$k')}
        br $ul
      end end
      block $kd loop $kl
        ${get('$k')} i32.eqz br_if $kd
        ${step(0)}
        ${get('$pb')} i32.const 32 i32.add ${set('$pb')}
        ${get('$pa')} i32.const ${4 * MR} i32.add ${set('$pa')}
        ${get('$k')} i32.const 1 i32.sub ${set('$k')}
        br $kl
      end end
      ${store}
      ${get('$cp')} i32.const 32 i32.add ${set('$cp')}
      ${get('$p')} i32.const 1 i32.add ${set('$p')}
      br $panels
    end end`;
  return { name: `gemm_mk${MR}`, params, locals, body };
}

/** Pack an mr × kc tile of A (byte strides sai, sak) as [kc][mr]. */
function packA(MR: number): WasmFunc {
  let row = '';
  for (let r = 0; r < MR; r++) {
    row += `${get('$dst')} ${get('$src')} ${r === 0 ? '' : `${get('$sai')} i32.const ${r} i32.mul i32.add`} f32.load f32.store offset=${4 * r} `;
  }
  return {
    name: `pack_a${MR}`,
    params: [['$a', 'i32'], ['$sai', 'i32'], ['$sak', 'i32'], ['$kc', 'i32'], ['$dst', 'i32']],
    locals: [['$k', 'i32'], ['$src', 'i32']],
    body: `
      ${get('$a')} ${set('$src')} ${get('$kc')} ${set('$k')}
      block $d loop $l
        ${get('$k')} i32.eqz br_if $d
        ${row}
        ${get('$dst')} i32.const ${4 * MR} i32.add ${set('$dst')}
        ${get('$src')} ${get('$sak')} i32.add ${set('$src')}
        ${get('$k')} i32.const 1 i32.sub ${set('$k')}
        br $l
      end end`,
  };
}

/** Rows driver: pack each MR-row tile of A, run it over all panels; a smaller tile for the rest. */
function gemmRows(MR: number): WasmFunc {
  const call = (r: number) =>
    `${get('$a')} ${get('$sai')} ${get('$sak')} ${get('$kc')} ${get('$pa')} call pack_a${r}
     ${get('$kc')} ${get('$pa')} ${get('$bp')} ${get('$np')} ${get('$nlast')} ${get('$c')} ${get('$ldc')} ${get('$acc')} ${get('$bias')} ${get('$tmp')} call gemm_mk${r}`;
  let rem = '';
  for (let r = 1; r < MR; r++) rem += `${get('$m')} i32.const ${r} i32.eq if ${call(r)} end `;
  return {
    name: 'gemm_rows',
    params: [
      ['$m', 'i32'], ['$kc', 'i32'], ['$a', 'i32'], ['$sai', 'i32'], ['$sak', 'i32'], ['$pa', 'i32'], ['$bp', 'i32'], ['$np', 'i32'],
      ['$nlast', 'i32'], ['$c', 'i32'], ['$ldc', 'i32'], ['$acc', 'i32'], ['$bias', 'i32'], ['$tmp', 'i32'],
    ],
    body: `
      block $done loop $tiles
        ${get('$m')} i32.const ${MR} i32.lt_s br_if $done
        ${call(MR)}
        ${get('$a')} ${get('$sai')} i32.const ${MR} i32.mul i32.add ${set('$a')}
        ${get('$c')} ${get('$ldc')} i32.const ${MR} i32.mul i32.add ${set('$c')}
        ${get('$m')} i32.const ${MR} i32.sub ${set('$m')}
        br $tiles
      end end
      ${rem}`,
  };
}

/** Pack a kc × n block of B (byte strides sbk, sbj) into 8-column panels, zero padded. */
function packB(): WasmFunc {
  let scalar = '';
  for (let c = 0; c < 8; c++) {
    scalar += `
      f32.const 0 ${set('$v')}
      ${get('$j0')} i32.const ${c} i32.add ${get('$n')} i32.lt_s if
        ${get('$src')} ${c === 0 ? '' : `${get('$sbj')} i32.const ${c} i32.mul i32.add`} f32.load ${set('$v')}
      end
      ${get('$dst')} ${get('$v')} f32.store offset=${4 * c}`;
  }
  return {
    name: 'pack_b',
    params: [['$b', 'i32'], ['$sbk', 'i32'], ['$sbj', 'i32'], ['$kc', 'i32'], ['$n', 'i32'], ['$dst', 'i32']],
    locals: [['$j0', 'i32'], ['$k', 'i32'], ['$src', 'i32'], ['$fast', 'i32'], ['$v', 'f32']],
    body: `
      i32.const 0 ${set('$j0')}
      block $done loop $panels
        ${get('$j0')} ${get('$n')} i32.ge_s br_if $done
        ${get('$b')} ${get('$j0')} ${get('$sbj')} i32.mul i32.add ${set('$src')}
        ${get('$sbj')} i32.const 4 i32.eq ${get('$j0')} i32.const 8 i32.add ${get('$n')} i32.le_s i32.and ${set('$fast')}
        i32.const 0 ${set('$k')}
        block $kd loop $kl
          ${get('$k')} ${get('$kc')} i32.ge_s br_if $kd
          ${get('$fast')} if
            ${get('$dst')} ${get('$src')} v128.load v128.store
            ${get('$dst')} ${get('$src')} v128.load offset=16 v128.store offset=16
          else
            ${scalar}
          end
          ${get('$dst')} i32.const 32 i32.add ${set('$dst')}
          ${get('$src')} ${get('$sbk')} i32.add ${set('$src')}
          ${get('$k')} i32.const 1 i32.add ${set('$k')}
          br $kl
        end end
        ${get('$j0')} i32.const 8 i32.add ${set('$j0')}
        br $panels
      end end`,
  };
}


/**
 * Many small GEMMs indexed by (i < nb, j < nh), operand offsets base + i·sb + j·sh (bytes):
 * attention's per-(batch, head) products in one call. K must fit one packed block.
 */
function gemmBatch2(): WasmFunc {
  const P = (n: string): [string, ValType] => [n, 'i32'];
  return {
    name: 'gemm_batch2',
    params: ['$nb', '$nh', '$m', '$n', '$k', '$a', '$sai', '$sak', '$asb', '$ash', '$b', '$sbk', '$sbj', '$bsb', '$bsh',
      '$c', '$ldc', '$csb', '$csh', '$acc', '$pack', '$pa', '$tmp'].map(P),
    locals: ['$i', '$j', '$np', '$nlast'].map(P),
    body: `
      ${get('$n')} i32.const 7 i32.add i32.const 3 i32.shr_u ${set('$np')}
      ${get('$n')} ${get('$np')} i32.const 1 i32.sub i32.const 3 i32.shl i32.sub ${set('$nlast')}
      ${forRows('$i', '$nb', forRows('$j', '$nh', `
        ${get('$b')} ${get('$i')} ${get('$bsb')} i32.mul i32.add ${get('$j')} ${get('$bsh')} i32.mul i32.add
        ${get('$sbk')} ${get('$sbj')} ${get('$k')} ${get('$n')} ${get('$pack')} call pack_b
        ${get('$m')} ${get('$k')}
        ${get('$a')} ${get('$i')} ${get('$asb')} i32.mul i32.add ${get('$j')} ${get('$ash')} i32.mul i32.add
        ${get('$sai')} ${get('$sak')} ${get('$pa')} ${get('$pack')} ${get('$np')} ${get('$nlast')}
        ${get('$c')} ${get('$i')} ${get('$csb')} i32.mul i32.add ${get('$j')} ${get('$csh')} i32.mul i32.add
        ${get('$ldc')} ${get('$acc')} i32.const 0 ${get('$tmp')} call gemm_rows`))}`,
  };
}

/**
 * exp(x) for a v128 local x (clobbered; n is a v128 temp), left on the stack.
 * Cephes expf: x = n·ln2 + r, degree-6 polynomial in r, times 2^n built in the exponent
 * bits; relative error ≈ 1e-7 over the clamped range [-87.3, 88]. Rounding to n uses the
 * 1.5·2²³ trick and the clamp uses pmin/pmax, which V8 turns into single instructions
 * (f32x4.min/max/nearest/trunc_sat each expand to several).
 */
export function expV(x: string, n: string): string {
  const c = (v: number) => `f32.const ${v} f32x4.splat`;
  const MAGIC = 12582912; // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
  return `
    ${c(88)} ${get(x)} f32x4.pmin ${c(-87.3)} f32x4.pmax ${set(x)}
    ${get(x)} ${c(1.4426950408889634)} f32x4.mul ${c(MAGIC)} f32x4.add ${set(n)}
    ${get(x)}
    ${get(n)} ${c(MAGIC)} f32x4.sub ${c(0.693359375)} f32x4.mul f32x4.sub
    ${get(n)} ${c(MAGIC)} f32x4.sub ${c(-2.12194440e-4)} f32x4.mul f32x4.sub ${set(x)}
    ${c(1.98756915e-4)} ${get(x)} f32x4.mul ${c(1.3981999507e-3)} f32x4.add
    ${get(x)} f32x4.mul ${c(8.3334519073e-3)} f32x4.add
    ${get(x)} f32x4.mul ${c(4.1665795894e-2)} f32x4.add
    ${get(x)} f32x4.mul ${c(1.6666665459e-1)} f32x4.add
    ${get(x)} f32x4.mul ${c(5.0000001201e-1)} f32x4.add
    ${get(x)} ${get(x)} f32x4.mul f32x4.mul ${get(x)} f32x4.add ${c(1)} f32x4.add
    ${get(n)} i32.const ${127 - 0x4b400000} i32x4.splat i32x4.add i32.const 23 i32x4.shl f32x4.mul`;
}

/** scalar max without wasm's NaN/−0 rules (V8 emits branches for f32.max): a > b ? a : b */
const fmax = (a: string, b: string) => `${a} ${b} ${a} ${b} f32.gt select`;

/** max over n floats at base (n ≥ 1), left on the stack as f32; uses locals $o, $mv (v128), $ms (f32) */
const rowMax = (base: string, n: string) => `
  f32.const -inf f32x4.splat local.set $mv
  f32.const -inf local.set $ms
  ${rowLoop(n, '$o', `${at(base)} v128.load ${get('$mv')} f32x4.pmax ${set('$mv')}`,
                     `${fmax(get('$ms'), `${at(base)} f32.load`)} ${set('$ms')}`)}
  ${fmax(get('$ms'), fmax(fmax(`${get('$mv')} f32x4.extract_lane 0`, `${get('$mv')} f32x4.extract_lane 1`), fmax(`${get('$mv')} f32x4.extract_lane 2`, `${get('$mv')} f32x4.extract_lane 3`)))}`;

/**
 * An element-wise kernel over n floats: inputs/outputs are byte addresses; `body` computes
 * the output locals $o0.. from the input locals $i0.. (all v128). The last partial vector
 * goes through a 16-byte-per-operand scratch area ($tmp), so nothing past n is written.
 */
export function elementwise(
  name: string, nIn: number, nOut: number, body: string,
  extra: Array<[string, ValType]> = [], temps: Array<[string, ValType]> = [],
): WasmFunc {
  const params: Array<[string, ValType]> = [['$n', 'i32'], ['$tmp', 'i32']];
  for (let i = 0; i < nIn; i++) params.push([`$in${i}`, 'i32']);
  for (let o = 0; o < nOut; o++) params.push([`$out${o}`, 'i32']);
  params.push(...extra);
  const locals: Array<[string, ValType]> = [['$j', 'i32'], ['$rem', 'i32'], ['$t', 'i32']];
  for (let i = 0; i < nIn; i++) locals.push([`$i${i}`, 'v128']);
  for (let o = 0; o < nOut; o++) locals.push([`$o${o}`, 'v128']);
  locals.push(...temps);
  let loads = '';
  let stores = '';
  let tailIn = '';
  let tailLoad = '';
  let tailStore = '';
  let tailOut = '';
  for (let i = 0; i < nIn; i++) {
    loads += `${get(`$in${i}`)} v128.load ${set(`$i${i}`)} ${get(`$in${i}`)} i32.const 16 i32.add ${set(`$in${i}`)} `;
    tailIn += copyFloats(`${get('$tmp')} i32.const ${16 * i} i32.add`, get(`$in${i}`), '$rem', '$t') + ' ';
    tailLoad += `${get('$tmp')} v128.load offset=${16 * i} ${set(`$i${i}`)} `;
  }
  for (let o = 0; o < nOut; o++) {
    stores += `${get(`$out${o}`)} ${get(`$o${o}`)} v128.store ${get(`$out${o}`)} i32.const 16 i32.add ${set(`$out${o}`)} `;
    tailStore += `${get('$tmp')} ${get(`$o${o}`)} v128.store offset=${16 * (nIn + o)} `;
    tailOut += copyFloats(get(`$out${o}`), `${get('$tmp')} i32.const ${16 * (nIn + o)} i32.add`, '$rem', '$t') + ' ';
  }
  return {
    name, params, locals, hoistConstants: true,
    body: `
      ${get('$n')} i32.const 2 i32.shr_u ${set('$j')}
      block $d loop $l
        ${get('$j')} i32.eqz br_if $d
        ${loads} ${body} ${stores}
        ${get('$j')} i32.const 1 i32.sub ${set('$j')}
        br $l
      end end
      ${get('$n')} i32.const 3 i32.and ${set('$rem')}
      ${get('$rem')} if
        ${get('$tmp')} ${zero4} v128.store
        ${tailIn} ${tailLoad} ${body} ${tailStore} ${tailOut}
      end`,
  };
}

const splat = (v: string) => `${get(v)} f32x4.splat`;
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** GELU (tanh form) = x·σ(2u), u = c·(x + a·x³); written as x − x/(e^{2u}+1). */
const geluForward = elementwise('gelu', 1, 1, `
  ${get('$i0')} ${get('$i0')} ${get('$i0')} f32x4.mul f32.const ${GELU_A} f32x4.splat f32x4.mul f32.const 1 f32x4.splat f32x4.add f32x4.mul
  f32.const ${2 * GELU_C} f32x4.splat f32x4.mul ${set('$e')}
  ${expV('$e', '$en')} ${set('$e')}
  ${get('$i0')} ${get('$i0')} ${get('$e')} f32.const 1 f32x4.splat f32x4.add f32x4.div f32x4.sub ${set('$o0')}`,
  [], [['$e', 'v128'], ['$en', 'v128']]);

/** dx = dy·(s + 2·x·s·(1−s)·u'), s = σ(2u) = 1 − 1/(e^{2u}+1), u' = c·(1 + 3a·x²). */
const geluBackward = elementwise('gelu_grad', 2, 1, `
  ${get('$i0')} ${get('$i0')} f32x4.mul ${set('$x2')}
  ${get('$i0')} ${get('$x2')} f32.const ${GELU_A} f32x4.splat f32x4.mul f32.const 1 f32x4.splat f32x4.add f32x4.mul
  f32.const ${2 * GELU_C} f32x4.splat f32x4.mul ${set('$e')}
  ${expV('$e', '$en')} ${set('$e')}
  f32.const 1 f32x4.splat f32.const 1 f32x4.splat ${get('$e')} f32.const 1 f32x4.splat f32x4.add f32x4.div f32x4.sub ${set('$s')}
  ${get('$s')}
  ${get('$i0')} ${get('$s')} f32x4.mul f32.const 1 f32x4.splat ${get('$s')} f32x4.sub f32x4.mul
  ${get('$x2')} f32.const ${3 * GELU_A} f32x4.splat f32x4.mul f32.const 1 f32x4.splat f32x4.add f32.const ${2 * GELU_C} f32x4.splat f32x4.mul f32x4.mul
  f32x4.add ${get('$i1')} f32x4.mul ${set('$o0')}`,
  [], [['$e', 'v128'], ['$en', 'v128'], ['$x2', 'v128'], ['$s', 'v128']]);

/**
 * AdamW, one fused pass: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← clamp(p − lr·(m/bc1 / (sqrt(v/bc2) + eps) + wd·p), lo, hi) (lo, hi = ∓inf: no clamp).
 * Inputs p, g, m, v; outputs p', m', v'.
 */
const adamw = elementwise('adamw', 4, 3, `
  ${get('$i2')} ${splat('$b1')} f32x4.mul ${get('$i1')} ${splat('$ob1')} f32x4.mul f32x4.add ${set('$o1')}
  ${get('$i3')} ${splat('$b2')} f32x4.mul ${get('$i1')} ${get('$i1')} f32x4.mul ${splat('$ob2')} f32x4.mul f32x4.add ${set('$o2')}
  ${get('$i0')}
  ${get('$o1')} ${splat('$ibc1')} f32x4.mul
  ${get('$o2')} ${splat('$ibc2')} f32x4.mul f32x4.sqrt ${splat('$eps')} f32x4.add f32x4.div
  ${get('$i0')} ${splat('$wd')} f32x4.mul f32x4.add
  ${splat('$lr')} f32x4.mul f32x4.sub ${splat('$hi')} f32x4.pmin ${splat('$lo')} f32x4.pmax ${set('$o0')}`,
  [['$lr', 'f32'], ['$b1', 'f32'], ['$ob1', 'f32'], ['$b2', 'f32'], ['$ob2', 'f32'], ['$ibc1', 'f32'], ['$ibc2', 'f32'], ['$eps', 'f32'], ['$wd', 'f32'],
    ['$lo', 'f32'], ['$hi', 'f32']]);

/** Heaviside surrogate gradient: dτ = dy·σ'(τ/T)/T. Inputs τ, dy; extra: 1/T. */
const heavisideGrad = elementwise('heaviside_grad', 2, 1, `
  ${get('$i0')} ${splat('$invT')} f32x4.mul f32x4.neg ${set('$e')}
  ${expV('$e', '$en')} ${set('$e')}
  f32.const 1 f32x4.splat ${get('$e')} f32.const 1 f32x4.splat f32x4.add f32x4.div ${set('$s')}
  ${get('$s')} f32.const 1 f32x4.splat ${get('$s')} f32x4.sub f32x4.mul ${splat('$invT')} f32x4.mul ${get('$i1')} f32x4.mul ${set('$o0')}`,
  [['$invT', 'f32']], [['$e', 'v128'], ['$en', 'v128'], ['$s', 'v128']]);


/**
 * Over one row of n floats: `vec` for each full group of 4 (byte offset in local o), then
 * `scal` for each leftover element (same offset local).
 */
const rowLoop = (n: string, o: string, vec: string, scal: string) => `
  i32.const 0 ${set(o)}
  block loop
    ${get(o)} i32.const 16 i32.add ${get(n)} i32.const 2 i32.shl i32.gt_s br_if 1
    ${vec}
    ${get(o)} i32.const 16 i32.add ${set(o)}
    br 0
  end end
  block loop
    ${get(o)} ${get(n)} i32.const 2 i32.shl i32.ge_s br_if 1
    ${scal}
    ${get(o)} i32.const 4 i32.add ${set(o)}
    br 0
  end end`;
/** address base + o */
const at = (base: string, o = '$o') => `${get(base)} ${get(o)} i32.add`;
/** for (r = 0; r < rows; r++) body */
const forRows = (r: string, rows: string, body: string) =>
  `i32.const 0 ${set(r)} block loop ${get(r)} ${get(rows)} i32.ge_s br_if 1 ${body} ${get(r)} i32.const 1 i32.add ${set(r)} br 0 end end`;
const hsum = (v: string) =>
  `${get(v)} f32x4.extract_lane 0 ${get(v)} f32x4.extract_lane 1 f32.add ${get(v)} f32x4.extract_lane 2 ${get(v)} f32x4.extract_lane 3 f32.add f32.add`;
/** zero n floats at base */
const zeroRow = (base: string, n: string) => rowLoop(n, '$o', `${at(base)} ${zero4} v128.store`, `${at(base)} f32.const 0 f32.store`);

/** Sum the rows of x [rows, n] into out [n] (bias gradients), row by row so out stays in cache. */
function colSum(): WasmFunc {
  return {
    name: 'col_sum',
    params: [['$x', 'i32'], ['$rows', 'i32'], ['$n', 'i32'], ['$out', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32']],
    body: `
      ${zeroRow('$out', '$n')}
      ${forRows('$r', '$rows', `
        ${rowLoop('$n', '$o', `${at('$out')} ${at('$out')} v128.load ${at('$x')} v128.load f32x4.add v128.store`,
                              `${at('$out')} ${at('$out')} f32.load ${at('$x')} f32.load f32.add f32.store`)}
        ${get('$x')} ${get('$n')} i32.const 2 i32.shl i32.add ${set('$x')}`)}`,
  };
}

/** Strided 2-D copy: rows × cols floats, byte strides lds / ldd. */
function copy2d(): WasmFunc {
  return {
    name: 'copy2d',
    params: [['$src', 'i32'], ['$lds', 'i32'], ['$dst', 'i32'], ['$ldd', 'i32'], ['$rows', 'i32'], ['$cols', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32']],
    body: forRows('$r', '$rows', `
      ${rowLoop('$cols', '$o', `${at('$dst')} ${at('$src')} v128.load v128.store`, `${at('$dst')} ${at('$src')} f32.load f32.store`)}
      ${get('$src')} ${get('$lds')} i32.add ${set('$src')}
      ${get('$dst')} ${get('$ldd')} i32.add ${set('$dst')}`),
  };
}

/** out[i] = table[ids[i]] (rows of d floats); ids are checked by the caller. */
function gatherRows(): WasmFunc {
  return {
    name: 'gather_rows',
    params: [['$table', 'i32'], ['$ids', 'i32'], ['$cnt', 'i32'], ['$d', 'i32'], ['$out', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32'], ['$src', 'i32']],
    body: forRows('$r', '$cnt', `
      ${get('$table')} ${get('$ids')} ${get('$r')} i32.const 2 i32.shl i32.add i32.load ${get('$d')} i32.mul i32.const 2 i32.shl i32.add ${set('$src')}
      ${rowLoop('$d', '$o', `${at('$out')} ${at('$src')} v128.load v128.store`, `${at('$out')} ${at('$src')} f32.load f32.store`)}
      ${get('$out')} ${get('$d')} i32.const 2 i32.shl i32.add ${set('$out')}`),
  };
}

/** out [nseg, d] = 0, then out[ids[i]] += src[i] (gather's gradient); ids checked by the caller. */
function scatterAddRows(): WasmFunc {
  return {
    name: 'scatter_add_rows',
    params: [['$src', 'i32'], ['$ids', 'i32'], ['$cnt', 'i32'], ['$d', 'i32'], ['$out', 'i32'], ['$nseg', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32'], ['$dst', 'i32'], ['$tot', 'i32']],
    body: `
      ${get('$nseg')} ${get('$d')} i32.mul ${set('$tot')}
      ${zeroRow('$out', '$tot')}
      ${forRows('$r', '$cnt', `
        ${get('$out')} ${get('$ids')} ${get('$r')} i32.const 2 i32.shl i32.add i32.load ${get('$d')} i32.mul i32.const 2 i32.shl i32.add ${set('$dst')}
        ${rowLoop('$d', '$o', `${at('$dst')} ${at('$dst')} v128.load ${at('$src')} v128.load f32x4.add v128.store`,
                              `${at('$dst')} ${at('$dst')} f32.load ${at('$src')} f32.load f32.add f32.store`)}
        ${get('$src')} ${get('$d')} i32.const 2 i32.shl i32.add ${set('$src')}`)}`,
  };
}

/** RMSNorm rows: s_r = 1/sqrt(mean(x_r²) + eps), y_r = x_r·s_r·g. */
function rmsNorm(): WasmFunc {
  return {
    name: 'rmsnorm',
    params: [['$x', 'i32'], ['$g', 'i32'], ['$rows', 'i32'], ['$d', 'i32'], ['$eps', 'f32'], ['$y', 'i32'], ['$s', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32'], ['$acc', 'v128'], ['$ss', 'f32'], ['$sc', 'f32'], ['$scv', 'v128']],
    body: forRows('$r', '$rows', `
      ${zero4} ${set('$acc')} f32.const 0 ${set('$ss')}
      ${rowLoop('$d', '$o', `${get('$acc')} ${at('$x')} v128.load ${at('$x')} v128.load f32x4.mul f32x4.add ${set('$acc')}`,
                            `${get('$ss')} ${at('$x')} f32.load ${at('$x')} f32.load f32.mul f32.add ${set('$ss')}`)}
      f32.const 1 ${get('$ss')} ${hsum('$acc')} f32.add ${get('$d')} f32.convert_i32_s f32.div ${get('$eps')} f32.add f32.sqrt f32.div local.tee $sc
      f32x4.splat ${set('$scv')}
      ${get('$s')} ${get('$r')} i32.const 2 i32.shl i32.add ${get('$sc')} f32.store
      ${rowLoop('$d', '$o', `${at('$y')} ${at('$x')} v128.load ${get('$scv')} f32x4.mul ${at('$g')} v128.load f32x4.mul v128.store`,
                            `${at('$y')} ${at('$x')} f32.load ${get('$sc')} f32.mul ${at('$g')} f32.load f32.mul f32.store`)}
      ${get('$x')} ${get('$d')} i32.const 2 i32.shl i32.add ${set('$x')}
      ${get('$y')} ${get('$d')} i32.const 2 i32.shl i32.add ${set('$y')}`),
  };
}

/**
 * RMSNorm backward: dx = s·g·dy − x·s³·(Σ_k dy_k·g_k·x_k + ds)/d; dg = Σ_rows dy·x·s
 * (ds: the gradient reaching the scale output itself, usually 0).
 */
function rmsNormGrad(): WasmFunc {
  return {
    name: 'rmsnorm_grad',
    params: [['$x', 'i32'], ['$g', 'i32'], ['$s', 'i32'], ['$ds', 'i32'], ['$dy', 'i32'], ['$rows', 'i32'], ['$d', 'i32'], ['$dx', 'i32'], ['$dg', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32'], ['$acc', 'v128'], ['$dot', 'f32'], ['$sc', 'f32'], ['$c', 'f32'], ['$scv', 'v128'], ['$cv', 'v128']],
    body: `
      ${zeroRow('$dg', '$d')}
      ${forRows('$r', '$rows', `
        ${zero4} ${set('$acc')} f32.const 0 ${set('$dot')}
        ${rowLoop('$d', '$o', `${get('$acc')} ${at('$dy')} v128.load ${at('$g')} v128.load f32x4.mul ${at('$x')} v128.load f32x4.mul f32x4.add ${set('$acc')}`,
                              `${get('$dot')} ${at('$dy')} f32.load ${at('$g')} f32.load f32.mul ${at('$x')} f32.load f32.mul f32.add ${set('$dot')}`)}
        ${get('$s')} ${get('$r')} i32.const 2 i32.shl i32.add f32.load local.tee $sc f32x4.splat ${set('$scv')}
        ${get('$sc')} ${get('$sc')} f32.mul ${get('$sc')} f32.mul
        ${get('$dot')} ${hsum('$acc')} f32.add ${get('$ds')} ${get('$r')} i32.const 2 i32.shl i32.add f32.load f32.add f32.mul ${get('$d')} f32.convert_i32_s f32.div local.tee $c
        f32x4.splat ${set('$cv')}
        ${rowLoop('$d', '$o', `
            ${at('$dx')} ${get('$scv')} ${at('$g')} v128.load f32x4.mul ${at('$dy')} v128.load f32x4.mul ${at('$x')} v128.load ${get('$cv')} f32x4.mul f32x4.sub v128.store
            ${at('$dg')} ${at('$dg')} v128.load ${at('$dy')} v128.load ${at('$x')} v128.load f32x4.mul ${get('$scv')} f32x4.mul f32x4.add v128.store`, `
            ${at('$dx')} ${get('$sc')} ${at('$g')} f32.load f32.mul ${at('$dy')} f32.load f32.mul ${at('$x')} f32.load ${get('$c')} f32.mul f32.sub f32.store
            ${at('$dg')} ${at('$dg')} f32.load ${at('$dy')} f32.load ${at('$x')} f32.load f32.mul ${get('$sc')} f32.mul f32.add f32.store`)}
        ${get('$x')} ${get('$d')} i32.const 2 i32.shl i32.add ${set('$x')}
        ${get('$dy')} ${get('$d')} i32.const 2 i32.shl i32.add ${set('$dy')}
        ${get('$dx')} ${get('$d')} i32.const 2 i32.shl i32.add ${set('$dx')}`)}`,
  };
}

/** Node-site mask over columns: y = k·x, or with ablation values y = μ + k·(x − μ); k, μ [n]. */
function maskCols(withMu: boolean): WasmFunc {
  const vec = withMu
    ? `${at('$y')} ${at('$mu')} v128.load ${at('$k')} v128.load ${at('$x')} v128.load ${at('$mu')} v128.load f32x4.sub f32x4.mul f32x4.add v128.store`
    : `${at('$y')} ${at('$k')} v128.load ${at('$x')} v128.load f32x4.mul v128.store`;
  const scal = withMu
    ? `${at('$y')} ${at('$mu')} f32.load ${at('$k')} f32.load ${at('$x')} f32.load ${at('$mu')} f32.load f32.sub f32.mul f32.add f32.store`
    : `${at('$y')} ${at('$k')} f32.load ${at('$x')} f32.load f32.mul f32.store`;
  return {
    name: withMu ? 'mask_cols_mu' : 'mask_cols',
    params: [['$x', 'i32'], ['$k', 'i32'], ['$mu', 'i32'], ['$rows', 'i32'], ['$n', 'i32'], ['$y', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32']],
    body: forRows('$r', '$rows', `
      ${rowLoop('$n', '$o', vec, scal)}
      ${get('$x')} ${get('$n')} i32.const 2 i32.shl i32.add ${set('$x')}
      ${get('$y')} ${get('$n')} i32.const 2 i32.shl i32.add ${set('$y')}`),
  };
}

/** Its gradient: dx = dy·k; dk = Σ_rows dy·(x − μ). */
function maskColsGrad(withMu: boolean): WasmFunc {
  const xm = (ld: string) => (withMu ? `${at('$x')} ${ld} ${at('$mu')} ${ld} ${ld === 'v128.load' ? 'f32x4.sub' : 'f32.sub'}` : `${at('$x')} ${ld}`);
  return {
    name: withMu ? 'mask_cols_mu_grad' : 'mask_cols_grad',
    params: [['$x', 'i32'], ['$k', 'i32'], ['$mu', 'i32'], ['$dy', 'i32'], ['$rows', 'i32'], ['$n', 'i32'], ['$dx', 'i32'], ['$dk', 'i32']],
    locals: [['$r', 'i32'], ['$o', 'i32']],
    body: `
      ${zeroRow('$dk', '$n')}
      ${forRows('$r', '$rows', `
        ${rowLoop('$n', '$o', `
            ${at('$dx')} ${at('$dy')} v128.load ${at('$k')} v128.load f32x4.mul v128.store
            ${at('$dk')} ${at('$dk')} v128.load ${at('$dy')} v128.load ${xm('v128.load')} f32x4.mul f32x4.add v128.store`, `
            ${at('$dx')} ${at('$dy')} f32.load ${at('$k')} f32.load f32.mul f32.store
            ${at('$dk')} ${at('$dk')} f32.load ${at('$dy')} f32.load ${xm('f32.load')} f32.mul f32.add f32.store`)}
        ${get('$x')} ${get('$n')} i32.const 2 i32.shl i32.add ${set('$x')}
        ${get('$dy')} ${get('$n')} i32.const 2 i32.shl i32.add ${set('$dy')}
        ${get('$dx')} ${get('$n')} i32.const 2 i32.shl i32.add ${set('$dx')}`)}`,
  };
}

/**
 * Row-wise softmax of scale·x over the first `valid` columns of each row of a [rows, n]
 * matrix, in place; with `causalT`, row i of every causalT-row block has
 * valid = (i mod causalT) + 1 + causalOff and the rest of the row is set to 0 (exactly what
 * adding −1e9 above the diagonal gives; causalOff > 0 when the queries are the last rows).
 */
function softmaxRows(): WasmFunc {
  // passes over a row: max, exp & sum (written back), normalise; 4-wide with a scalar tail via $tmp
  return {
    name: 'softmax_rows', hoistConstants: true,
    params: [['$x', 'i32'], ['$rows', 'i32'], ['$n', 'i32'], ['$causalT', 'i32'], ['$causalOff', 'i32'], ['$scale', 'f32'], ['$tmp', 'i32']],
    locals: [
      ['$r', 'i32'], ['$row', 'i32'], ['$valid', 'i32'], ['$j', 'i32'], ['$p', 'i32'], ['$t', 'i32'],
      ['$m', 'f32'], ['$sum', 'f32'], ['$v', 'v128'], ['$vn', 'v128'], ['$acc', 'v128'], ['$mx', 'v128'], ['$f', 'f32'],
      ['$o', 'i32'], ['$mv', 'v128'], ['$ms', 'f32'],
    ],
    body: `
      i32.const 0 ${set('$r')}
      block $done loop $rowl
        ${get('$r')} ${get('$rows')} i32.ge_s br_if $done
        ${get('$x')} ${get('$r')} ${get('$n')} i32.mul i32.const 2 i32.shl i32.add ${set('$row')}
        ${get('$n')} ${set('$valid')}
        ${get('$causalT')} if ${get('$r')} ${get('$causalT')} i32.rem_u i32.const 1 i32.add ${get('$causalOff')} i32.add ${set('$valid')} end
        ;; max of the valid entries
        ${rowMax('$row', '$valid')} ${set('$m')}
        ;; e = exp(scale·(x − max)), 4 at a time over the valid prefix (the tail via $tmp)
        ${zero4} ${set('$acc')}
        ${get('$m')} f32x4.splat ${set('$mx')}
        ${get('$row')} ${set('$p')}
        i32.const 0 ${set('$j')}
        block $ed loop $el
          ${get('$j')} i32.const 4 i32.add ${get('$valid')} i32.gt_s br_if $ed
          ${get('$p')} v128.load ${get('$mx')} f32x4.sub ${get('$scale')} f32x4.splat f32x4.mul ${set('$v')}
          ${expV('$v', '$vn')} ${set('$v')}
          ${get('$p')} ${get('$v')} v128.store
          ${get('$acc')} ${get('$v')} f32x4.add ${set('$acc')}
          ${get('$p')} i32.const 16 i32.add ${set('$p')}
          ${get('$j')} i32.const 4 i32.add ${set('$j')}
          br $el
        end end
        ${get('$acc')} f32x4.extract_lane 0 ${get('$acc')} f32x4.extract_lane 1 f32.add
        ${get('$acc')} f32x4.extract_lane 2 ${get('$acc')} f32x4.extract_lane 3 f32.add f32.add ${set('$sum')}
        ${get('$valid')} ${get('$j')} i32.sub ${set('$t')}
        ${get('$t')} if
          ${get('$tmp')} ${get('$mx')} v128.store
          ${copyFloats(get('$tmp'), get('$p'), '$t', '$j')}
          ${get('$tmp')} v128.load ${get('$mx')} f32x4.sub ${get('$scale')} f32x4.splat f32x4.mul ${set('$v')}
          ${expV('$v', '$vn')} ${set('$v')}
          ${get('$tmp')} ${get('$v')} v128.store
          ${forJ('$j', '$t', `${get('$sum')} ${get('$tmp')} ${get('$j')} i32.const 2 i32.shl i32.add f32.load f32.add ${set('$sum')}`)}
          ${copyFloats(get('$p'), get('$tmp'), '$t', '$j')}
        end
        ;; normalise the valid prefix, zero the rest
        f32.const 1 ${get('$sum')} f32.div ${set('$f')}
        ${get('$f')} f32x4.splat ${set('$v')}
        ${rowLoop('$valid', '$o', `${at('$row')} ${at('$row')} v128.load ${get('$v')} f32x4.mul v128.store`,
                                  `${at('$row')} ${at('$row')} f32.load ${get('$f')} f32.mul f32.store`)}
        ${get('$valid')} ${set('$j')}
        block $zd loop $zl
          ${get('$j')} ${get('$n')} i32.ge_s br_if $zd
          ${get('$row')} ${get('$j')} i32.const 2 i32.shl i32.add f32.const 0 f32.store
          ${get('$j')} i32.const 1 i32.add ${set('$j')}
          br $zl
        end end
        ${get('$r')} i32.const 1 i32.add ${set('$r')}
        br $rowl
      end end`,
  };
}

/**
 * Softmax backward in place: for each row, dS = scale · P ⊙ (dP − Σ_j dP_j·P_j).
 * p: probabilities [rows, n]; g: dP in, dS out.
 */
function softmaxRowsGrad(): WasmFunc {
  return {
    name: 'softmax_rows_grad',
    params: [['$p', 'i32'], ['$g', 'i32'], ['$rows', 'i32'], ['$n', 'i32'], ['$scale', 'f32']],
    locals: [['$r', 'i32'], ['$j', 'i32'], ['$pp', 'i32'], ['$gp', 'i32'], ['$dot', 'f32']],
    body: `
      i32.const 0 ${set('$r')}
      block $done loop $rowl
        ${get('$r')} ${get('$rows')} i32.ge_s br_if $done
        ${get('$p')} ${get('$r')} ${get('$n')} i32.mul i32.const 2 i32.shl i32.add ${set('$pp')}
        ${get('$g')} ${get('$r')} ${get('$n')} i32.mul i32.const 2 i32.shl i32.add ${set('$gp')}
        f32.const 0 ${set('$dot')}
        ${forJ('$j', '$n', `${get('$dot')} ${get('$pp')} ${get('$j')} i32.const 2 i32.shl i32.add f32.load ${get('$gp')} ${get('$j')} i32.const 2 i32.shl i32.add f32.load f32.mul f32.add ${set('$dot')}`)}
        ${forJ('$j', '$n', `${get('$gp')} ${get('$j')} i32.const 2 i32.shl i32.add
          ${get('$gp')} ${get('$j')} i32.const 2 i32.shl i32.add f32.load ${get('$dot')} f32.sub
          ${get('$pp')} ${get('$j')} i32.const 2 i32.shl i32.add f32.load f32.mul ${get('$scale')} f32.mul f32.store`)}
        ${get('$r')} i32.const 1 i32.add ${set('$r')}
        br $rowl
      end end`,
  };
}

/**
 * Softmax cross-entropy, first pass: per row the max m_r (into `loss`) and Σ_j exp(x_rj − m_r)
 * (into `lse`); the caller finishes lse_r = m_r + log Σ and loss_r = lse_r − x_r[label_r].
 */
function crossEntropy(): WasmFunc {
  return {
    name: 'softmax_ce', hoistConstants: true,
    params: [['$x', 'i32'], ['$rows', 'i32'], ['$n', 'i32'], ['$loss', 'i32'], ['$lse', 'i32'], ['$tmp', 'i32']],
    locals: [['$r', 'i32'], ['$row', 'i32'], ['$j', 'i32'], ['$p', 'i32'], ['$t', 'i32'], ['$m', 'f32'], ['$sum', 'f32'],
      ['$v', 'v128'], ['$vn', 'v128'], ['$acc', 'v128'], ['$mx', 'v128'], ['$o', 'i32'], ['$mv', 'v128'], ['$ms', 'f32']],
    body: `
      i32.const 0 ${set('$r')}
      block $done loop $rowl
        ${get('$r')} ${get('$rows')} i32.ge_s br_if $done
        ${get('$x')} ${get('$r')} ${get('$n')} i32.mul i32.const 2 i32.shl i32.add ${set('$row')}
        ${rowMax('$row', '$n')} ${set('$m')}
        ${zero4} ${set('$acc')}
        ${get('$m')} f32x4.splat ${set('$mx')}
        ${get('$row')} ${set('$p')}
        i32.const 0 ${set('$j')}
        block $ed loop $el
          ${get('$j')} i32.const 4 i32.add ${get('$n')} i32.gt_s br_if $ed
          ${get('$p')} v128.load ${get('$mx')} f32x4.sub ${set('$v')}
          ${expV('$v', '$vn')} ${set('$v')}
          ${get('$acc')} ${get('$v')} f32x4.add ${set('$acc')}
          ${get('$p')} i32.const 16 i32.add ${set('$p')}
          ${get('$j')} i32.const 4 i32.add ${set('$j')}
          br $el
        end end
        ${get('$acc')} f32x4.extract_lane 0 ${get('$acc')} f32x4.extract_lane 1 f32.add
        ${get('$acc')} f32x4.extract_lane 2 ${get('$acc')} f32x4.extract_lane 3 f32.add f32.add ${set('$sum')}
        ${get('$n')} ${get('$j')} i32.sub ${set('$t')}
        ${get('$t')} if
          ${get('$tmp')} ${get('$mx')} v128.store
          ${copyFloats(get('$tmp'), get('$p'), '$t', '$j')}
          ${get('$tmp')} v128.load ${get('$mx')} f32x4.sub ${set('$v')}
          ${expV('$v', '$vn')} ${set('$v')}
          ${get('$tmp')} ${get('$v')} v128.store
          ${forJ('$j', '$t', `${get('$sum')} ${get('$tmp')} ${get('$j')} i32.const 2 i32.shl i32.add f32.load f32.add ${set('$sum')}`)}
        end
        ;; wasm has no log: store max and Σexp; the caller finishes lse = max + log(Σ), loss = lse − x[label]
        ${get('$lse')} ${get('$r')} i32.const 2 i32.shl i32.add ${get('$sum')} f32.store
        ${get('$loss')} ${get('$r')} i32.const 2 i32.shl i32.add ${get('$m')} f32.store
        ${get('$r')} i32.const 1 i32.add ${set('$r')}
        br $rowl
      end end`,
  };
}

/**
 * Cross-entropy gradient: dx[r, j] = dloss_r · (exp(x[r, j] − lse_r) − [j = label_r]).
 */
function crossEntropyGrad(): WasmFunc {
  return {
    name: 'softmax_ce_grad', hoistConstants: true,
    params: [['$x', 'i32'], ['$labels', 'i32'], ['$lse', 'i32'], ['$dl', 'i32'], ['$rows', 'i32'], ['$n', 'i32'], ['$dx', 'i32'], ['$tmp', 'i32']],
    locals: [['$r', 'i32'], ['$off', 'i32'], ['$j', 'i32'], ['$t', 'i32'], ['$src', 'i32'], ['$dst', 'i32'], ['$g', 'f32'], ['$lab', 'i32'],
      ['$v', 'v128'], ['$vn', 'v128'], ['$ls', 'v128'], ['$gv', 'v128']],
    body: `
      i32.const 0 ${set('$r')}
      block $done loop $rowl
        ${get('$r')} ${get('$rows')} i32.ge_s br_if $done
        ${get('$r')} ${get('$n')} i32.mul i32.const 2 i32.shl ${set('$off')}
        ${get('$x')} ${get('$off')} i32.add ${set('$src')}
        ${get('$dx')} ${get('$off')} i32.add ${set('$dst')}
        ${get('$lse')} ${get('$r')} i32.const 2 i32.shl i32.add f32.load f32x4.splat ${set('$ls')}
        ${get('$dl')} ${get('$r')} i32.const 2 i32.shl i32.add f32.load local.tee $g f32x4.splat ${set('$gv')}
        i32.const 0 ${set('$j')}
        block $ed loop $el
          ${get('$j')} i32.const 4 i32.add ${get('$n')} i32.gt_s br_if $ed
          ${get('$src')} v128.load ${get('$ls')} f32x4.sub ${set('$v')}
          ${expV('$v', '$vn')} ${get('$gv')} f32x4.mul ${set('$v')}
          ${get('$dst')} ${get('$v')} v128.store
          ${get('$src')} i32.const 16 i32.add ${set('$src')}
          ${get('$dst')} i32.const 16 i32.add ${set('$dst')}
          ${get('$j')} i32.const 4 i32.add ${set('$j')}
          br $el
        end end
        ${get('$n')} ${get('$j')} i32.sub ${set('$t')}
        ${get('$t')} if
          ${copyFloats(get('$tmp'), get('$src'), '$t', '$j')}
          ${get('$tmp')} v128.load ${get('$ls')} f32x4.sub ${set('$v')}
          ${expV('$v', '$vn')} ${get('$gv')} f32x4.mul ${set('$v')}
          ${get('$tmp')} ${get('$v')} v128.store
          ${copyFloats(get('$dst'), get('$tmp'), '$t', '$j')}
        end
        ;; the label's entry: subtract dloss
        ${get('$labels')} ${get('$r')} i32.const 2 i32.shl i32.add i32.load ${set('$lab')}
        ${get('$dx')} ${get('$off')} i32.add ${get('$lab')} i32.const 2 i32.shl i32.add local.tee $t
        ${get('$t')} f32.load ${get('$g')} f32.sub f32.store
        ${get('$r')} i32.const 1 i32.add ${set('$r')}
        br $rowl
      end end`,
  };
}

// ───────────────────────────── runtime ─────────────────────────────

const GEMM_MR = 4;
const GEMM_U = 1;

interface WasmBackendLike {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    _malloc(n: number): number;
    _free(p: number): void;
  };
  dataIdMap: { get(id: unknown): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type Exports = Record<string, (...args: number[]) => number | void>;

export interface FastKernels {
  backend: WasmBackendLike;
  /** whether the GEMM uses fused multiply-add (relaxed SIMD) */
  fma: boolean;
  fn: Exports;
  /** byte address of a tensor's data on the wasm heap */
  ptr(t: tf.TensorInfo): number;
  /** a scratch region of at least `bytes` bytes, 16-byte aligned (one region per slot) */
  scratch(slot: number, bytes: number): number;
}

let kernels: FastKernels | undefined;

function moduleFuncs(fma: boolean): WasmFunc[] {
  const fs: WasmFunc[] = [];
  for (let r = 1; r <= GEMM_MR; r++) fs.push(gemmMicroKernel(r, GEMM_U, fma), packA(r));
  fs.push(gemmRows(GEMM_MR), packB(), gemmBatch2());
  fs.push(geluForward, geluBackward, adamw, heavisideGrad, colSum(), copy2d(), gatherRows(), scatterAddRows(), rmsNorm(), rmsNormGrad(),
    maskCols(false), maskCols(true), maskColsGrad(false), maskColsGrad(true), softmaxRows(), softmaxRowsGrad(), crossEntropy(), crossEntropyGrad());
  return fs;
}

/**
 * Fused multiply-add (relaxed SIMD f32x4.relaxed_madd) makes the GEMM ~1.4× faster here.
 * Node 22+ has it on; Node 20's V8 has it behind a flag that can be set before compiling.
 * FAITHBENCH_WASM_FMA=0 turns it off.
 */
function relaxedSimdAvailable(): boolean {
  if (process.env.FAITHBENCH_WASM_FMA === '0') return false;
  const probe = assemble([{
    name: 'probe', params: [['$a', 'v128'], ['$b', 'v128'], ['$c', 'v128']], result: 'v128',
    body: 'local.get $a local.get $b local.get $c f32x4.relaxed_madd',
  }]);
  if (WebAssembly.validate(probe)) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(probe);
}

export function getFastKernels(): FastKernels {
  if (kernels) return kernels;
  const backend = tf.findBackend('wasm') as unknown as WasmBackendLike | null;
  if (!backend) throw new Error('the wasm backend is not initialised');
  const fma = relaxedSimdAvailable();
  const bytes = assemble(moduleFuncs(fma));
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: backend.wasm.asm.memory } });
  const slots: Array<{ raw: number; p: number; n: number }> = [];
  kernels = {
    backend,
    fma,
    fn: inst.exports as unknown as Exports,
    ptr(t) {
      const d = backend.dataIdMap.get(t.dataId);
      if (!d) throw new Error('tensor is not on the wasm backend');
      return d.memoryOffset;
    },
    scratch(slot, n) {
      const s = slots[slot];
      if (s && s.n >= n) return s.p;
      if (s) backend.wasm._free(s.raw);
      const size = Math.max(n, (s?.n ?? 0) * 2, 4096);
      const raw = backend.wasm._malloc(size + 16) >>> 0;
      if (raw === 0) throw new Error(`wasm kernels: out of memory allocating ${size} bytes of scratch`);
      // keep the raw pointer for free(); hand out a 16-byte aligned one
      slots[slot] = { raw, p: (raw + 15) & ~15, n: size };
      return slots[slot].p;
    },
  };
  return kernels;
}

const SCRATCH_PACK = 0;
const SCRATCH_TILE = 1;
const SCRATCH_BIAS = 2;
const SCRATCH_APACK = 3;
const SCRATCH_ATTN = 4;

/**
 * C[M×N] (+)= A·B (+ bias): every operand is a byte address on the wasm heap with element
 * strides, so transposes are free. `accumulate` adds into C; `bias` (or 0) is an [N] vector.
 */
export function gemm(
  M: number, N: number, K: number,
  a: number, sai: number, sak: number,
  b: number, sbk: number, sbj: number,
  c: number, ldc: number,
  bias = 0, accumulate = false,
): void {
  const k = getFastKernels();
  if (M === 0 || N === 0) return;
  // blocking: a packed kc × nc block of B (≤ 64 Ki floats) stays in L2; the MR × kc tile of A in L1
  const kcMax = Math.min(K, 256);
  const ncMax = Math.max(8, Math.floor(65536 / Math.max(kcMax, 1) / 8) * 8);
  const tmp = k.scratch(SCRATCH_TILE, 64);
  const pa = k.scratch(SCRATCH_APACK, Math.max(kcMax, 1) * GEMM_MR * 4 + 64);
  let biasPtr = 0;
  if (bias) {
    biasPtr = k.scratch(SCRATCH_BIAS, Math.ceil(N / 8) * 32);
    // padded copy of the bias
    k.fn.pack_b(bias, 0, 4, 1, N, biasPtr);
  }
  const pack = k.scratch(SCRATCH_PACK, Math.max(kcMax, 1) * Math.min(Math.ceil(N / 8) * 8, ncMax) * 4);
  for (let j0 = 0; j0 < N; j0 += ncMax) {
    const nc = Math.min(ncMax, N - j0);
    const np = Math.ceil(nc / 8);
    const nlast = nc - (np - 1) * 8;
    const cj = c + j0 * 4;
    const bj = b + j0 * sbj * 4;
    const biasJ = biasPtr ? biasPtr + j0 * 4 : 0;
    if (K === 0) {
      // C = bias or 0 (or unchanged when accumulating)
      if (!accumulate) k.fn.gemm_rows(M, 0, a, sai * 4, sak * 4, pa, pack, np, nlast, cj, ldc * 4, 0, biasJ, tmp);
      continue;
    }
    for (let k0 = 0; k0 < K; k0 += kcMax) {
      const kc = Math.min(kcMax, K - k0);
      k.fn.pack_b(bj + k0 * sbk * 4, sbk * 4, sbj * 4, kc, nc, pack);
      const acc = accumulate || k0 > 0 ? 1 : 0;
      k.fn.gemm_rows(M, kc, a + k0 * sak * 4, sai * 4, sak * 4, pa, pack, np, nlast, cj, ldc * 4, acc, k0 === 0 ? biasJ : 0, tmp);
    }
  }
}

/**
 * nb × nh small GEMMs C = A·B (+= with `accumulate`); operand (i, j) starts at base + i·sb + j·sh
 * (element strides, like `gemm`). One wasm call when K fits a packed block.
 */
export function gemmBatch(
  nb: number, nh: number, M: number, N: number, K: number,
  a: number, sai: number, sak: number, asb: number, ash: number,
  b: number, sbk: number, sbj: number, bsb: number, bsh: number,
  c: number, ldc: number, csb: number, csh: number,
  accumulate = false,
): void {
  const k = getFastKernels();
  if (M === 0 || N === 0 || nb === 0 || nh === 0) return;
  const np = Math.ceil(N / 8);
  if (K === 0 || K > 1024 || K * np > 8192) {
    for (let i = 0; i < nb; i++) {
      for (let j = 0; j < nh; j++) {
        gemm(M, N, K, a + (i * asb + j * ash) * 4, sai, sak, b + (i * bsb + j * bsh) * 4, sbk, sbj, c + (i * csb + j * csh) * 4, ldc, 0, accumulate);
      }
    }
    return;
  }
  const tmp = k.scratch(SCRATCH_TILE, 64);
  const pa = k.scratch(SCRATCH_APACK, K * GEMM_MR * 4 + 64);
  const pack = k.scratch(SCRATCH_PACK, K * np * 32);
  k.fn.gemm_batch2(nb, nh, M, N, K, a, sai * 4, sak * 4, asb * 4, ash * 4, b, sbk * 4, sbj * 4, bsb * 4, bsh * 4,
    c, ldc * 4, csb * 4, csh * 4, accumulate ? 1 : 0, pack, pa, tmp);
}

// ───────────────────────────── registration ─────────────────────────────

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
const size = (shape: number[]) => shape.reduce((a, c) => a * c, 1);
const run = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}) =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap);

function heapF32(k: FastKernels): Float32Array {
  return new Float32Array(k.backend.wasm.asm.memory.buffer);
}

/** Shapes of a (batched) matMul: [batch, M, K, N] and the batch broadcast of each operand. */
function matMulDims(a: number[], b: number[], tA: boolean, tB: boolean) {
  const ra = a.length;
  const rb = b.length;
  const M = tA ? a[ra - 1] : a[ra - 2];
  const K = tA ? a[ra - 2] : a[ra - 1];
  const Kb = tB ? b[rb - 1] : b[rb - 2];
  const N = tB ? b[rb - 2] : b[rb - 1];
  if (K !== Kb) throw new Error(`FaithMatMul: inner dimensions ${K} and ${Kb} differ`);
  const ba = size(a.slice(0, -2));
  const bb = size(b.slice(0, -2));
  if (ba !== bb && ba !== 1 && bb !== 1) throw new Error('FaithMatMul: batch dimensions differ');
  const outBatch = (ba >= bb ? a : b).slice(0, -2);
  return { M, K, N, batch: Math.max(ba, bb), ba, bb, outShape: [...outBatch, M, N] };
}

function matMulKernel({ inputs, attrs }: KernelArgs): tf.TensorInfo {
  const k = getFastKernels();
  const { a, b, bias } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const { M, K, N, batch, ba, bb, outShape } = matMulDims(a.shape, b.shape, transposeA, transposeB);
  const out = k.backend.makeOutput(outShape, 'float32');
  const pa = k.ptr(a);
  const pb = k.ptr(b);
  const pc = k.ptr(out);
  const pbias = bias ? k.ptr(bias) : 0;
  if (bb === 1 && b.shape.length === 2 && !transposeA) {
    // [..., M, K] · [K, N]: the leading dimensions fold into the rows of one GEMM
    gemm(M * batch, N, K, pa, K, 1, pb, transposeB ? 1 : N, transposeB ? K : 1, pc, N, pbias);
  } else if (batch === 1 || pbias) {
    for (let i = 0; i < batch; i++) {
      gemm(
        M, N, K,
        pa + (ba === 1 ? 0 : i * M * K * 4), transposeA ? 1 : K, transposeA ? M : 1,
        pb + (bb === 1 ? 0 : i * K * N * 4), transposeB ? 1 : N, transposeB ? K : 1,
        pc + i * M * N * 4, N, pbias,
      );
    }
  } else {
    gemmBatch(
      batch, 1, M, N, K,
      pa, transposeA ? 1 : K, transposeA ? M : 1, ba === 1 ? 0 : M * K, 0,
      pb, transposeB ? 1 : N, transposeB ? K : 1, bb === 1 ? 0 : K * N, 0,
      pc, N, M * N, 0,
    );
  }
  return out;
}

function colSumKernel({ inputs }: KernelArgs): tf.TensorInfo {
  const k = getFastKernels();
  const { x } = inputs as { x: tf.TensorInfo };
  const n = x.shape[x.shape.length - 1];
  const out = k.backend.makeOutput([n], 'float32');
  k.fn.col_sum(k.ptr(x), size(x.shape) / n, n, k.ptr(out));
  return out;
}

/** An element-wise kernel: same-shape float32 inputs (named in order), `nOut` outputs of that shape. */
function elementwiseKernel(fn: string, names: string[], nOut: number, extra: (attrs: tf.NamedAttrMap) => number[] = () => []) {
  return ({ inputs, attrs }: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const k = getFastKernels();
    const ins = names.map((n) => inputs[n] as tf.TensorInfo);
    const shape = ins[0].shape;
    for (const t of ins) if (size(t.shape) !== size(shape)) throw new Error(`${fn}: operand sizes differ`);
    const outs = Array.from({ length: nOut }, () => k.backend.makeOutput(shape, 'float32'));
    const tmp = k.scratch(SCRATCH_TILE, 256);
    k.fn[fn](size(shape), tmp, ...ins.map((t) => k.ptr(t)), ...outs.map((t) => k.ptr(t)), ...extra(attrs ?? {}));
    return nOut === 1 ? outs[0] : outs;
  };
}

interface AttnDims { B: number; Tq: number; T: number; H: number; dh: number; HD: number }
function attnDims(q: tf.TensorInfo, k: tf.TensorInfo, nHeads: number): AttnDims {
  const [B, Tq, HD] = q.shape;
  const T = k.shape[1];
  if (HD % nHeads !== 0) throw new Error('FaithAttention: width is not a multiple of the head count');
  if (Tq > T || k.shape[0] !== B || k.shape[2] !== HD) throw new Error('FaithAttention: q and k shapes do not match');
  return { B, Tq, T, H: nHeads, dh: HD / nHeads, HD };
}

/**
 * Causal multi-head attention: q [B, Tq, H·dh] are the last Tq positions of k, v [B, T, H·dh]
 * (Tq = T: ordinary causal self-attention). Outputs z [B, Tq, H·dh] and the pattern [B, H, Tq, T].
 */
function attentionKernel({ inputs, attrs }: KernelArgs): tf.TensorInfo[] {
  const k = getFastKernels();
  const { q, k: kk, v } = inputs as { q: tf.TensorInfo; k: tf.TensorInfo; v: tf.TensorInfo };
  const { nHeads } = attrs as unknown as { nHeads: number };
  const { B, Tq, T, H, dh, HD } = attnDims(q, kk, nHeads);
  const z = k.backend.makeOutput([B, Tq, HD], 'float32');
  const pat = k.backend.makeOutput([B, H, Tq, T], 'float32');
  const [pq, pk, pv, pz, pp] = [k.ptr(q), k.ptr(kk), k.ptr(v), k.ptr(z), k.ptr(pat)];
  // per (b, h): head h of row t of x is at x + (b·T + t)·HD + h·dh; its pattern block at (b·H + h)·Tq·T
  const qb = Tq * HD;
  const xb = T * HD;
  const pb = H * Tq * T;
  gemmBatch(B, H, Tq, T, dh, pq, HD, 1, qb, dh, pk, 1, HD, xb, dh, pp, T, pb, Tq * T); // S = q·kᵀ
  k.fn.softmax_rows(pp, B * H * Tq, T, Tq, T - Tq, 1 / Math.sqrt(dh), k.scratch(SCRATCH_TILE, 256));
  gemmBatch(B, H, Tq, dh, T, pp, T, 1, pb, Tq * T, pv, HD, 1, xb, dh, pz, HD, qb, dh); // z = P·v
  return [z, pat];
}

function attentionGradKernel({ inputs, attrs }: KernelArgs): tf.TensorInfo[] {
  const k = getFastKernels();
  const { dz, dp, p, q, k: kk, v } = inputs as Record<string, tf.TensorInfo>;
  const { nHeads } = attrs as unknown as { nHeads: number };
  const { B, Tq, T, H, dh, HD } = attnDims(q, kk, nHeads);
  const dq = k.backend.makeOutput([B, Tq, HD], 'float32');
  const dk = k.backend.makeOutput([B, T, HD], 'float32');
  const dv = k.backend.makeOutput([B, T, HD], 'float32');
  const n = B * H * Tq * T;
  const ds = k.scratch(SCRATCH_ATTN, n * 4);
  const [pdz, pp, pq, pk, pv, pdq, pdk, pdv] = [dz, p, q, kk, v, dq, dk, dv].map((t) => k.ptr(t));
  const qb = Tq * HD;
  const xb = T * HD;
  const pb = H * Tq * T;
  // dP starts as the pattern's own gradient (zeros unless a loss reads the pattern)
  const heap = heapF32(k);
  heap.copyWithin(ds >> 2, k.ptr(dp) >> 2, (k.ptr(dp) >> 2) + n);
  gemmBatch(B, H, Tq, T, dh, pdz, HD, 1, qb, dh, pv, 1, HD, xb, dh, ds, T, pb, Tq * T, true); // dP += dz·vᵀ
  gemmBatch(B, H, T, dh, Tq, pp, 1, T, pb, Tq * T, pdz, HD, 1, qb, dh, pdv, HD, xb, dh); // dv = Pᵀ·dz
  k.fn.softmax_rows_grad(pp, ds, B * H * Tq, T, 1 / Math.sqrt(dh));
  gemmBatch(B, H, Tq, dh, T, ds, T, 1, pb, Tq * T, pk, HD, 1, xb, dh, pdq, HD, qb, dh); // dq = dS·k
  gemmBatch(B, H, T, dh, Tq, ds, 1, T, pb, Tq * T, pq, HD, 1, qb, dh, pdk, HD, xb, dh); // dk = dSᵀ·q
  return [dq, dk, dv];
}

/** Per-row softmax cross-entropy with int32 labels: outputs loss [N] and logsumexp [N]. */
function crossEntropyKernel({ inputs }: KernelArgs): tf.TensorInfo[] {
  const k = getFastKernels();
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
  const V = logits.shape[logits.shape.length - 1];
  const N = size(logits.shape) / V;
  const loss = k.backend.makeOutput([N], 'float32');
  const lse = k.backend.makeOutput([N], 'float32');
  const px = k.ptr(logits);
  k.fn.softmax_ce(px, N, V, k.ptr(loss), k.ptr(lse), k.scratch(SCRATCH_TILE, 256));
  const heap = heapF32(k);
  const lab = new Int32Array(heap.buffer, k.ptr(labels), N);
  const pl = k.ptr(loss) >> 2;
  const ps = k.ptr(lse) >> 2;
  for (let r = 0; r < N; r++) {
    const y = lab[r];
    if (y < 0 || y >= V) throw new Error(`FaithSoftmaxCE: label ${y} out of range [0, ${V})`);
    const l = heap[pl + r] + Math.log(heap[ps + r]);
    heap[ps + r] = l;
    heap[pl + r] = l - heap[(px >> 2) + r * V + y];
  }
  return [loss, lse];
}

function crossEntropyGradKernel({ inputs }: KernelArgs): tf.TensorInfo {
  const k = getFastKernels();
  const { logits, labels, lse, dy } = inputs as Record<string, tf.TensorInfo>;
  const V = logits.shape[logits.shape.length - 1];
  const N = size(logits.shape) / V;
  const dx = k.backend.makeOutput(logits.shape, 'float32');
  k.fn.softmax_ce_grad(k.ptr(logits), k.ptr(labels), k.ptr(lse), k.ptr(dy), N, V, k.ptr(dx), k.scratch(SCRATCH_TILE, 256));
  return dx;
}

function heavisideKernel({ inputs }: KernelArgs): tf.TensorInfo {
  const k = getFastKernels();
  const { x } = inputs as { x: tf.TensorInfo };
  const out = k.backend.makeOutput(x.shape, 'float32');
  const heap = heapF32(k);
  const px = k.ptr(x) >> 2;
  const po = k.ptr(out) >> 2;
  const n = size(x.shape);
  for (let i = 0; i < n; i++) heap[po + i] = heap[px + i] >= 0 ? 1 : 0;
  return out;
}


/** Zero-copy Identity (as the cpu backend's): tensors are immutable, so a clone can share data. */
function identityKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  (backend as { incRef(id: unknown): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function checkIds(k: FastKernels, ids: tf.TensorInfo, n: number, what: string): void {
  const a = new Int32Array(k.backend.wasm.asm.memory.buffer, k.ptr(ids), size(ids.shape));
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || a[i] >= n) throw new Error(`${what}: index ${a[i]} is not in [0, ${n - 1}]`);
  }
}

/** rows of table [V, d] at int32 ids [...] → [..., d] */
function gatherRowsKernel({ inputs }: KernelArgs): tf.TensorInfo {
  const k = getFastKernels();
  const { table, ids } = inputs as { table: tf.TensorInfo; ids: tf.TensorInfo };
  const [V, d] = table.shape;
  checkIds(k, ids, V, 'FaithGatherRows');
  const out = k.backend.makeOutput([...ids.shape, d], 'float32');
  k.fn.gather_rows(k.ptr(table), k.ptr(ids), size(ids.shape), d, k.ptr(out));
  return out;
}

/** Σ of rows of x [n, ...] into [numSegments, ...] by int32 segment ids [n] (out-of-range ids dropped). */
function scatterAddKernel(x: tf.TensorInfo, ids: tf.TensorInfo, numSegments: number): tf.TensorInfo {
  const k = getFastKernels();
  const inner = size(x.shape.slice(1));
  const out = k.backend.makeOutput([numSegments, ...x.shape.slice(1)], 'float32');
  const idv = new Int32Array(k.backend.wasm.asm.memory.buffer, k.ptr(ids), size(ids.shape));
  let ok = true;
  for (let i = 0; i < idv.length; i++) if (idv[i] < 0 || idv[i] >= numSegments) ok = false;
  if (ok) {
    k.fn.scatter_add_rows(k.ptr(x), k.ptr(ids), idv.length, inner, k.ptr(out), numSegments);
  } else {
    const heap = heapF32(k);
    const px = k.ptr(x) >> 2;
    const po = k.ptr(out) >> 2;
    heap.fill(0, po, po + numSegments * inner);
    for (let r = 0; r < idv.length; r++) {
      const seg = idv[r];
      if (seg < 0 || seg >= numSegments) continue;
      for (let j = 0; j < inner; j++) heap[po + seg * inner + j] += heap[px + r * inner + j];
    }
  }
  return out;
}

/** Split the last axis into pieces of the given widths. */
function splitColsKernel({ inputs, attrs }: KernelArgs): tf.TensorInfo[] {
  const k = getFastKernels();
  const { x } = inputs as { x: tf.TensorInfo };
  const { sizes } = attrs as unknown as { sizes: number[] };
  const C = x.shape[x.shape.length - 1];
  const rows = size(x.shape) / C;
  let off = 0;
  return sizes.map((w) => {
    const out = k.backend.makeOutput([...x.shape.slice(0, -1), w], 'float32');
    k.fn.copy2d(k.ptr(x) + off * 4, C * 4, k.ptr(out), w * 4, rows, w);
    off += w;
    return out;
  });
}

/** Concatenate x0, x1, ... along the last axis. */
function concatColsKernel({ inputs }: KernelArgs): tf.TensorInfo {
  const k = getFastKernels();
  const parts: tf.TensorInfo[] = [];
  for (let i = 0; inputs[`x${i}`]; i++) parts.push(inputs[`x${i}`] as tf.TensorInfo);
  const widths = parts.map((t) => t.shape[t.shape.length - 1]);
  const C = widths.reduce((a, b) => a + b, 0);
  const rows = size(parts[0].shape) / widths[0];
  const out = k.backend.makeOutput([...parts[0].shape.slice(0, -1), C], 'float32');
  let off = 0;
  parts.forEach((t, i) => {
    k.fn.copy2d(k.ptr(t), widths[i] * 4, k.ptr(out) + off * 4, C * 4, rows, widths[i]);
    off += widths[i];
  });
  return out;
}

/** RMSNorm over the last axis: outputs y (x's shape) and the scale 1/RMS ([..., 1]). */
function rmsNormKernel({ inputs, attrs }: KernelArgs): tf.TensorInfo[] {
  const k = getFastKernels();
  const { x, g } = inputs as { x: tf.TensorInfo; g: tf.TensorInfo };
  const { eps } = attrs as unknown as { eps: number };
  const d = x.shape[x.shape.length - 1];
  const rows = size(x.shape) / d;
  const y = k.backend.makeOutput(x.shape, 'float32');
  const sc = k.backend.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
  k.fn.rmsnorm(k.ptr(x), k.ptr(g), rows, d, eps, k.ptr(y), k.ptr(sc));
  return [y, sc];
}

function rmsNormGradKernel({ inputs }: KernelArgs): tf.TensorInfo[] {
  const k = getFastKernels();
  const { x, g, s: sc, ds, dy } = inputs as Record<string, tf.TensorInfo>;
  const d = x.shape[x.shape.length - 1];
  const rows = size(x.shape) / d;
  const dx = k.backend.makeOutput(x.shape, 'float32');
  const dg = k.backend.makeOutput([d], 'float32');
  k.fn.rmsnorm_grad(k.ptr(x), k.ptr(g), k.ptr(sc), k.ptr(ds), k.ptr(dy), rows, d, k.ptr(dx), k.ptr(dg));
  return [dx, dg];
}

/** Node-site mask: y = k·x or μ + k·(x − μ), k and μ of the last axis' width. */
function maskColsKernel({ inputs }: KernelArgs): tf.TensorInfo {
  const k = getFastKernels();
  const { x, k: keep, mu } = inputs as { x: tf.TensorInfo; k: tf.TensorInfo; mu?: tf.TensorInfo };
  const n = x.shape[x.shape.length - 1];
  const y = k.backend.makeOutput(x.shape, 'float32');
  k.fn[mu ? 'mask_cols_mu' : 'mask_cols'](k.ptr(x), k.ptr(keep), mu ? k.ptr(mu) : 0, size(x.shape) / n, n, k.ptr(y));
  return y;
}

function maskColsGradKernel({ inputs }: KernelArgs): tf.TensorInfo[] {
  const k = getFastKernels();
  const { x, k: keep, mu, dy } = inputs as { x: tf.TensorInfo; k: tf.TensorInfo; mu?: tf.TensorInfo; dy: tf.TensorInfo };
  const n = x.shape[x.shape.length - 1];
  const dx = k.backend.makeOutput(x.shape, 'float32');
  const dk = k.backend.makeOutput([n], 'float32');
  k.fn[mu ? 'mask_cols_mu_grad' : 'mask_cols_grad'](k.ptr(x), k.ptr(keep), mu ? k.ptr(mu) : 0, k.ptr(dy), size(x.shape) / n, n, k.ptr(dx), k.ptr(dk));
  return [dx, dk];
}

let registered = false;

/** Register the kernels the stock wasm backend lacks and the fast `Faith*` kernels. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const reg = (kernelName: string, kernelFunc: (a: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]) => {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  };
  // gather's gradient needs UnsortedSegmentSum, which wasm does not register.
  reg('UnsortedSegmentSum', ({ inputs, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    if (x.dtype !== 'float32') throw new Error('UnsortedSegmentSum (wasm): only float32 is supported');
    return scatterAddKernel(x, segmentIds, (attrs as unknown as { numSegments: number }).numSegments);
  });
  // stock wasm Identity copies its input; every tensor saved for a gradient goes through it
  reg('Identity', identityKernel);
  reg('FaithMatMul', matMulKernel);
  reg('FaithColSum', colSumKernel);
  reg('FaithGelu', elementwiseKernel('gelu', ['x'], 1));
  reg('FaithGeluGrad', elementwiseKernel('gelu_grad', ['x', 'dy'], 1));
  reg('FaithHeaviside', heavisideKernel);
  reg('FaithHeavisideGrad', elementwiseKernel('heaviside_grad', ['x', 'dy'], 1, (a) => [1 / (a.temperature as number)]));
  reg('FaithAdamW', elementwiseKernel('adamw', ['p', 'g', 'm', 'v'], 3, (a) => {
    const { lr, beta1, beta2, eps, weightDecay, step, clampMin, clampMax } = a as unknown as Record<string, number>;
    return [lr, beta1, 1 - beta1, beta2, 1 - beta2, 1 / (1 - beta1 ** step), 1 / (1 - beta2 ** step), eps, weightDecay,
      clampMin ?? -Infinity, clampMax ?? Infinity];
  }));
  reg('FaithAttention', attentionKernel);
  reg('FaithAttentionGrad', attentionGradKernel);
  reg('FaithSoftmaxCE', crossEntropyKernel);
  reg('FaithSoftmaxCEGrad', crossEntropyGradKernel);
  reg('FaithGatherRows', gatherRowsKernel);
  reg('FaithScatterAddRows', ({ inputs, attrs }) =>
    scatterAddKernel(inputs.x as tf.TensorInfo, inputs.ids as tf.TensorInfo, (attrs as unknown as { numSegments: number }).numSegments));
  reg('FaithSplitCols', splitColsKernel);
  reg('FaithConcatCols', concatColsKernel);
  reg('FaithRMSNorm', rmsNormKernel);
  reg('FaithRMSNormGrad', rmsNormGradKernel);
  reg('FaithMaskCols', maskColsKernel);
  reg('FaithMaskColsMu', maskColsKernel);
  reg('FaithMaskColsGrad', maskColsGradKernel);

  tf.registerGradient({
    kernelName: 'FaithMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const d = dy as tf.Tensor;
      const { transposeA: tA, transposeB: tB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const mm = (x: tf.Tensor, y: tf.Tensor, ta: boolean, tb: boolean) => run('FaithMatMul', { a: x, b: y }, { transposeA: ta, transposeB: tb }) as tf.Tensor;
      // a batch-broadcast operand (rank 2 against rank 3) gets its gradient summed over the batch
      const fold = (g: tf.Tensor, like: tf.Tensor) => (g.rank > like.rank ? tf.sum(g, 0) : g);
      // [..., M, K] · [K, N] ran as one GEMM over all rows: so does the weight's gradient
      const rows = !tA && a.rank > 2 && b.rank === 2;
      const flat = (t: tf.Tensor) => tf.reshape(t, [-1, t.shape[t.rank - 1]]);
      return {
        a: () => fold(!tA ? (!tB ? mm(d, b, false, true) : mm(d, b, false, false)) : !tB ? mm(b, d, false, true) : mm(b, d, true, true), a),
        b: () =>
          rows
            ? (!tB ? mm(flat(a), flat(d), true, false) : mm(flat(d), flat(a), true, false))
            : fold(!tA ? (!tB ? mm(a, d, true, false) : mm(d, a, true, false)) : !tB ? mm(a, d, false, false) : mm(d, a, true, true), b),
        bias: () => run('FaithColSum', { x: d }) as tf.Tensor,
      };
    },
  });
  tf.registerGradient({
    kernelName: 'FaithGelu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => run('FaithGeluGrad', { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor }),
  });
  tf.registerGradient({
    kernelName: 'FaithHeaviside',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({
      x: () => run('FaithHeavisideGrad', { x: saved[0], dy: dy as tf.Tensor }, { temperature: (attrs as unknown as { temperature: number }).temperature }) as tf.Tensor,
    }),
  });
  tf.registerGradient({
    kernelName: 'FaithAttention',
    inputsToSave: ['q', 'k', 'v'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const [dz, dp] = dys as tf.Tensor[];
      const [q, k, v, p] = saved;
      // one kernel computes all three; closures share it
      const [dq, dk, dv] = run('FaithAttentionGrad', { dz, dp, p, q, k, v }, attrs) as tf.Tensor[];
      return { q: () => dq, k: () => dk, v: () => dv };
    },
  });
  tf.registerGradient({
    kernelName: 'FaithSoftmaxCE',
    inputsToSave: ['logits', 'labels'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [dl] = dys as tf.Tensor[];
      const [logits, labels, lse] = saved;
      return {
        logits: () => run('FaithSoftmaxCEGrad', { logits, labels, lse, dy: dl }) as tf.Tensor,
        labels: () => tf.zeros(labels.shape),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'FaithGatherRows',
    inputsToSave: ['table', 'ids'],
    gradFunc: (dy, saved) => {
      const [table, ids] = saved;
      const d = dy as tf.Tensor;
      return {
        table: () => run('FaithScatterAddRows', { x: tf.reshape(d, [-1, table.shape[1] as number]), ids: tf.reshape(ids, [-1]) }, { numSegments: table.shape[0] }) as tf.Tensor,
        ids: () => tf.zeros(ids.shape),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'FaithSplitCols',
    gradFunc: (dy) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      const named: tf.NamedTensorMap = {};
      dys.forEach((t, i) => (named[`x${i}`] = t));
      return { x: () => run('FaithConcatCols', named) as tf.Tensor };
    },
  });
  tf.registerGradient({
    kernelName: 'FaithRMSNorm',
    inputsToSave: ['x', 'g'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved) => {
      const [dy, ds] = dys as tf.Tensor[];
      const [x, g, s] = saved;
      const [dx, dg] = run('FaithRMSNormGrad', { x, g, s, ds, dy }) as tf.Tensor[];
      return { x: () => dx, g: () => dg };
    },
  });
  tf.registerGradient({
    kernelName: 'FaithMaskCols',
    inputsToSave: ['x', 'k'],
    gradFunc: (dy, saved) => {
      const [x, k] = saved;
      const [dx, dk] = run('FaithMaskColsGrad', { x, k, dy: dy as tf.Tensor }) as tf.Tensor[];
      return { x: () => dx, k: () => dk };
    },
  });
  tf.registerGradient({
    kernelName: 'FaithMaskColsMu',
    inputsToSave: ['x', 'k', 'mu'],
    gradFunc: (dy, saved) => {
      const [x, k, mu] = saved;
      const d = dy as tf.Tensor;
      const [dx, dk] = run('FaithMaskColsGrad', { x, k, mu, dy: d }) as tf.Tensor[];
      return {
        x: () => dx,
        k: () => dk,
        mu: () => tf.mul(tf.sub(1, k), run('FaithColSum', { x: d }) as tf.Tensor),
      };
    },
  });
}

/** True once the fast kernels are registered (the wasm backend was initialised through backend.ts). */
export function wasmKernelsRegistered(): boolean {
  return registered;
}
