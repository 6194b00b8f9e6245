import type { TypedArray } from '../../dtype';
import type { GpuArray } from './context';

// The data the webgpu backend's residency (resident.ts) keeps: per array, where its newest contents are;
// per deferred kernel call, what it touches; and the counts it reports.

/** Where one array's newest contents are. */
export interface Entry {
  /** The GPU copy, once there is one. */
  gpu: GpuArray | null;
  /** The host array holds the newest contents. */
  host: boolean;
  /** The GPU copy holds the newest contents. */
  device: boolean;
  /** Deferred kernel calls that will touch the array (until they ran, nobody else may). */
  pending: number;
  /** Tensors over the array (pool arrays only). */
  refs: number;
  /** Allocated by the pool (so `release` frees its GPU copy). */
  pooled: boolean;
  /** Released by its last tensor while deferred calls still used it: freed once they ran. */
  dead: boolean;
  /** The handle in the registry of arrays whose newest contents are only on the GPU, while they are. */
  weak: WeakRef<TypedArray> | null;
  /** The backend's activation its GPU copy is from (a copy from before the backend was left may be stale). */
  gen: number;
  /** Handed out through `Tensor.data`: writes through it are not announced, so every GPU use copies it up. */
  kept: boolean;
}

/** A kernel call deferred until earlier deferred calls ran: `run` it, then its arrays are free again. */
export interface Job {
  readonly arrays: readonly TypedArray[];
  readonly run: () => void | Promise<void>;
}

/**
 * The counts the webgpu backend keeps, for reporting (see `getWebGpuStats`): kernels run on the GPU,
 * cpu kernels run instead (by kernel name), and the copies between host and GPU.
 *
 * @example
 * ```ts
 * const { gpuKernels, fallbacks, uploads, downloadBytes } = getWebGpuStats();
 * console.log(`${gpuKernels} GPU kernel calls; cpu fallbacks ${JSON.stringify(fallbacks)}`);
 * ```
 */
export interface WebGpuStats {
  /** Kernel calls that ran on the GPU. */
  gpuKernels: number;
  /** Calls of cpu kernels the backend has no GPU kernel for (or whose arguments it does not take), by kernel name. */
  fallbacks: Record<string, number>;
  /** Copies from JavaScript memory to the GPU. */
  uploads: number;
  /** The bytes those copies moved. */
  uploadBytes: number;
  /** Arrays copied from the GPU back to JavaScript memory. */
  downloads: number;
  /** The bytes those copies moved. */
  downloadBytes: number;
  /** Waits for the GPU to copy arrays back (one mapping each, however many arrays it brings). */
  reads: number;
  /** Kernel calls that had to wait for an earlier call that needed a copy back (run when a value is awaited). */
  deferred: number;
  /**
   * Host tasks (`runOnHost`: an optimizer's update rule in JavaScript, for instance) that waited for values
   * on the GPU, and so ran when a value was next awaited (also counted in `deferred`).
   */
  hostTasks: number;
}

/** Whether `a` is a typed array (not a DataView). */
export function isTypedArray(a: unknown): a is TypedArray {
  return ArrayBuffer.isView(a) && !(a instanceof DataView);
}

/** The typed arrays among a kernel's arguments, and inside its arguments that are lists (concat's inputs). */
export function arraysOf(args: readonly unknown[]): TypedArray[] {
  const out: TypedArray[] = [];
  for (const x of args) {
    if (isTypedArray(x)) out.push(x);
    else if (Array.isArray(x)) for (const y of x) if (isTypedArray(y)) out.push(y);
  }
  return out;
}
