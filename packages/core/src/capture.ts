import { CaptureError, isCapturing, setCapturing, setGradObserver } from './capture-state';
import { setAllocationObserver, type TypedArray } from './dtype';
import { DTypeError, ShapeError, ValueError } from './errors';
import { type Kernel, setKernelRecorder } from './kernels/registry';
import { type BufferPool, getBufferPool, untrack } from './lifetime';
import { getResidency, type Residency, setResidency } from './residency';
import { formatShape, shapesEqual } from './shape';
import { Tensor } from './tensor';

/**
 * A step recorded by {@link capture}: its kernels, run again by {@link CapturedStep.replay} on the same
 * memory.
 *
 * @example
 * ```ts
 * const x = zeros([4, 3]);
 * const step = capture((input) => input.mul(2).sum(), [x]);
 * step.replay(tensor([[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]])).item(); // 24
 * step.dispose();
 * ```
 */
export interface CapturedStep<T> {
  /** The static inputs: {@link CapturedStep.replay} copies its arguments into them. */
  readonly inputs: readonly Tensor[];
  /** What the function returned at capture; every replay writes its tensors again. */
  readonly outputs: T;
  /** How many kernel calls, zero fills and host tasks a replay runs. */
  readonly length: number;
  /**
   * Copy `inputs` (as many as the capture had, each of the same shape and dtype; none to keep the static
   * inputs' contents) into the static inputs, run the recorded kernels, give the gradients the capture
   * set back to their tensors, and return {@link CapturedStep.outputs}.
   */
  replay(...inputs: Tensor[]): T;
  /** Give back the memory the capture kept. The step cannot be replayed afterwards. */
  dispose(): void;
}

const KERNEL = 0;
const ZERO = 1;
const TASK = 2;
const RESTORE = 3;

type Entry =
  | { readonly kind: typeof KERNEL; readonly fn: Kernel; readonly args: unknown[] }
  | { readonly kind: typeof ZERO; readonly array: TypedArray }
  | { readonly kind: typeof TASK; readonly task: () => void }
  | { readonly kind: typeof RESTORE; readonly array: TypedArray; readonly values: TypedArray };

/** What an array allocated without zeroing holds during a capture until something writes it. */
const UNWRITTEN = 0x7fa5; // as 16-bit words: a NaN in float16, float32 and float64

function words(array: TypedArray): Uint16Array {
  return new Uint16Array(array.buffer, array.byteOffset, array.byteLength >> 1);
}

/** Whether `array` still holds what it was allocated with: zeros, or {@link UNWRITTEN} words. */
function untouched(array: TypedArray, zeroed: boolean): boolean {
  const w = words(array);
  const fill = zeroed ? 0 : UNWRITTEN;
  for (let i = 0; i < w.length; i++) if (w[i] !== fill) return false;
  return true;
}

/** What the capture saw happen to one tensor's gradient. */
interface GradRecord {
  readonly leaf: Tensor;
  /** The gradient before the capture first changed it. */
  readonly start: Tensor | null;
  /** Whether that first change cleared it (the function zeroes its own gradients). */
  readonly clearedFirst: boolean;
  /** The gradient when the capture ended, and what its tensor was made of. */
  final: { tensor: Tensor; array: TypedArray; shape: readonly number[]; dtype: Tensor['dtype'] } | null;
}

class Recording {
  readonly entries: Entry[] = [];
  /** The pool blocks the tape uses, retained until dispose (those it allocated, and parameters' and inputs'). */
  readonly pinned = new Set<TypedArray>();
  readonly grads = new Map<Tensor, GradRecord>();
  /** Arrays allocated by the capture that no kernel has been given yet, and whether they were zeroed. */
  readonly fresh = new Map<TypedArray, boolean>();
  /** Arrays a host task allocated: the task makes new ones on every replay, so no kernel may keep one. */
  readonly taskLocal = new WeakSet<TypedArray>();
  /** Above 0 while a host task runs: its kernels and allocations are part of the task, not the tape. */
  hostDepth = 0;
  constructor(readonly pool: BufferPool | null) {}

  kernel(name: string, kernel: Kernel): Kernel {
    return (...args: unknown[]) => {
      if (active !== this || this.hostDepth > 0) return kernel(...args);
      this.firstUses(`kernel "${name}"`, args);
      const result = kernel(...args);
      if (result !== undefined && !args.includes(result))
        throw new CaptureError(
          `capture: kernel "${name}" returned a value that JavaScript keeps; a replay could not update it, so the op that called it cannot be captured`,
        );
      this.entries.push({ kind: KERNEL, fn: kernel, args: args.map(frozen) });
      return result;
    };
  }

  allocated(array: TypedArray, zeroed: boolean): void {
    if (this.hostDepth > 0) {
      this.taskLocal.add(array);
      return;
    }
    this.pin(array);
    if (zeroed) this.entries.push({ kind: ZERO, array });
    else words(array).fill(UNWRITTEN);
    this.fresh.set(array, zeroed);
  }

  /**
   * Before a kernel first gets an array the capture allocated: when JavaScript wrote it since (a tensor
   * made from JavaScript values, `ones()`, a one-hot), its values are a constant of the capture, written
   * again here on every replay (a kernel may change them in place later on).
   */
  private firstUses(name: string, args: readonly unknown[]): void {
    for (const a of args) {
      if (Array.isArray(a))
        this.firstUses(
          name,
          a.filter((x) => ArrayBuffer.isView(x)),
        );
      if (!ArrayBuffer.isView(a)) continue;
      const array = a as TypedArray;
      // a parameter or an input disposed while the step lives must not give its block to another tensor
      this.pin(array);
      if (this.taskLocal.has(array))
        throw new CaptureError(
          `capture: ${name} was given an array that a host task allocated; a replay of the task would make a new one, so this op cannot be captured`,
        );
      const zeroed = this.fresh.get(array);
      if (zeroed === undefined) continue;
      this.fresh.delete(array);
      if (!untouched(array, zeroed)) this.entries.push({ kind: RESTORE, array, values: array.slice() });
    }
  }

  hostTask(reads: readonly TypedArray[], writes: readonly TypedArray[], task: () => void): void {
    // what JavaScript wrote into the task's arrays before (a tensor made from values inside the step) is a
    // constant, written again before the task on every replay, as before a kernel
    this.firstUses('a host task', [...reads, ...writes]);
    this.hostDepth++;
    try {
      task();
    } finally {
      this.hostDepth--;
    }
    this.entries.push({ kind: TASK, task });
  }

  gradChanged(leaf: Tensor, previous: Tensor | null, next: Tensor | null): void {
    if (!this.grads.has(leaf))
      this.grads.set(leaf, { leaf, start: previous, clearedFirst: next === null, final: null });
  }

  /** Keep `array`'s pool block (if it is one) until {@link Recording.release}. */
  private pin(array: TypedArray): void {
    const pool = this.pool;
    if (pool === null || this.pinned.has(array) || !pool.owns(array)) return;
    pool.retain(array);
    this.pinned.add(array);
  }

  release(): void {
    const pool = this.pool;
    if (pool !== null) for (const array of this.pinned) pool.release(array);
    this.pinned.clear();
  }
}

let active: Recording | null = null;

/**
 * A kernel argument as the tape keeps it: plain arrays (shapes, lists of arrays) and plain objects (a
 * layout) copied one level deep, so that JavaScript changing them after the call changes no replay;
 * typed arrays (the memory the kernels compute on) and everything else as they are.
 */
function frozen(arg: unknown): unknown {
  if (Array.isArray(arg)) return arg.slice();
  if (typeof arg === 'object' && arg !== null && Object.getPrototypeOf(arg) === Object.prototype) return { ...arg };
  return arg;
}

function refuseHostRead(reader: string): never {
  throw new CaptureError(
    `${reader}: cannot read tensor values on the host inside capture() (item(), toArray(), .values, .data, or an op that reads values in JavaScript): a replay would not read them again; read them after replay()`,
  );
}

// Inside capture() host reads are refused and host tasks are recorded: the same discipline that keeps the
// webgpu backend correct (values reach JavaScript only through these) makes the tape complete.
const captureResidency: Residency = {
  hostArraysCurrent: true,
  hostAccess: (_data, reader) => {
    // inside a host task the values are what the task reads and writes, on every replay too
    if (active === null || active.hostDepth === 0) refuseHostRead(reader);
  },
  toHost: () => Promise.reject(new CaptureError('capture: cannot await tensor values inside capture()')),
  toHostMany: () => Promise.reject(new CaptureError('capture: cannot await tensor values inside capture()')),
  hostTask: (reads, writes, task) => {
    if (active === null) task();
    else active.hostTask(reads, writes, task);
    return true;
  },
};

/**
 * Record what `fn` computes, once, so that {@link CapturedStep.replay} can run it again without the
 * JavaScript around it: the kernels `fn`'s ops ran, in order, on the same memory, as a CUDA graph does for
 * PyTorch (`torch.cuda.graph`). `fn` runs once, now, with `inputs` as its arguments; what it returns is
 * {@link CapturedStep.outputs} (its tensors, also in arrays and objects, are kept out of any enclosing
 * `tidy`). A replay copies new values into `inputs`, runs the kernels, and leaves the
 * results in the same output tensors and in the same gradients (`loss.backward()` inside `fn` works; the
 * gradients it leaves are set again by each replay, as eager code would set them). On the wasm backend a
 * replay allocates nothing: the capture keeps the memory its tensors used until {@link CapturedStep.dispose}.
 *
 * What a replay does not repeat is JavaScript: numbers `fn` passes to ops (a learning rate, a scale) are
 * constants of the capture, and tensors created from JavaScript values inside `fn` are constants too (do
 * not change them in place). What a replay could not repeat is refused with a {@link CaptureError}: reading
 * tensor values on the host (`item()`, `toArray()`, `.values`, ops that read values in JavaScript), random
 * numbers (dropout: draw masks outside and pass them in), optimizer steps (run `step()` after `replay()`),
 * async functions, and the webgpu backend. Gradients: when the capture started from none (as after
 * `zeroGrad()`), a replay needs none too and throws otherwise (eager code would add to them); when `fn`
 * clears them itself (calls `zeroGrad()`), anything goes; when it added to existing ones, a replay adds to
 * the same tensors.
 *
 * @param fn - the step: ops on `inputs` and on tensors that live outside (parameters), returning its results
 * @param inputs - the static inputs, whose memory the replays read (copy new values in with `replay(...)`)
 *
 * @example
 * ```ts
 * const w = tensor([[0.5], [-1]], { requiresGrad: true });
 * const x = zeros([3, 2]);
 * const step = capture((input) => {
 *   const loss = matmul(input, w).square().mean();
 *   loss.backward();
 *   return loss;
 * }, [x]);
 * w.grad = null; // as zeroGrad() does: the replay computes the gradient from none
 * const loss = step.replay(tensor([[1, 2], [3, 4], [5, 6]])); // the loss and w.grad for these rows
 * ```
 */
export function capture<T>(fn: (...inputs: Tensor[]) => T, inputs: readonly Tensor[] = []): CapturedStep<T> {
  if (typeof fn !== 'function') throw new ValueError(`capture: fn must be a function, got ${typeof fn}`);
  if (fn.constructor?.name === 'AsyncFunction')
    throw new CaptureError('capture: fn must be synchronous; an async function records nothing after its first await');
  if (!Array.isArray(inputs)) throw new ValueError('capture: inputs must be an array of tensors');
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new ValueError(`capture: inputs[${i}] must be a Tensor`);
  });
  if (isCapturing()) throw new CaptureError('capture: cannot capture inside another capture()');
  const previous = getResidency();
  if (previous !== null)
    throw new CaptureError(
      'capture: the active backend keeps tensors away from JavaScript memory (webgpu); capture() runs on the cpu and wasm backends',
    );
  const rec = new Recording(getBufferPool());
  const statics = inputs.slice();
  let outputs: T;
  active = rec;
  setCapturing(true);
  setKernelRecorder((name, kernel) => rec.kernel(name, kernel));
  setAllocationObserver((array, zeroed) => rec.allocated(array, zeroed));
  setGradObserver((leaf, prev, next) => rec.gradChanged(leaf as Tensor, prev as Tensor | null, next as Tensor | null));
  setResidency(captureResidency);
  try {
    outputs = fn(...statics);
    if (outputs instanceof Promise)
      throw new CaptureError('capture: fn returned a Promise; it must be synchronous (record nothing after an await)');
  } catch (e) {
    rec.release();
    throw e;
  } finally {
    active = null;
    setCapturing(false);
    setKernelRecorder(null);
    setAllocationObserver(null);
    setGradObserver(null);
    setResidency(previous);
  }
  keepOutputs(outputs, 0);
  for (const record of rec.grads.values()) {
    const g = record.leaf.grad;
    record.final = g === null ? null : { tensor: g, array: g._array, shape: g.shape, dtype: g.dtype };
  }
  return new Step(rec, statics, outputs);
}

/** Take the output tensors (in arrays and objects, a few levels deep) out of any `tidy` scope: the step owns them. */
function keepOutputs(value: unknown, depth: number): void {
  if (value instanceof Tensor) untrack(value);
  else if (depth < 4 && typeof value === 'object' && value !== null)
    for (const v of Array.isArray(value) ? value : Object.values(value)) keepOutputs(v, depth + 1);
}

class Step<T> implements CapturedStep<T> {
  private rec: Recording | null;
  readonly length: number;
  constructor(
    rec: Recording,
    readonly inputs: readonly Tensor[],
    readonly outputs: T,
  ) {
    this.rec = rec;
    this.length = rec.entries.length;
  }

  replay(...inputs: Tensor[]): T {
    const rec = this.rec;
    if (rec === null) throw new CaptureError('CapturedStep.replay: the step was disposed');
    if (isCapturing()) throw new CaptureError('CapturedStep.replay: cannot replay inside capture()');
    if (inputs.length !== 0) this.copyInputs(inputs);
    for (const record of rec.grads.values()) checkGrad(record);
    const entries = rec.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.kind === KERNEL) e.fn.apply(undefined, e.args);
      else if (e.kind === ZERO) e.array.fill(0);
      else if (e.kind === RESTORE) e.array.set(e.values);
      else e.task();
    }
    for (const record of rec.grads.values()) restoreGrad(record);
    return this.outputs;
  }

  private copyInputs(inputs: readonly Tensor[]): void {
    const statics = this.inputs;
    if (inputs.length !== statics.length)
      throw new ValueError(
        `CapturedStep.replay: got ${inputs.length} inputs, the capture has ${statics.length} (pass none to keep their contents)`,
      );
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      const s = statics[i];
      if (!(x instanceof Tensor)) throw new ValueError(`CapturedStep.replay: input ${i} must be a Tensor`);
      if (x === s) continue;
      if (!shapesEqual(x.shape, s.shape))
        throw new ShapeError(
          `CapturedStep.replay: input ${i} has shape ${formatShape(x.shape)}, the capture's has ${formatShape(s.shape)}`,
        );
      if (x.dtype !== s.dtype)
        throw new DTypeError(`CapturedStep.replay: input ${i} is ${x.dtype}, the capture's is ${s.dtype}`);
    }
    for (let i = 0; i < inputs.length; i++) {
      const s = statics[i];
      if (inputs[i] === s) continue;
      s._array.set(inputs[i].values);
      s.markModified();
    }
  }

  dispose(): void {
    this.rec?.release();
    this.rec = null;
  }
}

function checkGrad(record: GradRecord): void {
  if (record.clearedFirst) return;
  const now = record.leaf.grad;
  if (record.start === null ? now !== null : now !== record.start)
    throw new CaptureError(
      record.start === null
        ? `CapturedStep.replay: a tensor of shape ${formatShape(record.leaf.shape)} has a gradient, but the capture computed it from none (eager code would add to it): clear gradients (zeroGrad()) before replay(), or inside the captured function`
        : `CapturedStep.replay: a tensor of shape ${formatShape(record.leaf.shape)} no longer has the gradient the capture added to; replays add to that same tensor`,
    );
}

function restoreGrad(record: GradRecord): void {
  const final = record.final;
  const leaf = record.leaf;
  if (final === null) {
    if (leaf.grad !== null) leaf._replaceGrad(null, false);
    return;
  }
  if (leaf.grad === final.tensor) return;
  if (final.tensor.isDisposed) final.tensor = new Tensor(final.array, final.shape, final.dtype);
  leaf._replaceGrad(final.tensor, true);
}
