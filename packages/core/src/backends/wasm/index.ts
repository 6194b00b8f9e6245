import { checkOptions, optionNames } from '../../check-options';
import { NablaError, ValueError } from '../../errors';
import { matmulKernel } from '../../kernels/cpu/matmul';
import { registerKernel } from '../../kernels/registry';
import { setBufferPool } from '../../lifetime';
import { setFingerprintLanes } from '../../version';
import { startWebWorker, webWorkersAvailable } from './browser-threads';
import { MAX_WORKERS } from './control-block';
import { registerConvKernels } from './conv-kernels';
import { registerElementwiseKernels } from './elementwise';
import { makeLinearForwardKernel, makeMatmulKernel } from './matmul';
import { WasmHeap } from './memory';
import {
  MATMUL_FMA_PARAMS,
  WASM_FMA_GEMM_BASE64,
  WASM_FMA_SHARED_GEMM_BASE64,
  WASM_MODULE_BASE64,
  WASM_SHARED_MODULE_BASE64,
} from './module.generated';
import { registerNnKernels } from './nn-kernels';
import { registerOptimKernels } from './optim';
import { WasmBufferPool } from './pool';
import { type GemmWorker, type KernelExports, WasmRuntime } from './runtime';

// The smallest module using a SIMD instruction (i8x16.splat, i8x16.popcnt): it validates only where
// WebAssembly SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// The smallest module using a relaxed SIMD instruction (f32x4.relaxed_madd of its v128 parameter with
// itself): it validates only where relaxed SIMD is on (Chrome 114+, Node 22+, Node 20 with
// --experimental-wasm-relaxed-simd).
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0, 253, 133,
  2, 11,
]);

let runtime: WasmRuntime | null = null;
/** The pool of tensor blocks in the backend's memory, when tensors live there (see {@link wasmTensorBytes}). */
let tensorPool: WasmBufferPool | null = null;
/** The module whose `gemm` worker threads run (the relaxed-SIMD gemm module when it is in use). */
let gemmModule: WebAssembly.Module | null = null;
let initPromise: Promise<boolean> | null = null;
let initRelaxed: boolean | undefined;

/**
 * Whether this runtime supports WebAssembly with 128-bit SIMD, which the wasm backend needs.
 *
 * @example
 * ```ts
 * if (!isWasmSimdSupported()) console.log('the wasm backend will fall back to the cpu kernels');
 * ```
 */
export function isWasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Whether this runtime supports WebAssembly relaxed SIMD, whose fused multiply-add the wasm backend's
 * matmul uses when it can (see {@link initWasmBackend}).
 *
 * @example
 * ```ts
 * isWasmRelaxedSimdSupported(); // true in Chrome 114+ and Node 22+, false in Node 20 without a flag
 * ```
 */
export function isWasmRelaxedSimdSupported(): boolean {
  try {
    return isWasmSimdSupported() && WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Options of {@link initWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Use relaxed SIMD's fused multiply-add in matmul (and so in conv2d) where the runtime supports it
   * (default `true`). Fused products round once instead of twice, so results can differ in the last
   * bits from the plain SIMD kernel, and, since relaxed SIMD lets the engine choose, between machines
   * (CPUs without FMA compute a multiply and an add). Pass `false` for the same bits everywhere.
   */
  relaxedSimd?: boolean;
}

const WASM_BACKEND_OPTIONS = optionNames<WasmBackendOptions>({ relaxedSimd: true });

/** What the wasm backend runs with, from {@link getWasmBackendInfo}. */
export interface WasmBackendInfo {
  /** Whether the SIMD kernels are in use (false before {@link initWasmBackend}, or without SIMD). */
  readonly simd: boolean;
  /** Whether matmul uses the relaxed-SIMD fused multiply-add kernel. */
  readonly relaxedSimd: boolean;
  /** Whether the backend's memory is shared, which worker threads need. */
  readonly sharedMemory: boolean;
  /** Threads in use, the calling one included. */
  readonly threads: number;
}

/**
 * What the wasm backend runs with: SIMD, relaxed SIMD (fused multiply-add matmul), shared memory and
 * threads.
 *
 * @example
 * ```ts
 * await initWasmBackend();
 * getWasmBackendInfo(); // e.g. { simd: true, relaxedSimd: true, sharedMemory: true, threads: 1 }
 * ```
 */
export function getWasmBackendInfo(): WasmBackendInfo {
  const rt = runtime;
  return {
    simd: rt !== null,
    relaxedSimd: rt?.fma ?? false,
    sharedMemory: rt?.shared ?? false,
    threads: rt?.threads ?? 1,
  };
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Compile and instantiate the embedded WebAssembly kernels and register them as the `wasm` backend;
 * activate it with `setBackend('wasm')`. Asynchronous because browsers forbid compiling modules of
 * more than 4 KB synchronously on the main thread. Resolves to `true` when the SIMD kernels are in
 * use; where WebAssembly SIMD is missing it prints a warning, registers `wasm` as an alias of the cpu
 * kernels (so `setBackend('wasm')` still works) and resolves to `false`. Calling it again returns the
 * first call's promise (a different `options.relaxedSimd` then throws: it is fixed once compiled).
 *
 * The backend replaces float32 kernels of the cpu backend: matmul in every transpose combination (so
 * also linear layers and their gradients), conv2d and its gradients (a run of samples unfolded into one
 * column matrix, one product the threads share), max pooling, the elementwise and broadcasting ops, sums
 * and means, softmax and log-softmax, and the fused optimizer updates. Other
 * dtypes and ops keep the cpu kernels (docs/guides/wasm-backend.md lists them). Where the runtime has
 * relaxed SIMD, matmul uses its fused multiply-add unless `options.relaxedSimd` is `false`.
 *
 * @example
 * ```ts
 * await initWasmBackend();
 * setBackend('wasm');
 * matmul(randn([512, 512]), randn([512, 512])); // the SIMD kernel
 * ```
 */
export function initWasmBackend(options: WasmBackendOptions = {}): Promise<boolean> {
  if (options === null || typeof options !== 'object')
    throw new ValueError(`initWasmBackend: options must be an object, got ${String(options)}`);
  checkOptions('initWasmBackend', options, WASM_BACKEND_OPTIONS);
  const relaxed = options.relaxedSimd;
  if (relaxed !== undefined && typeof relaxed !== 'boolean')
    throw new ValueError(`initWasmBackend: options.relaxedSimd must be a boolean, got ${String(relaxed)}`);
  if (initPromise === null) {
    initRelaxed = relaxed ?? true;
    initPromise = initialize(initRelaxed);
  } else if (relaxed !== undefined && relaxed !== initRelaxed) {
    throw new ValueError(
      `initWasmBackend: the backend was already initialized with relaxedSimd: ${initRelaxed}; options.relaxedSimd: ${relaxed} would need a new process or page`,
    );
  }
  return initPromise;
}

async function initialize(relaxed: boolean): Promise<boolean> {
  if (!isWasmSimdSupported()) {
    console.warn(
      'initWasmBackend: this JavaScript runtime has no WebAssembly SIMD support; the wasm backend runs the cpu kernels',
    );
    registerKernel('matmul', matmulKernel, 'wasm');
    return false;
  }
  // A shared memory lets worker threads (setNumThreads) run on the same operands; it needs SharedArrayBuffer
  // (in browsers: a cross-origin isolated page).
  const shared = typeof SharedArrayBuffer === 'function';
  const bytes = decodeBase64(shared ? WASM_SHARED_MODULE_BASE64 : WASM_MODULE_BASE64);
  const module = await WebAssembly.compile(bytes);
  const memory = shared
    ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true })
    : new WebAssembly.Memory({ initial: 1 });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  let fma: KernelExports | null = null;
  gemmModule = module;
  if (relaxed && isWasmRelaxedSimdSupported()) {
    gemmModule = await WebAssembly.compile(decodeBase64(shared ? WASM_FMA_SHARED_GEMM_BASE64 : WASM_FMA_GEMM_BASE64));
    fma = (await WebAssembly.instantiate(gemmModule, { env: { memory } })).exports as unknown as KernelExports;
  }
  const heap = new WasmHeap(memory, 1, shared);
  runtime = new WasmRuntime(instance.exports as unknown as KernelExports, heap, shared, fma, MATMUL_FMA_PARAMS);
  if (heap.resident) {
    tensorPool = new WasmBufferPool(heap);
    setBufferPool(tensorPool);
  }
  registerKernel('matmul', makeMatmulKernel(runtime), 'wasm');
  registerKernel('linearForward', makeLinearForwardKernel(runtime), 'wasm');
  installFingerprintLanes(heap, instance.exports as unknown as FingerprintExports);
  registerElementwiseKernels(runtime);
  registerNnKernels(runtime);
  registerConvKernels(runtime);
  registerOptimKernels(runtime);
  return true;
}

/** The kernels module's loop of the content fingerprint (scripts/wasm/fingerprint.mjs). */
interface FingerprintExports {
  fingerprint_lanes(ptr: number, words: number, state: number): void;
}

/** Groups of 8 words below which the JavaScript loop is as fast as a call into the module. */
const MIN_FINGERPRINT_GROUPS = 64;

/**
 * Let {@link fingerprintOf} run its lanes in the module's SIMD loop for arrays that live in wasm memory
 * (the same hash as its JavaScript loop, four lanes an instruction).
 */
function installFingerprintLanes(heap: WasmHeap, exports: FingerprintExports): void {
  if (typeof exports.fingerprint_lanes !== 'function') return;
  const statePtr = heap.alloc(64);
  setFingerprintLanes((data, groups, state) => {
    if (groups < MIN_FINGERPRINT_GROUPS) return false;
    const ptr = heap.pointerOf(data);
    if (ptr < 0) return false;
    // A new view each time: the memory's buffer is replaced when it grows.
    const area = new Int32Array(heap.f32.buffer, statePtr, 16);
    area.set(state);
    exports.fingerprint_lanes(ptr, groups * 8, statePtr);
    state.set(area);
    return true;
  });
}

/**
 * The backend's runtime (module exports, heap, threads) once {@link initWasmBackend} resolved with SIMD,
 * else null. Internal: for the backend's own kernels and tests, not exported from the package.
 */
export function getWasmRuntime(): WasmRuntime | null {
  return runtime;
}

/** What a worker thread of the wasm backend is started with. */
export interface WasmWorkerData {
  /** The compiled module whose `gemm` export the worker runs (the relaxed-SIMD gemm when in use). */
  module: WebAssembly.Module;
  /** The shared memory of the backend. */
  memory: WebAssembly.Memory;
  /** The worker's scratch slot (1 for the first worker). */
  slot: number;
}

/** Starts one worker thread of the wasm backend and resolves once it is ready. */
export type WasmWorkerStarter = (data: WasmWorkerData) => Promise<GemmWorker>;

// Web Workers from a Blob URL where the runtime has them (browsers: a page or a worker); Node's
// worker_threads starter is installed by enableNodeThreads() from @nablajs/core/node.
let startWorker: WasmWorkerStarter | null = webWorkersAvailable() ? startWebWorker : null;

/**
 * Tell the wasm backend how to start worker threads, or `null` for none (then {@link setNumThreads}
 * keeps one thread). Browsers start with a Web Worker starter installed; Node's is installed by
 * `enableNodeThreads()` from `@nablajs/core/node`, which keeps `node:` imports out of the browser entry.
 *
 * @example
 * ```ts
 * setWasmWorkerStarter(myWorkerStarter);
 * ```
 */
export function setWasmWorkerStarter(starter: WasmWorkerStarter | null): void {
  startWorker = starter;
}

/**
 * Use `n` threads (the calling one included) for the large kernels of the wasm backend: a large
 * enough matmul is cut by rows or by columns into chunks that the calling thread and worker threads
 * (sharing the backend's WebAssembly memory) claim one at a time, so a worker that another program
 * delays hands its share to the others; after such a delay the next products stay on the calling
 * thread for a while. Smaller products stay on the calling thread. Large optimizer updates, and a
 * convolution's unfolding, folding back and max pooling (by samples or planes), are shared the same
 * way. Resolves to the number of threads in use.
 *
 * Needs `initWasmBackend()` first, a shared memory (SharedArrayBuffer: in browsers, a cross-origin
 * isolated page, served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`) and a way to start workers: in browsers Web Workers
 * are started from a Blob URL (no extra file), in Node call `enableNodeThreads()` from
 * `@nablajs/core/node`. Without these, or with `n = 1`, it resolves to 1 and everything runs on the
 * calling thread; it rejects only when a worker fails to start.
 *
 * Waiting: between products the workers spin on `Atomics.load` for up to 10 ms, then sleep in
 * `Atomics.wait` (waking a sleeping thread can cost more than a mid-size product, so in a training
 * loop they keep one core busy each). The calling thread computes its own part, then waits for the
 * workers' parts the same way, except on a browser's main thread, where `Atomics.wait` is forbidden:
 * there it only spins, until they are done (about as long as its own part took). Run the model in a
 * dedicated worker to keep the page responsive during long products. Node workers do not keep a
 * process alive.
 *
 * @example
 * ```ts
 * enableNodeThreads(); // in Node, from '@nablajs/core/node'; browsers need nothing
 * await initWasmBackend();
 * await setNumThreads(2); // 2 (1 without SharedArrayBuffer)
 * ```
 */
export async function setNumThreads(n: number): Promise<number> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS + 1)
    throw new ValueError(`setNumThreads: n must be an integer from 1 to ${MAX_WORKERS + 1}, got ${n}`);
  const rt = runtime;
  if (rt === null || gemmModule === null) return 1;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  const starter = startWorker;
  await rt.stopWorkers();
  if (n === 1 || !rt.shared || !isolated || starter === null) return 1;
  const memory = rt.heap.memory;
  const mod = gemmModule;
  const started = await Promise.allSettled(
    Array.from({ length: n - 1 }, (_, i) => starter({ module: mod, memory, slot: i + 1 })),
  );
  const workers: GemmWorker[] = [];
  for (const r of started) if (r.status === 'fulfilled') workers.push(r.value);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw new NablaError(`setNumThreads: could not start ${n - 1} worker threads: ${String(failed.reason)}`);
  }
  rt.setWorkers(workers);
  return rt.threads;
}

/**
 * The number of threads the wasm backend uses (1 until {@link setNumThreads} started workers).
 *
 * @example
 * ```ts
 * getNumThreads(); // 1
 * ```
 */
export function getNumThreads(): number {
  return runtime === null ? 1 : runtime.threads;
}

/**
 * Bytes of WebAssembly memory the wasm backend holds (0 before {@link initWasmBackend}). It grows to
 * fit the largest product seen and is then reused, so it stays flat over a training run.
 *
 * @example
 * ```ts
 * wasmMemoryBytes(); // e.g. 14876672 after a 1024 x 1024 product
 * ```
 */
export function wasmMemoryBytes(): number {
  return runtime === null ? 0 : runtime.heap.byteLength;
}

/**
 * Bytes of WebAssembly memory that live tensors hold now (float32 tensors of 256 elements or more made
 * on the wasm backend; 0 before {@link initWasmBackend}). Unlike {@link wasmMemoryBytes}, which only
 * grows, it falls when tensors are disposed: the measure of a training loop's working set, and of what a
 * loop leaves for the garbage collector.
 *
 * @example
 * ```ts
 * const before = wasmTensorBytes();
 * tidy(() => matmul(randn([512, 512]), randn([512, 512])));
 * wasmTensorBytes() === before; // true: tidy freed all three
 * ```
 */
export function wasmTensorBytes(): number {
  return tensorPool === null ? 0 : tensorPool.pooledBytes;
}
