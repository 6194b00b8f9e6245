/**
 * The base class of every error nabla throws on bad input. Messages name the function, the argument
 * and what was wrong with it.
 *
 * @example
 * ```ts
 * try { matmul(zeros([2, 3]), zeros([4, 5])); } catch (e) { e instanceof NablaError; } // true
 * ```
 */
export class NablaError extends Error {
  constructor(message: string) {
    super(message);
    // NOTE: subclasses spell their name out as a field (set after this); new.target.name is for others.
    this.name = new.target === NablaError ? 'NablaError' : new.target.name;
  }
}

/**
 * Shapes that do not fit: broadcasting, matmul alignment, reshape sizes.
 *
 * @example
 * ```ts
 * add(zeros([2, 3]), zeros([4])); // throws ShapeError: add: shapes [2,3] and [4] cannot be broadcast
 * ```
 */
export class ShapeError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'ShapeError';
}

/**
 * A dtype that an op does not accept, or mixed dtypes where they are not allowed.
 *
 * @example
 * ```ts
 * zeros([2], { dtype: 'int32' }).requiresGrad = true; // throws DTypeError
 * ```
 */
export class DTypeError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'DTypeError';
}

/**
 * An axis outside `[-ndim, ndim)`, or repeated where axes must be distinct.
 *
 * @example
 * ```ts
 * sum(zeros([2, 3]), 2); // throws AxisError: sum: axis 2 is out of range for a tensor of 2 dims
 * ```
 */
export class AxisError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'AxisError';
}

/**
 * An index that is out of range or not an integer.
 *
 * @example
 * ```ts
 * indexSelect(zeros([3]), 0, tensor([5], { dtype: 'int32' })); // throws IndexError
 * ```
 */
export class IndexError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'IndexError';
}

/**
 * An argument value outside its allowed range (a negative size, a zero step, a bad option).
 *
 * @example
 * ```ts
 * arange(0, 10, 0); // throws ValueError: arange: step must be nonzero, got 0
 * ```
 */
export class ValueError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'ValueError';
}

/**
 * Misuse of automatic differentiation: `backward()` on a non-scalar without a gradient, a second
 * backward through a released graph, asking for the gradient of a tensor that does not require one.
 *
 * @example
 * ```ts
 * const y = mul(tensor([1, 2], { requiresGrad: true }), 2);
 * y.backward(); // throws AutogradError: backward: ... non-scalar ...
 * ```
 */
export class AutogradError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'AutogradError';
}

/**
 * A tensor that an op saved for its backward was changed in place before that backward ran, so the
 * gradient would be computed from the wrong values (PyTorch raises here too). `op` names the op,
 * `savedVersion` and `version` are the tensor's {@link Tensor.version} when the op saved it and now.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * const s = x.mul(x).sum();
 * x.data[0] = 10;
 * s.backward(); // throws SavedTensorModifiedError
 * ```
 */
export class SavedTensorModifiedError extends AutogradError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'SavedTensorModifiedError';
  constructor(
    message: string,
    /** The op whose saved tensor was modified. */
    readonly op: string,
    /** Which of its tensors: `input 0`, `input 1`, ... or `output`. */
    readonly which: string,
    /** The tensor's version when the op saved it. */
    readonly savedVersion: number,
    /** The tensor's version when backward reached the op. */
    readonly version: number,
  ) {
    super(message);
  }
}

/**
 * Thrown when a tensor is used after it was disposed: by {@link Tensor.dispose}, at the end of the
 * {@link tidy} scope that created it, or (for a gradient living in wasm memory) by an optimizer's
 * `zeroGrad()`. Its memory may already hold another tensor's values, so nabla refuses to read it.
 *
 * @example
 * ```ts
 * const t = ones([3]);
 * t.dispose();
 * t.sum(); // throws DisposedError: Tensor of shape [3] (float32) was disposed ...
 * ```
 */
export class DisposedError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'DisposedError';
}

/**
 * Thrown inside {@link detectAnomaly} when an op produces a NaN or an infinity, naming the op and
 * whether it happened in the forward or the backward pass.
 *
 * @example
 * ```ts
 * detectAnomaly(() => log(tensor([-1])));
 * // throws AnomalyError: detectAnomaly: forward of op "log" produced NaN ...
 * ```
 */
export class AnomalyError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'AnomalyError';
  /** The name of the op that produced the first non-finite value. */
  readonly op: string;
  /** Whether the value appeared in the forward or in the backward pass. */
  readonly phase: 'forward' | 'backward';

  constructor(message: string, op: string, phase: 'forward' | 'backward') {
    super(message);
    this.op = op;
    this.phase = phase;
  }
}

/**
 * WebGPU is not available: {@link initWebGpuBackend} found no `navigator.gpu` (Node.js, an old
 * browser, a page that is not a secure context), no adapter, or its device request failed. The
 * message names `initWebGpuBackend` and which of these happened.
 *
 * @example
 * ```ts
 * try {
 *   await initWebGpuBackend();
 * } catch (e) {
 *   if (e instanceof WebGpuUnavailableError) console.log('staying on the cpu:', e.message);
 * }
 * ```
 */
export class WebGpuUnavailableError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'WebGpuUnavailableError';
}

/**
 * A synchronous read (`values`, `data`, `toArray`, `item`, printing) of a tensor whose newest values are
 * not in JavaScript memory: on the webgpu backend they are in a GPU buffer (or still being computed), and
 * a GPU read is asynchronous. The message names the asynchronous method to use instead.
 *
 * @example
 * ```ts
 * setBackend('webgpu');
 * const y = relu(x);
 * try {
 *   y.item();
 * } catch (e) {
 *   if (e instanceof HostReadError) console.log(await y.itemAsync());
 * }
 * ```
 */
export class HostReadError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'HostReadError';
}
