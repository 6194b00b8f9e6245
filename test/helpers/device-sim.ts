// A stand-in for the webgpu backend in Node: a backend ('device-sim') whose float32/int32 kernels behave
// like GPU kernels for the host, so that code paths that read tensor values synchronously fail here as they
// would in a browser, without Chromium.
//
// - A kernel whose arrays are all Float32Array or Int32Array is a "device" kernel: it runs at once (on the
//   cpu kernel) unless a waiting task touches its arrays (then it waits in the queue behind that task), and
//   every array it changed is then "remote": `values`, `data`, `item()` and a cpu kernel inside a host task
//   throw HostReadError for it until it is awaited, as for a GPU buffer.
// - Any other kernel (float64, say) is a cpu fallback: it runs at once when its arrays are on the host, and
//   otherwise waits until a value is awaited, like the webgpu backend's cpu calls.
// - Host tasks (`runOnHost`) run at once when their arrays are on the host and nothing waits on them, and
//   otherwise wait in the same queue.
// - Awaiting (`dataAsync`, `bringToHost`, ...) runs the queue in order and brings the requested arrays back.
//
// Which arrays a device kernel wrote is found by comparing their contents before and after the call, so an
// output that happens to be written with the values it already held stays readable: the simulation may
// miss a read, never invents one.
import { HostReadError, setBackend, type Tensor, type TypedArray } from '@nablajs/core';
import { type Kernel, setBackendHooks, withHostKernels } from '../../packages/core/src/kernels/registry';
import { setResidency } from '../../packages/core/src/residency';

interface Job {
  arrays: readonly TypedArray[];
  run: () => void;
}

/** What the simulation counted: device kernels, cpu fallbacks, host tasks that waited, reads refused. */
export interface DeviceSimStats {
  deviceKernels: number;
  fallbacks: Record<string, number>;
  waitedTasks: number;
  /** For each host task that waited: the source lines (under packages/) that asked for it. */
  waitedAt: string[];
  refused: string[];
}

function arraysIn(args: readonly unknown[]): TypedArray[] {
  const out: TypedArray[] = [];
  const add = (x: unknown) => {
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) out.push(x as TypedArray);
  };
  for (const x of args) {
    if (Array.isArray(x)) for (const y of x) add(y);
    else add(x);
  }
  return out;
}

const onDevice = (a: TypedArray) => a instanceof Float32Array || a instanceof Int32Array;

class DeviceSim {
  readonly remote = new Set<TypedArray>();
  /**
   * The true values of each remote array, whose own elements hold a poison (NaN, or the smallest int32) the
   * way a GPU buffer's stale host copy would hold old values: JavaScript that reads a remote array raw,
   * without `values` or a kernel, gets garbage instead of silently right numbers.
   */
  private readonly shadow = new Map<TypedArray, TypedArray>();

  private poison(a: TypedArray): void {
    this.shadow.set(a, a.slice());
    a.fill((a instanceof Int32Array ? -2147483648 : Number.NaN) as never);
  }

  /** Put the true values back in `a` (it stays remote unless the caller says otherwise). */
  private unpoison(a: TypedArray): void {
    const values = this.shadow.get(a);
    if (values === undefined) return;
    a.set(values as never);
    this.shadow.delete(a);
  }

  /** `a` is on the host again: its true values back, no longer remote. */
  private toHostNow(a: TypedArray): void {
    this.unpoison(a);
    this.remote.delete(a);
  }

  /** Put back every array's true values (the simulation ends). */
  release(): void {
    for (const a of [...this.shadow.keys()]) this.unpoison(a);
  }
  readonly queue: Job[] = [];
  readonly stats: DeviceSimStats = { deviceKernels: 0, fallbacks: {}, waitedTasks: 0, waitedAt: [], refused: [] };

  private busy(arrays: readonly TypedArray[]): boolean {
    return this.queue.some((job) => job.arrays.some((a) => arrays.includes(a)));
  }

  private onHost(arrays: readonly TypedArray[]): boolean {
    return !arrays.some((a) => this.remote.has(a));
  }

  /** Run `fn` now or queue it; the queue keeps the program's order for the arrays it touches. */
  private whenFree(arrays: readonly TypedArray[], needsHost: boolean, fn: () => void): boolean {
    if (!this.busy(arrays) && (!needsHost || this.onHost(arrays))) {
      fn();
      return true;
    }
    this.queue.push({
      arrays,
      run: () => {
        if (needsHost) for (const a of arrays) this.toHostNow(a);
        fn();
      },
    });
    return false;
  }

  wrap(name: string, cpu: Kernel): Kernel {
    return (...args: unknown[]) => {
      const arrays = arraysIn(args);
      if (arrays.every(onDevice)) {
        this.stats.deviceKernels++;
        let result: unknown;
        let waited = false;
        const run = () => {
          // the kernel computes on the true values, then every remote array is poisoned again
          for (const a of arrays) this.unpoison(a);
          const before = arrays.map((a) => a.slice());
          try {
            // Kernels a kernel calls (conv's products) are part of it: straight to the cpu kernels.
            result = withHostKernels(
              () => cpu(...args),
              () => {},
            );
            if (waited && result !== undefined)
              throw new Error(`device-sim: the kernel ${name} returns a value and cannot wait for its inputs`);
            arrays.forEach((a, i) => {
              const old = before[i];
              for (let j = 0; j < a.length; j++)
                if (!Object.is(a[j], old[j])) {
                  this.remote.add(a);
                  return;
                }
            });
          } finally {
            for (const a of new Set(arrays)) if (this.remote.has(a) && !this.shadow.has(a)) this.poison(a);
          }
        };
        const now = this.whenFree(arrays, false, () => run());
        waited = !now;
        return now ? result : undefined;
      }
      this.stats.fallbacks[name] = (this.stats.fallbacks[name] ?? 0) + 1;
      let result: unknown;
      let now = true;
      now = this.whenFree(arrays, true, () => {
        result = withHostKernels(
          () => cpu(...args),
          (a, reader) => this.hostAccess(a, reader),
        );
        if (!now && result !== undefined)
          throw new Error(`device-sim: the cpu kernel ${name} returns a value and cannot wait for its inputs`);
      });
      return now ? result : undefined;
    };
  }

  /** The arrays of the host task running now: later queued work may touch them, but runs after it. */
  private taskArrays: readonly TypedArray[] = [];

  hostAccess(data: TypedArray, reader: string): void {
    if (this.taskArrays.includes(data) && !this.remote.has(data)) return;
    if (this.remote.has(data) || this.busy([data])) {
      this.stats.refused.push(reader);
      throw new HostReadError(`${reader}: the newest values are on the simulated device; use await t.dataAsync()`);
    }
  }

  hostTask(reads: readonly TypedArray[], writes: readonly TypedArray[], task: () => void): boolean {
    const arrays = [...reads, ...writes];
    const now = this.whenFree(arrays, true, () => {
      const outer = this.taskArrays;
      this.taskArrays = arrays;
      try {
        withHostKernels(task, (a, name) => this.hostAccess(a, name));
      } finally {
        this.taskArrays = outer;
      }
    });
    if (!now) {
      this.stats.waitedTasks++;
      const lines = (new Error().stack ?? '')
        .split('\n')
        .filter((l) => l.includes('/packages/') && !l.includes('residency.ts'));
      this.stats.waitedAt.push(
        lines
          .slice(0, 2)
          .map((l) => l.replace(/.*\/packages\//, '').replace(/\)$/, ''))
          .join(' < '),
      );
    }
    return now;
  }

  async toHost(data: TypedArray): Promise<void> {
    await this.toHostMany([data]);
  }

  async toHostMany(arrays: readonly TypedArray[]): Promise<void> {
    await Promise.resolve();
    while (this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      job.run();
    }
    for (const a of arrays) this.toHostNow(a);
  }
}

let sim: DeviceSim | null = null;

/**
 * Make the simulated device the active backend (fresh counts) and return its counts. Call
 * {@link stopDeviceSim} after (an `afterEach`).
 */
export function startDeviceSim(): DeviceSimStats {
  const next = new DeviceSim();
  sim = next;
  setBackendHooks('device-sim', {
    fallback: (name, cpu) => next.wrap(name, cpu),
    activate: () => setResidency(next),
    deactivate: () => {
      if (next.queue.length > 0) throw new Error('device-sim: deactivated with work still queued');
      setResidency(null);
    },
  });
  setBackend('cpu');
  setBackend('device-sim');
  return next.stats;
}

/** Back to the cpu backend (the queue must have been drained by an await). */
export function stopDeviceSim(): void {
  if (sim !== null) {
    sim.queue.length = 0;
    sim.release();
    sim = null;
  }
  setBackend('cpu');
}

/** Run everything queued and bring every array back to the host (the webgpu backend's `syncWebGpuToHost`). */
export async function syncDeviceSim(): Promise<void> {
  if (sim === null) return;
  // the queue first: the work that waited in it makes arrays remote too
  await sim.toHostMany([]);
  await sim.toHostMany([...sim.remote]);
}

/** Inputs `[n, ...]` and 4-class targets, the same on every run: sines of the index, and `3i mod 4`. */
export function fixedBatch(n: number, features: number): { x: Float32Array; y: Int32Array } {
  return {
    x: Float32Array.from({ length: n * features }, (_, i) => Math.sin(i * 0.37) * 1.5),
    y: Int32Array.from({ length: n }, (_, i) => (i * 3) % 4),
  };
}

/** Give every parameter of `model` fixed values (cosines of their indices), so that runs start alike. */
export function fixWeights<M extends { parameters(): Tensor[] }>(model: M): M {
  model.parameters().forEach((p, i) => {
    const v = p.values;
    for (let j = 0; j < v.length; j++) v[j] = Math.cos(i * 7 + j * 0.61) * 0.4;
    p.markModified();
  });
  return model;
}

/**
 * `run(false)` on the cpu backend, then `run(true)` on the simulated device: both results, and the device's
 * counts. The device stops after its run, also when the run throws.
 */
export async function onCpuThenDevice<T>(
  run: (onDevice: boolean) => Promise<T>,
): Promise<{ cpu: T; device: T; sim: DeviceSimStats }> {
  const cpu = await run(false);
  const sim = startDeviceSim();
  try {
    return { cpu, device: await run(true), sim };
  } finally {
    stopDeviceSim();
  }
}

/**
 * The largest difference between the rows of `a` and `b`, each divided by `scale` of `a`'s entry (1 by
 * default); a row that is null in one and not in the other counts as an infinite difference.
 */
export function worstDiff(
  a: readonly (readonly number[] | null)[],
  b: readonly (readonly number[] | null)[],
  scale: (v: number) => number = () => 1,
): number {
  let worst = 0;
  a.forEach((row, i) => {
    const other = b[i];
    if (row === null || other === null) {
      if (row !== other) worst = Number.POSITIVE_INFINITY;
      return;
    }
    row.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(v - other[j]) / scale(v));
    });
  });
  return worst;
}
