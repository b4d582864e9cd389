// WebGPU in Node (DESIGN.md §2): @tensorflow/tfjs-backend-webgpu 4.22 on Dawn from the
// `webgpu` npm package (prebuilt dawn.node, installs offline). Node has no `navigator`, so
// the adapter is chosen here, before the backend module loads, and handed to it through a
// `navigator.gpu` shim. Both packages are optional: when either is missing the resolver
// says so and moves on (wasm always works).
//
// Adapters are tried native API first (Vulkan on Linux, Metal on macOS, D3D12 on Windows),
// then OpenGL in compatibility mode (the only way Dawn reaches Mesa's llvmpipe here). A
// software adapter (llvmpipe, lavapipe, SwiftShader) is only used when webgpu was asked for
// by name: it is slower than wasm, and the automatic order promises a real GPU.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

export type GpuApi = 'vulkan' | 'metal' | 'd3d12' | 'opengl';

/** What `doctor` and the results say about the adapter (from Dawn's DawnAdapterInfo). */
export const GpuAdapterSummary = z.object({
  api: z.enum(['vulkan', 'metal', 'd3d12', 'opengl']),
  vendor: z.string(),
  architecture: z.string(),
  device: z.string(),
  description: z.string(),
  /** a CPU rasteriser posing as a GPU (llvmpipe, lavapipe, SwiftShader) */
  software: z.boolean(),
});
export type GpuAdapterSummary = z.infer<typeof GpuAdapterSummary>;

// The slice of Dawn's WebGPU objects used here, written out so the build needs neither
// optional package nor @webgpu/types.
interface DawnAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface DeviceDescriptor {
  requiredFeatures?: Iterable<string | string[]>;
  [key: string]: unknown;
}
export interface DawnAdapter {
  readonly info: DawnAdapterInfo;
  readonly limits?: { maxStorageBuffersPerShaderStage?: number };
  requestDevice(desc?: DeviceDescriptor): Promise<unknown>;
}
interface DawnGpu {
  requestAdapter(opts?: Record<string, unknown>): Promise<DawnAdapter | null>;
}

export type AdapterSearch =
  | { ok: true; adapter: DawnAdapter; summary: GpuAdapterSummary; packageVersion: string }
  | { ok: false; reason: string };

interface DawnModule {
  create: (flags: string[]) => DawnGpu;
  globals: Record<string, unknown>;
}

const require = createRequire(import.meta.url);

export function webgpuPackageVersions(): { dawn?: string; backend?: string } {
  const v = (pkg: string) => {
    try {
      return (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      return undefined;
    }
  };
  return { dawn: v('webgpu'), backend: v('@tensorflow/tfjs-backend-webgpu') };
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|basic render/i;

function nativeApis(): GpuApi[] {
  if (process.platform === 'darwin') return ['metal'];
  if (process.platform === 'win32') return ['d3d12', 'vulkan'];
  return ['vulkan'];
}

/** Library directories the dynamic loader searches (enough to tell whether libvulkan is there at all). */
function libraryDirs(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  try {
    for (const f of readdirSync('/etc/ld.so.conf.d')) {
      for (const line of readFileSync(`/etc/ld.so.conf.d/${f}`, 'utf8').split('\n')) if (line.startsWith('/')) dirs.push(line.trim());
    }
  } catch {
    // no ld.so.conf.d: the defaults below
  }
  return [...dirs, '/lib', '/usr/lib', '/lib64', '/usr/lib64', `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];
}

const hasLibrary = (name: string) => libraryDirs().some((d) => existsSync(`${d}/${name}`));

/** Linux: a GPU shows up as a DRM render node or an NVIDIA device file; without one only software rendering is possible. */
function linuxGpuDevices(): string[] {
  const out: string[] = [];
  try {
    out.push(...readdirSync('/dev/dri').filter((f) => f.startsWith('renderD')).map((f) => `/dev/dri/${f}`));
  } catch {
    // no /dev/dri
  }
  if (existsSync('/dev/nvidiactl')) out.push('/dev/nvidiactl');
  return out;
}

let dawn: DawnModule | undefined;
const instances = new Map<GpuApi, DawnGpu>();

async function loadDawn(): Promise<DawnModule | string> {
  if (dawn) return dawn;
  const versions = webgpuPackageVersions();
  if (!versions.dawn) return 'the `webgpu` package (Dawn for Node) is not installed';
  if (!versions.backend) return '@tensorflow/tfjs-backend-webgpu is not installed';
  // Mesa's EGL needs a platform without a display server; it reads this when Dawn opens EGL
  process.env.EGL_PLATFORM ??= 'surfaceless';
  try {
    const mod = (await import('webgpu' as string)) as DawnModule;
    dawn = mod;
    return mod;
  } catch (err) {
    return `the \`webgpu\` package failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

function summarise(api: GpuApi, adapter: DawnAdapter): GpuAdapterSummary {
  const info = adapter.info;
  const s = { api, vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '' };
  const fallback = info.isFallbackAdapter === true;
  // parsed: the strings come from a native driver
  return GpuAdapterSummary.parse({ ...s, software: fallback || SOFTWARE.test(`${s.vendor} ${s.architecture} ${s.device} ${s.description}`) });
}

async function adapterFor(d: DawnModule, api: GpuApi): Promise<DawnAdapter | null> {
  let gpu = instances.get(api);
  if (!gpu) instances.set(api, (gpu = d.create([`backend=${api}`])));
  // OpenGL adapters exist only at the compatibility feature level
  const opts = api === 'opengl' ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' };
  return gpu.requestAdapter(opts);
}

/**
 * Find an adapter. `allowSoftware` (webgpu asked for by name) accepts llvmpipe & co when no
 * real GPU answers; otherwise the reason says what was found and why it was not used.
 */
export async function findAdapter(allowSoftware: boolean): Promise<AdapterSearch> {
  const devices = process.platform === 'linux' ? linuxGpuDevices() : ['(not checked)'];
  // the automatic order does not even load Dawn without a GPU device: its probes print driver warnings
  if (!allowSoftware && devices.length === 0) {
    return { ok: false, reason: 'no GPU device (/dev/dri/renderD*, /dev/nvidiactl); FAITHBENCH_BACKEND=webgpu forces a software adapter' };
  }
  const d = await loadDawn();
  if (typeof d === 'string') return { ok: false, reason: d };
  const packageVersion = webgpuPackageVersions().backend ?? '';
  const misses: string[] = [];
  let software: { adapter: DawnAdapter; summary: GpuAdapterSummary } | undefined;
  const apis: GpuApi[] = [...nativeApis(), 'opengl'];
  for (const api of apis) {
    if (api === 'vulkan' && process.platform === 'linux' && !hasLibrary('libvulkan.so.1')) {
      misses.push('vulkan: libvulkan.so.1 not found (Debian: libvulkan1 plus the GPU vendor\'s Vulkan driver)');
      continue;
    }
    if (api === 'opengl' && process.platform === 'linux' && !hasLibrary('libEGL.so.1')) {
      misses.push('opengl: libEGL.so.1 not found (Debian: libegl1 libegl-mesa0 libgl1-mesa-dri)');
      continue;
    }
    let adapter: DawnAdapter | null;
    try {
      adapter = await adapterFor(d, api);
    } catch (err) {
      misses.push(`${api}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      continue;
    }
    if (!adapter) {
      misses.push(`${api}: Dawn found no adapter${api === 'vulkan' ? ' (is the driver\'s ICD json on VK_DRIVER_FILES?)' : api === 'opengl' ? ' (EGL could not start: libegl-mesa0 and libgl1-mesa-dri give Mesa\'s llvmpipe)' : ''}`);
      continue;
    }
    const summary = summarise(api, adapter);
    if (!summary.software) return { ok: true, adapter, summary, packageVersion };
    software ??= { adapter, summary };
    misses.push(`${api}: only a software adapter (${summary.device || summary.description})`);
  }
  if (software && allowSoftware) return { ok: true, ...software, packageVersion };
  const tail = software ? '; FAITHBENCH_BACKEND=webgpu forces the software adapter' : '';
  return { ok: false, reason: `no GPU adapter (${misses.join('; ')})${tail}` };
}

/**
 * The device tfjs asks for, fixed for Dawn: flat feature names (tfjs 4.22 nests one,
 * `[['bgra8unorm-storage']]`), and the adapter's own storage-buffer limit (the default 8 is
 * less than tfjs's AddN shader binds for a dozen inputs; llvmpipe offers 16).
 */
function fixDescriptor(adapter: DawnAdapter, desc?: DeviceDescriptor): DeviceDescriptor {
  const out: DeviceDescriptor = { ...(desc ?? {}) };
  if (desc?.requiredFeatures) out.requiredFeatures = [...desc.requiredFeatures].flat();
  const limit = adapter.limits?.maxStorageBuffersPerShaderStage;
  if (typeof limit === 'number') out.requiredLimits = { ...((desc?.requiredLimits as Record<string, number> | undefined) ?? {}), maxStorageBuffersPerShaderStage: limit };
  return out;
}

interface DawnDevice {
  limits: { maxStorageBuffersPerShaderStage: number };
  addEventListener?: (type: 'uncapturederror', fn: (ev: { error: { message: string } }) => void) => void;
}

/**
 * A WebGPU validation error does not throw: the command is dropped and the numbers come out
 * wrong. Make the first one fatal (one line, non-zero exit through the CLI's handler).
 */
function failOnDeviceErrors(device: DawnDevice): void {
  device.addEventListener?.('uncapturederror', (ev) => {
    throw new Error(`webgpu device error: ${ev.error.message.split('\n')[0]}`);
  });
}

/**
 * tfjs-backend-webgpu 4.22 runs AddN as ONE shader with a storage buffer per input, whatever
 * their number (concat splits by the limit; AddN does not). Sum in groups that fit instead:
 * same additions, grouped (float sums may differ in the last bit from one big sum).
 */
function chunkAddN(maxInputs: number): void {
  const orig = tf.getKernel('AddN', 'webgpu');
  if (!orig) return;
  const kernelFunc = orig.kernelFunc;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    ...orig,
    kernelFunc: ({ inputs, backend, attrs }) => {
      let xs = Object.values(inputs) as tf.TensorInfo[];
      const made: tf.TensorInfo[] = [];
      while (xs.length > maxInputs) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < xs.length; i += maxInputs) {
          const group = xs.slice(i, i + maxInputs);
          if (group.length === 1) next.push(group[0]);
          else {
            const sum = kernelFunc({ inputs: group as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo;
            made.push(sum);
            next.push(sum);
          }
        }
        xs = next;
      }
      const out = kernelFunc({ inputs: xs as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo;
      for (const t of made) (backend as unknown as { disposeData(id: object): void }).disposeData(t.dataId);
      return out;
    },
  });
}

let installed = false;

/**
 * Make the chosen adapter the one tfjs-backend-webgpu gets, then load the backend (it
 * registers 'webgpu' only when `navigator.gpu` exists at import time).
 */
export async function installWebgpuBackend(adapter: DawnAdapter): Promise<void> {
  if (installed) return;
  const d = dawn;
  if (!d) throw new Error('internal: installWebgpuBackend before findAdapter');
  Object.assign(globalThis, d.globals); // GPUBufferUsage, GPUMapMode, … which the backend reads as globals
  const requestDevice = adapter.requestDevice.bind(adapter);
  let device: DawnDevice | undefined;
  const shimAdapter = new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'requestDevice') {
        return async (desc?: DeviceDescriptor) => {
          device = (await requestDevice(fixDescriptor(adapter, desc))) as DawnDevice;
          failOnDeviceErrors(device);
          return device;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const gpu = { requestAdapter: async () => shimAdapter, getPreferredCanvasFormat: () => 'bgra8unorm', wgslLanguageFeatures: new Set<string>() };
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  installed = true;
}

/** After tf.setBackend('webgpu') created the device: the kernel fixes that need its limits. */
export function patchWebgpuKernels(): void {
  const backend = tf.backend() as unknown as { device?: DawnDevice };
  const max = backend.device?.limits.maxStorageBuffersPerShaderStage ?? 8;
  chunkAddN(Math.max(2, max - 1)); // one buffer is the output
}

/** One line naming the adapter: device, API, and whether it is software. */
export function describeAdapter(s: GpuAdapterSummary): string {
  const name = [s.vendor, s.device || s.architecture].filter(Boolean).join(' ') || 'unknown device';
  return `${name}${s.description ? ` [${s.description}]` : ''} via ${s.api === 'opengl' ? 'OpenGL' : s.api === 'vulkan' ? 'Vulkan' : s.api === 'metal' ? 'Metal' : 'D3D12'}${s.software ? ' (software)' : ''}`;
}
