import type { TypedArray } from '../dtype';
import { ValueError } from '../errors';
import { getBufferPool, setBufferPool } from '../lifetime';

/** A kernel: a plain function over typed arrays. Its exact signature is the one of the cpu kernel it replaces. */
// biome-ignore lint/suspicious/noExplicitAny: kernels of every signature live in one table
export type Kernel = (...args: any[]) => any;

const backends = new Map<string, Map<string, Kernel>>([['cpu', new Map()]]);
let activeName = 'cpu';
let activeOverrides: Map<string, Kernel> | null = null;

/**
 * What a backend that keeps tensors away from JavaScript memory (webgpu) adds to its kernels: `fallback`
 * wraps a cpu kernel it does not replace (so that it runs once its arrays are on the host), and
 * `activate` / `deactivate` run when it becomes or stops being the active backend.
 */
export interface BackendHooks {
  fallback(name: string, cpu: Kernel): Kernel;
  activate(): void;
  deactivate(): void;
}

const hooks = new Map<string, BackendHooks>();
let activeFallback: BackendHooks['fallback'] | null = null;

/**
 * Install `backendHooks` for `backend` (see {@link BackendHooks}); internal to backends.
 *
 * @internal
 */
export function setBackendHooks(backend: string, backendHooks: BackendHooks): void {
  if (!backends.has(backend)) backends.set(backend, new Map());
  hooks.set(backend, backendHooks);
  if (backend === activeName) {
    activeFallback = backendHooks.fallback;
    backendHooks.activate();
  }
}

/**
 * Register `kernel` under `name` for `backend`; the cpu kernels are the defaults every other backend
 * falls back to, so a backend registers only the kernels it makes faster.
 *
 * @example
 * ```ts
 * registerKernel('add', myFasterAdd, 'wasm');
 * setBackend('wasm'); // add now runs myFasterAdd; every other op keeps its cpu kernel
 * ```
 */
export function registerKernel(name: string, kernel: Kernel, backend = 'cpu'): void {
  let table = backends.get(backend);
  if (!table) {
    table = new Map();
    backends.set(backend, table);
  }
  table.set(name, kernel);
}

/**
 * The kernel `name` of the active backend, or `cpuDefault` when the backend does not replace it.
 * Ops call this on every run, so switching backends needs no change to ops or gradients.
 *
 * @example
 * ```ts
 * const kernel = resolveKernel('add', addCpu);
 * ```
 */
export function resolveKernel<K extends Kernel>(name: string, cpuDefault: K): K {
  if (recorder !== null) return recorder(name, resolveActive(name, cpuDefault)) as K;
  return resolveActive(name, cpuDefault);
}

function resolveActive<K extends Kernel>(name: string, cpuDefault: K): K {
  if (activeOverrides === null) return cpuDefault;
  const kernel = activeOverrides.get(name) as K | undefined;
  if (kernel !== undefined) return kernel;
  return activeFallback === null ? cpuDefault : (activeFallback(name, cpuDefault) as K);
}

/**
 * Whether the active backend has a kernel of its own named `name`, for ops with a fused path that only
 * some backends implement (they take their unfused kernels elsewhere, rather than run a cpu default that
 * would itself call kernels).
 *
 * @internal
 */
export function hasKernel(name: string): boolean {
  return activeName !== 'cpu' && activeOverrides !== null && activeOverrides.has(name);
}

let recorder: ((name: string, kernel: Kernel) => Kernel) | null = null;

/**
 * Install (or with `null`, remove) what wraps every kernel that {@link resolveKernel} hands out, so that
 * its calls are recorded; used by `capture()`.
 *
 * @internal
 */
export function setKernelRecorder(next: ((name: string, kernel: Kernel) => Kernel) | null): void {
  recorder = next;
}

/**
 * Run `fn` with the cpu kernels and ordinary JavaScript arrays for new tensors, whatever the active backend;
 * the backend is back when it returns or throws. `check(array, kernel)` is called for every array a
 * kernel is given, before it runs (to refuse arrays whose newest values are elsewhere). For host tasks of
 * a backend that keeps tensors elsewhere (see `runOnHost`).
 *
 * @internal
 */
export function withHostKernels<T>(fn: () => T, check: (array: TypedArray, kernel: string) => void): T {
  const overrides = activeOverrides;
  const fallback = activeFallback;
  const pool = getBufferPool();
  activeOverrides = new Map();
  activeFallback =
    (name, cpu) =>
    (...args: unknown[]) => {
      for (const x of args) {
        if (ArrayBuffer.isView(x) && !(x instanceof DataView)) check(x as TypedArray, name);
        else if (Array.isArray(x))
          for (const y of x) if (ArrayBuffer.isView(y) && !(y instanceof DataView)) check(y as TypedArray, name);
      }
      return cpu(...args);
    };
  setBufferPool(null);
  try {
    return fn();
  } finally {
    activeOverrides = overrides;
    activeFallback = fallback;
    setBufferPool(pool);
  }
}

/**
 * Make `name` the active backend. `cpu` always exists; other backends exist once they registered a kernel.
 *
 * @example
 * ```ts
 * setBackend('cpu');
 * ```
 */
export function setBackend(name: string): void {
  const table = backends.get(name);
  if (!table)
    throw new ValueError(
      `setBackend: unknown backend ${JSON.stringify(name)}; registered: ${[...backends.keys()].join(', ')}`,
    );
  if (name !== activeName) hooks.get(activeName)?.deactivate();
  const changed = name !== activeName;
  activeName = name;
  activeOverrides = name === 'cpu' ? null : table;
  const next = hooks.get(name);
  activeFallback = next?.fallback ?? null;
  if (changed) next?.activate();
}

/**
 * The name of the active backend.
 *
 * @example
 * ```ts
 * getBackend(); // 'cpu'
 * ```
 */
export function getBackend(): string {
  return activeName;
}

/**
 * The names of every registered backend.
 *
 * @example
 * ```ts
 * listBackends(); // ['cpu']
 * ```
 */
export function listBackends(): string[] {
  return [...backends.keys()];
}
