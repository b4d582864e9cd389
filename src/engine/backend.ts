// Chooses the TensorFlow.js backend once per process: best available first,
// FAITHBENCH_BACKEND overrides. The choice is recorded in every result.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients; the union package registers them all on the shared core.
import '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { findAdapter, installWebgpuBackend, patchWebgpuKernels, describeAdapter, type GpuAdapterSummary } from './webgpu.ts';

export const BackendName = z.enum(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;

/**
 * Preference order; native ones are optional packages that are usually absent, and webgpu
 * is taken automatically only with a real GPU adapter (a software one only when named).
 */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

const PACKAGE_OF: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

export interface BackendProbe {
  name: BackendName;
  package: string;
  available: boolean;
  /** why it is unavailable, when it is */
  reason?: string;
  version?: string;
  /** webgpu: the adapter found (also when it is a software one the automatic order skips) */
  adapter?: GpuAdapterSummary;
}

export interface BackendInfo {
  name: BackendName;
  tfjsVersion: string;
  packageVersion: string;
  simd?: boolean;
  threads: number;
  probes: BackendProbe[];
  /** webgpu: the adapter in use */
  adapter?: GpuAdapterSummary;
}

const require = createRequire(import.meta.url);

function packageVersion(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** webgpu needs an adapter before its package loads; `forced` (asked for by name) accepts a software one. */
async function probeWebgpu(forced: boolean): Promise<BackendProbe & { install?: () => Promise<void> }> {
  const pkg = PACKAGE_OF.webgpu;
  const found = await findAdapter(forced);
  if (!found.ok) return { name: 'webgpu', package: pkg, available: false, reason: found.reason };
  return { name: 'webgpu', package: pkg, available: true, version: found.packageVersion, adapter: found.summary, install: () => installWebgpuBackend(found.adapter) };
}

async function tryLoad(name: BackendName, forced = false): Promise<BackendProbe> {
  const pkg = PACKAGE_OF[name];
  if (name === 'webgpu') {
    const probe = await probeWebgpu(forced);
    if (probe.install) {
      try {
        await probe.install();
      } catch (err) {
        return { name, package: pkg, available: false, reason: `backend failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
      }
    }
    delete probe.install;
    return probe;
  }
  try {
    await import(pkg);
    return { name, package: pkg, available: true, version: packageVersion(pkg) };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const notInstalled = /Cannot find (package|module)/.test(msg);
    return {
      name,
      package: pkg,
      available: false,
      reason: notInstalled ? `${pkg} is not installed (optional; its installer downloads libtensorflow)` : msg,
    };
  }
}

let chosen: BackendInfo | undefined;

/** The wasm module installs process handlers that rethrow with its whole minified source; drop them. */
function restoreProcessHandlers(before: { ue: Function[]; ur: Function[] }): void {
  for (const l of process.listeners('uncaughtException')) {
    if (!before.ue.includes(l)) process.removeListener('uncaughtException', l);
  }
  for (const l of process.listeners('unhandledRejection')) {
    if (!before.ur.includes(l)) process.removeListener('unhandledRejection', l);
  }
}

/**
 * Initialise the backend. `requested` (or FAITHBENCH_BACKEND) forces one; otherwise
 * the first available in BACKEND_ORDER. Throws a one-line error for an unknown or unavailable name.
 */
export async function initBackend(requested?: string): Promise<BackendInfo> {
  if (chosen) return chosen;
  const want = requested ?? process.env.FAITHBENCH_BACKEND;
  let order: readonly BackendName[] = BACKEND_ORDER;
  const forced = want !== undefined && want !== '';
  if (forced) {
    const parsed = BackendName.safeParse(want);
    if (!parsed.success) {
      throw new Error(`unknown backend "${want}" (FAITHBENCH_BACKEND): expected one of ${BACKEND_ORDER.join(', ')}`);
    }
    order = [parsed.data];
  }
  const before = { ue: process.listeners('uncaughtException'), ur: process.listeners('unhandledRejection') };
  const probes: BackendProbe[] = [];
  for (const name of order) {
    const probe = await tryLoad(name, forced);
    probes.push(probe);
    if (!probe.available) continue;
    const ok = await tf.setBackend(name);
    await tf.ready();
    restoreProcessHandlers(before);
    if (!ok) {
      probe.available = false;
      probe.reason = 'backend failed to initialise';
      continue;
    }
    if (name === 'wasm') {
      const { registerWasmKernels } = await import('./wasm-kernels.ts');
      registerWasmKernels();
    }
    if (name === 'webgpu') patchWebgpuKernels();
    chosen = {
      name,
      tfjsVersion: tf.version_core,
      packageVersion: probe.version ?? tf.version_core,
      simd: name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : undefined,
      threads: name === 'wasm' ? 1 : 0,
      probes,
      ...(probe.adapter ? { adapter: probe.adapter } : {}),
    };
    return chosen;
  }
  // asked for by name: never a silent fallback to another backend
  if (forced) throw new Error(`backend "${order[0]}" (FAITHBENCH_BACKEND) cannot start: ${probes[0].reason}`);
  const why = probes.map((p) => `${p.name}: ${p.reason}`).join('; ');
  throw new Error(`no usable TensorFlow.js backend (${why})`);
}

/**
 * Every backend's availability, without switching to it (for `faithbench doctor`). webgpu is
 * searched as if forced, so a software adapter is named, but it counts as available only
 * when the automatic order would take it (a real GPU) or webgpu was asked for by name.
 */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  const webgpuForced = (process.env.FAITHBENCH_BACKEND ?? '') === 'webgpu';
  for (const name of BACKEND_ORDER) {
    if (name === 'webgpu') {
      const { install: _unused, ...p } = await probeWebgpu(true);
      if (p.adapter?.software && !webgpuForced) {
        out.push({ ...p, available: false, reason: `only a software adapter (${describeAdapter(p.adapter)}): not chosen automatically; FAITHBENCH_BACKEND=webgpu forces it` });
      } else out.push(p);
    } else if (name === 'wasm' || name === 'cpu') {
      const v = packageVersion(PACKAGE_OF[name]);
      out.push({ name, package: PACKAGE_OF[name], available: v !== undefined, version: v, reason: v ? undefined : 'not installed' });
    } else {
      out.push(await tryLoad(name));
    }
  }
  return out;
}

export function currentBackend(): BackendInfo {
  if (!chosen) throw new Error('backend not initialised: call initBackend() first');
  return chosen;
}

/** Whether tensors on the current backend can be read synchronously: webgpu in Node cannot (its dataSync needs OffscreenCanvas). */
export function canReadSync(): boolean {
  return tf.getBackend() !== 'webgpu';
}
