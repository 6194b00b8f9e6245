import type { DType, TypedArray } from '../../dtype';
import { HostReadError, ValueError } from '../../errors';
import { type Kernel, withHostKernels } from '../../kernels/registry';
import type { BufferPool } from '../../lifetime';
import type { Residency } from '../../residency';
import type { GpuArray, WebGpuContext } from './context';
import { arraysOf, type Entry, type Job, type WebGpuStats } from './resident-data';

/**
 * The webgpu backend's record of which arrays live where. Tensors of the backend keep a host array of
 * their size (a placeholder while the newest contents are on the GPU); kernels map it to its GPU copy.
 * Host reads of a placeholder throw {@link HostReadError}; the asynchronous reads bring it back. A cpu
 * kernel the backend does not replace runs at once when its arrays are on the host, and otherwise is
 * deferred, with every later call that touches its arrays, until a value is awaited: then its inputs are
 * copied back, it runs, and its outputs go up again when a GPU kernel reads them.
 */
export class Resident implements BufferPool, Residency {
  private readonly entries = new WeakMap<TypedArray, Entry>();
  private gen = 0;
  private readonly queue: Job[] = [];
  private draining: Promise<void> | null = null;
  /** The arrays of the host task running now (it may read them though later deferred calls touch them). */
  private taskArrays: readonly TypedArray[] = [];
  private readonly deviceOnly = new Set<WeakRef<TypedArray>>();
  private readonly finalizer: FinalizationRegistry<GpuArray>;
  private readonly kernels = new Map<string, WeakMap<Kernel, Kernel>>();
  /** The GPU kernels, by the name of the cpu kernel each replaces (set by the backend). */
  adapters: ReadonlyMap<string, { accepts(args: unknown[]): boolean; run(args: unknown[]): void }> = new Map();
  readonly stats: WebGpuStats = {
    gpuKernels: 0,
    fallbacks: {},
    uploads: 0,
    uploadBytes: 0,
    downloads: 0,
    downloadBytes: 0,
    reads: 0,
    deferred: 0,
    hostTasks: 0,
  };

  constructor(readonly context: WebGpuContext) {
    this.finalizer = new FinalizationRegistry((gpu) => context.release(gpu));
  }

  /** The backend becomes active: GPU copies made before it was last left are no longer trusted. */
  activate(): void {
    this.gen++;
  }

  // ---- the buffer pool: float32 tensors get tracked host arrays ----------------------------------

  allocate(dtype: DType, size: number): TypedArray | null {
    if (dtype !== 'float32') return null;
    const a = new Float32Array(size);
    this.entries.set(a, {
      gpu: null,
      host: true,
      device: false,
      pending: 0,
      refs: 0,
      pooled: true,
      dead: false,
      weak: null,
      gen: this.gen,
      kept: false,
    });
    return a;
  }

  retain(data: TypedArray): void {
    const e = this.entries.get(data);
    if (e?.pooled) e.refs++;
  }

  release(data: TypedArray): void {
    const e = this.entries.get(data);
    if (e === undefined || !e.pooled) return;
    e.refs--;
    if (e.refs > 0) return;
    if (e.pending === 0) this.free(e);
    else e.dead = true;
  }

  owns(data: TypedArray): boolean {
    return this.entries.get(data)?.pooled === true;
  }

  private free(e: Entry): void {
    if (e.gpu !== null) {
      this.finalizer.unregister(e);
      this.context.release(e.gpu);
    }
    e.gpu = null;
    e.device = false;
    e.dead = false;
    this.setHost(e);
  }

  // ---- host reads ----------------------------------------------------------------------------------

  hostAccess(data: TypedArray, reader: string, kept = false): void {
    const e = kept ? this.entry(data) : this.entries.get(data);
    if (e === undefined) return;
    if ((e.pending > 0 && !this.taskArrays.includes(data)) || !e.host)
      throw new HostReadError(
        `${reader}: the newest values are ${e.pending > 0 ? 'still being computed on the webgpu backend' : 'in a GPU buffer (webgpu backend)'}, and a GPU read is asynchronous: use await t.dataAsync(), await t.toArrayAsync() or await t.itemAsync() (or an op that is not yet on the GPU read it: see the WebGPU guide)`,
      );
    // The caller may write the host array: from now on it is the only newest copy.
    e.device = false;
    if (kept) e.kept = true;
  }

  async toHost(data: TypedArray): Promise<void> {
    await this.toHostMany([data]);
  }

  /** Run every deferred call, then copy the arrays whose newest contents are on the GPU back, in one read. */
  async toHostMany(arrays: readonly TypedArray[]): Promise<void> {
    await this.drain();
    await this.copyBack(arrays);
  }

  /** Copy the arrays whose newest contents are on the GPU back, in one read (deferred calls must not touch them). */
  private async copyBack(arrays: readonly TypedArray[]): Promise<void> {
    const stale: [TypedArray, Entry][] = [];
    for (const a of arrays) {
      const e = this.entries.get(a);
      if (e !== undefined && !e.host && e.gpu !== null && !stale.some(([b]) => b === a)) stale.push([a, e]);
    }
    if (stale.length === 0) return;
    this.stats.reads++;
    const values = await this.context.readMany(stale.map(([, e]) => e.gpu as GpuArray));
    stale.forEach(([a, e], i) => {
      a.set(values[i]);
      this.stats.downloads++;
      this.stats.downloadBytes += a.byteLength;
      this.setHost(e);
    });
  }

  /** Copy back every live array whose newest contents are only on the GPU (before leaving the backend). */
  async allToHost(): Promise<void> {
    await this.drain();
    const live: TypedArray[] = [];
    for (const ref of this.deviceOnly) {
      const a = ref.deref();
      if (a === undefined) this.deviceOnly.delete(ref);
      else live.push(a);
    }
    await this.toHostMany(live);
  }

  /** How many live arrays have their newest contents only on the GPU, plus the deferred calls. */
  deviceOnlyCount(): number {
    let n = 0;
    for (const ref of this.deviceOnly) {
      if (ref.deref() === undefined) this.deviceOnly.delete(ref);
      else n++;
    }
    return n + this.queue.length;
  }

  /** The host array holds the newest contents again. */
  private setHost(e: Entry): void {
    e.host = true;
    if (e.weak !== null) {
      this.deviceOnly.delete(e.weak);
      e.weak = null;
    }
  }

  private markDeviceOnly(a: TypedArray, e: Entry): void {
    e.host = false;
    e.device = true;
    e.gen = this.gen;
    if (e.weak === null) {
      e.weak = new WeakRef(a);
      this.deviceOnly.add(e.weak);
    }
  }

  // ---- GPU arrays for kernels ----------------------------------------------------------------------

  private entry(a: TypedArray): Entry {
    let e = this.entries.get(a);
    if (e === undefined) {
      e = {
        gpu: null,
        host: true,
        device: false,
        pending: 0,
        refs: 0,
        pooled: false,
        dead: false,
        weak: null,
        gen: this.gen,
        kept: false,
      };
      this.entries.set(a, e);
    }
    return e;
  }

  private gpuOf(a: Float32Array | Int32Array, e: Entry): GpuArray {
    if (e.gpu === null) {
      e.gpu = this.context.createArray(a.length, a instanceof Int32Array ? 'int32' : 'float32');
      // An array dropped without dispose() (or never a tensor's) gives its buffer back when collected.
      this.finalizer.register(a, e.gpu, e);
    }
    return e.gpu;
  }

  /** `a` as a GPU array with its newest contents (copied up when they are on the host). */
  input(a: Float32Array | Int32Array): GpuArray {
    const e = this.entry(a);
    if (e.gen !== this.gen || (e.kept && e.host)) {
      // The host array may have been written since: on another backend, or through a kept `data` array.
      e.device = false;
      e.gen = this.gen;
    }
    const gpu = this.gpuOf(a, e);
    if (!e.device) {
      this.context.write(gpu, a);
      this.stats.uploads++;
      this.stats.uploadBytes += a.byteLength;
      e.device = true;
    }
    return gpu;
  }

  /**
   * `a` as a GPU array a kernel writes: with its contents copied up first when the kernel also reads
   * them (`keep`: it accumulates, or writes only a part), else just a buffer of its size. Call
   * {@link Resident.written} after the dispatch.
   */
  output(a: Float32Array | Int32Array, keep: boolean): GpuArray {
    if (keep) return this.input(a);
    return this.gpuOf(a, this.entry(a));
  }

  /** After a GPU kernel wrote `a`: its newest contents are on the GPU only. */
  written(a: TypedArray): void {
    this.markDeviceOnly(a, this.entry(a));
  }

  // ---- running kernels -------------------------------------------------------------------------------

  private busy(arrays: readonly TypedArray[]): boolean {
    for (const a of arrays) {
      const e = this.entries.get(a);
      if (e !== undefined && e.pending > 0) return true;
    }
    return false;
  }

  private onHost(arrays: readonly TypedArray[]): boolean {
    for (const a of arrays) {
      const e = this.entries.get(a);
      if (e !== undefined && !e.host) return false;
    }
    return true;
  }

  private defer(arrays: readonly TypedArray[], run: () => void | Promise<void>): void {
    for (const a of arrays) this.entry(a).pending++;
    this.queue.push({ arrays, run });
    this.stats.deferred++;
  }

  /**
   * The kernel `name` on this backend, for an op that asks for it with its cpu kernel `cpu`: the GPU
   * kernel when there is one and it takes the call's arguments, else `cpu` run when its arrays are on
   * the host (see the class).
   */
  kernel(name: string, cpu: Kernel): Kernel {
    let byCpu = this.kernels.get(name);
    if (byCpu === undefined) {
      byCpu = new WeakMap();
      this.kernels.set(name, byCpu);
    }
    let k = byCpu.get(cpu);
    if (k === undefined) {
      const gpu = this.adapters.get(name);
      k =
        gpu === undefined
          ? (...args: unknown[]) => this.cpuCall(name, cpu, args)
          : (...args: unknown[]) => {
              if (!gpu.accepts(args)) return this.cpuCall(name, cpu, args);
              const arrays = arraysOf(args);
              const go = () => {
                gpu.run(args);
                this.stats.gpuKernels++;
              };
              if (this.busy(arrays)) this.defer(arrays, go);
              else go();
            };
      byCpu.set(cpu, k);
    }
    return k;
  }

  private cpuCall(name: string, cpu: Kernel, args: unknown[]): unknown {
    const arrays = arraysOf(args);
    this.stats.fallbacks[name] = (this.stats.fallbacks[name] ?? 0) + 1;
    let result: unknown;
    // A cpu kernel may write any of its arrays: all of them are host copies it writes.
    const now = this.onHostWhenReady(arrays, arrays, (waited) => {
      // Kernels the cpu kernel calls itself (conv's products) run on the host too, never on the GPU.
      result = withHostKernels(
        () => cpu(...args),
        (a, reader) => this.hostAccess(a, reader),
      );
      if (waited && result !== undefined)
        throw new ValueError(`webgpu backend: the cpu kernel ${name} returns a value and cannot wait for its inputs`);
    });
    return now ? result : undefined;
  }

  hostTask(reads: readonly TypedArray[], writes: readonly TypedArray[], task: () => void): boolean {
    const arrays = [...reads, ...writes];
    // NOTE: calls deferred after the task may touch its arrays too; they run after it, so it may use them.
    const now = this.onHostWhenReady(arrays, writes, () => this.asTask(arrays, task));
    if (!now) this.stats.hostTasks++;
    return now;
  }

  private asTask(arrays: readonly TypedArray[], task: () => void): void {
    const outer = this.taskArrays;
    this.taskArrays = arrays;
    try {
      task();
    } finally {
      this.taskArrays = outer;
    }
  }

  /**
   * Run `run` over `arrays` on the host: at once when their newest contents are there and no deferred call
   * touches them (then true), else deferred until a value is awaited, after one copy back (then false;
   * `run` is told it waited). Afterwards the host copies of `writes` are the newest.
   */
  private onHostWhenReady(
    arrays: readonly TypedArray[],
    writes: readonly TypedArray[],
    run: (waited: boolean) => void,
  ): boolean {
    if (!this.busy(arrays) && this.onHost(arrays)) {
      run(false);
      this.hostWrote(writes);
      return true;
    }
    this.defer(arrays, async () => {
      await this.copyBack(arrays);
      run(true);
      this.hostWrote(writes);
    });
    return false;
  }

  /** A cpu kernel may have written any of its arrays: their host copies are now the newest. */
  private hostWrote(arrays: readonly TypedArray[]): void {
    for (const a of arrays) {
      const e = this.entries.get(a);
      if (e === undefined) continue;
      e.device = false;
      this.setHost(e);
    }
  }

  /** Run the deferred calls in order (each cpu call after copying its inputs back). */
  drain(): Promise<void> {
    if (this.draining === null && this.queue.length > 0) {
      this.draining = (async () => {
        try {
          while (this.queue.length > 0) {
            const job = this.queue[0];
            // The job's own arrays are pending on it: let it through, then release them.
            for (const a of job.arrays) this.entry(a).pending--;
            this.queue.shift();
            try {
              await job.run();
            } finally {
              for (const a of job.arrays) {
                const e = this.entry(a);
                if (e.dead && e.pending === 0) this.free(e);
              }
            }
          }
        } finally {
          this.draining = null;
        }
      })();
    }
    return this.draining ?? Promise.resolve();
  }
}
