import { checkOptions, optionNames } from '../../check-options';
import { ValueError, WebGpuUnavailableError } from '../../errors';
import { setBackendHooks } from '../../kernels/registry';
import { type BufferPool, getBufferPool, setBufferPool } from '../../lifetime';
import { setResidency } from '../../residency';
import { WebGpuContext } from './context';
import { WebGpuDeviceError } from './errors';
import { webGpuAdapters } from './register';
import { Resident } from './resident';
import type { WebGpuStats } from './resident-data';

/**
 * Options of {@link initWebGpuBackend}.
 *
 * @example
 * ```ts
 * await initWebGpuBackend({ powerPreference: 'high-performance' });
 * ```
 */
export interface WebGpuInitOptions {
  /** Which adapter to ask the browser for when there are several (`navigator.gpu.requestAdapter`'s option). */
  powerPreference?: 'low-power' | 'high-performance';
  /** Ask for the fallback adapter (a software one, where the browser has one). Default false. */
  forceFallbackAdapter?: boolean;
}

const WEBGPU_INIT_OPTIONS = optionNames<WebGpuInitOptions>({ powerPreference: true, forceFallbackAdapter: true });

/**
 * The adapter's `GPUAdapterInfo`, as {@link initWebGpuBackend} found it; any field may be empty (browsers
 * hide details).
 *
 * @example
 * ```ts
 * const { adapter } = await initWebGpuBackend();
 * `${adapter.vendor} / ${adapter.architecture}`; // 'google / swiftshader' in headless Chromium on SwiftShader
 * ```
 */
export interface WebGpuAdapterInfo {
  /** The adapter's vendor, e.g. `'google'`, `'nvidia'`, `'apple'`. */
  vendor: string;
  /** The family or class of the GPU, e.g. `'swiftshader'`, `'ampere'`. */
  architecture: string;
  /** A vendor-specific identifier of the device (often empty). */
  device: string;
  /** A human-readable description (often empty). */
  description: string;
}

/**
 * The device limits the WebGPU kernels depend on, as {@link initWebGpuBackend} found them (the device
 * asks for the adapter's storage-buffer and buffer size limits; the others are WebGPU's defaults).
 *
 * @example
 * ```ts
 * const { limits } = await initWebGpuBackend();
 * limits.maxComputeWorkgroupsPerDimension; // 65535
 * ```
 */
export interface WebGpuLimits {
  /** The most bytes one storage buffer binding may span (so one GPU array holds a quarter as many elements). */
  maxStorageBufferBindingSize: number;
  /** The most bytes one buffer may hold. */
  maxBufferSize: number;
  /** The most threads of a workgroup along x. */
  maxComputeWorkgroupSizeX: number;
  /** The most threads of a workgroup in all. */
  maxComputeInvocationsPerWorkgroup: number;
  /** The most bytes of workgroup memory a kernel may declare. */
  maxComputeWorkgroupStorageSize: number;
  /** The most workgroups of a dispatch along one dimension (larger dispatches are split over two). */
  maxComputeWorkgroupsPerDimension: number;
  /** The most storage buffers one kernel may bind. */
  maxStorageBuffersPerShaderStage: number;
}

/**
 * What {@link initWebGpuBackend} found: the adapter, its limits that matter to the kernels, and its
 * optional features. Plain data (it can be printed or sent as JSON).
 *
 * @example
 * ```ts
 * const info = await initWebGpuBackend();
 * console.log(info.adapter.vendor, info.isFallbackAdapter, info.maxElements, info.features);
 * ```
 */
export interface WebGpuBackendInfo {
  /** The adapter's vendor, architecture, device and description. */
  adapter: WebGpuAdapterInfo;
  /** Whether the browser says the adapter is a fallback one (slow, e.g. a CPU implementation). */
  isFallbackAdapter: boolean;
  /** The device's limits that the kernels depend on. */
  limits: WebGpuLimits;
  /** The most elements one GPU array may hold on this device: `floor(maxStorageBufferBindingSize / 4)`. */
  maxElements: number;
  /** The adapter's optional features (`shader-f16`, `subgroups`, `timestamp-query`, ...), sorted. */
  features: string[];
}

let current: { context: WebGpuContext; info: WebGpuBackendInfo; resident: Resident } | null = null;
let pending: Promise<WebGpuBackendInfo> | null = null;

/**
 * Find a WebGPU adapter, create a device on it and resolve with what was found; rejects with a
 * {@link WebGpuUnavailableError} naming the reason when there is no `navigator.gpu` (Node.js 20, a
 * browser without WebGPU, a page that is not a secure context), no adapter, or the device request
 * fails. Calling it again resolves with the same device's information.
 *
 * It also installs the `webgpu` backend: after `setBackend('webgpu')` float32 tensors keep their values in
 * GPU buffers, ops with a WGSL kernel run it, and the others run their cpu kernel when their inputs are
 * back on the host; read values with `dataAsync`, `toArrayAsync` or `itemAsync` (see the WebGPU guide).
 *
 * @example
 * ```ts
 * try {
 *   const info = await initWebGpuBackend();
 *   console.log(info.adapter.vendor, info.adapter.architecture, info.limits.maxBufferSize);
 * } catch (e) {
 *   console.log((e as Error).message); // initWebGpuBackend: WebGPU is not available: no navigator.gpu ...
 * }
 * ```
 */
export function initWebGpuBackend(options: WebGpuInitOptions = {}): Promise<WebGpuBackendInfo> {
  checkOptions('initWebGpuBackend', options, WEBGPU_INIT_OPTIONS);
  if (current !== null) return Promise.resolve(current.info);
  if (pending === null) {
    pending = createBackend(options).then(
      (created) => {
        current = created;
        pending = null;
        return created.info;
      },
      (error: unknown) => {
        pending = null;
        throw error;
      },
    );
  }
  return pending;
}

async function createBackend(
  options: WebGpuInitOptions,
): Promise<{ context: WebGpuContext; info: WebGpuBackendInfo; resident: Resident }> {
  const fn = 'initWebGpuBackend';
  if (options === null || typeof options !== 'object')
    throw new WebGpuUnavailableError(`${fn}: options must be an object, got ${String(options)}`);
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) {
    const where =
      typeof (globalThis as { window?: unknown }).window === 'undefined'
        ? 'this runtime has no navigator.gpu (Node.js has no WebGPU; nabla runs there on the cpu and wasm backends)'
        : 'this browser gives no navigator.gpu (no WebGPU support, WebGPU disabled, or not a secure context: https or localhost)';
    throw new WebGpuUnavailableError(`${fn}: WebGPU is not available: ${where}`);
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({
      powerPreference: options.powerPreference,
      forceFallbackAdapter: options.forceFallbackAdapter ?? false,
    });
  } catch (e) {
    throw new WebGpuUnavailableError(`${fn}: WebGPU is not available: requestAdapter failed: ${(e as Error).message}`);
  }
  if (adapter === null)
    throw new WebGpuUnavailableError(
      `${fn}: WebGPU is not available: navigator.gpu.requestAdapter() found no adapter (no usable GPU or driver; the browser may block this GPU)`,
    );
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
  } catch (e) {
    throw new WebGpuUnavailableError(`${fn}: WebGPU is not available: requestDevice failed: ${(e as Error).message}`);
  }
  const context = new WebGpuContext(device);
  const l = device.limits;
  const info: WebGpuBackendInfo = {
    adapter: {
      vendor: adapter.info?.vendor ?? '',
      architecture: adapter.info?.architecture ?? '',
      device: adapter.info?.device ?? '',
      description: adapter.info?.description ?? '',
    },
    isFallbackAdapter: (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
    maxElements: context.maxElements,
    features: [...adapter.features].sort(),
  };
  return { context, info, resident: installBackend(context) };
}

/** Put the backend behind the kernel registry: `setBackend('webgpu')` then keeps float32 tensors on the GPU. */
function installBackend(context: WebGpuContext): Resident {
  const resident = new Resident(context);
  resident.adapters = webGpuAdapters(resident);
  let previousPool: BufferPool | null = null;
  setBackendHooks('webgpu', {
    fallback: (name, cpu) => resident.kernel(name, cpu),
    activate() {
      resident.activate();
      previousPool = getBufferPool();
      setBufferPool(resident);
      setResidency(resident);
    },
    deactivate() {
      const left = resident.deviceOnlyCount();
      if (left > 0)
        throw new ValueError(
          `setBackend: ${left} arrays (tensors, optimizer state, or deferred kernel calls) have their newest values only on the GPU; await syncWebGpuToHost() first (it copies them back), or dispose the tensors you no longer need`,
        );
      setBufferPool(previousPool);
      setResidency(null);
    },
  });
  return resident;
}

/**
 * What the webgpu backend did since {@link initWebGpuBackend}: kernel calls run on the GPU, cpu kernels run
 * instead (for ops without a GPU kernel, or arguments a GPU kernel does not take: float64, int32 values),
 * by kernel name, and the copies between JavaScript memory and the GPU with their bytes. A copy of the
 * counts; throws a {@link WebGpuDeviceError} before initialisation.
 *
 * @example
 * ```ts
 * await initWebGpuBackend();
 * setBackend('webgpu');
 * // ... train ...
 * const { gpuKernels, fallbacks, uploads, downloads } = getWebGpuStats();
 * console.log(gpuKernels, fallbacks, uploads, downloads); // e.g. 5400 { gather: 100, scatterAdd: 100 } 303 200
 * ```
 */
export function getWebGpuStats(): WebGpuStats {
  if (current === null)
    throw new WebGpuDeviceError('getWebGpuStats: no WebGPU device yet: await initWebGpuBackend() first');
  const s = current.resident.stats;
  return { ...s, fallbacks: { ...s.fallbacks } };
}

/**
 * Run the webgpu backend's deferred kernel calls and copy every array whose newest values are only on the
 * GPU back to JavaScript memory (tensors, optimizer state), in one read; then synchronous reads work and
 * `setBackend` may leave the backend. Resolves at once before initialisation.
 *
 * @example
 * ```ts
 * await syncWebGpuToHost();
 * setBackend('cpu');
 * model.stateDict(); // the trained weights
 * ```
 */
export async function syncWebGpuToHost(): Promise<void> {
  if (current !== null) await current.resident.allToHost();
}

/**
 * The context of the device {@link initWebGpuBackend} created. Internal: for the backend's kernels and
 * tests, not exported from the package. Throws a {@link WebGpuDeviceError} before initialisation.
 *
 * @example
 * ```ts
 * await initWebGpuBackend();
 * const context = getWebGpuContext();
 * ```
 */
export function getWebGpuContext(): WebGpuContext {
  if (current === null)
    throw new WebGpuDeviceError('getWebGpuContext: no WebGPU device yet: await initWebGpuBackend() first');
  return current.context;
}
