import { type BackwardOptions, backward as runBackward } from './autograd/backward';
import { isCapturing, observeGrad } from './capture-state';
import { checkOptions, optionNames } from './check-options';
import {
  allocate,
  arrayMatchesDType,
  type DType,
  dtypeOfArray,
  isFloatingDType,
  isHalfDType,
  type TypedArray,
} from './dtype';
import { AutogradError, DisposedError, DTypeError, ShapeError, ValueError } from './errors';
import { formatTensor } from './format';
import { isGradEnabled, setGradEnabled } from './grad-mode';
import { bfloat16Bits, bfloat16Value, decodeHalf, float16Bits, float16Value } from './half';
import { copyKernel } from './kernels/cpu/elementwise';
import { resolveKernel } from './kernels/registry';
import { getBufferPool, trackInScope, untrack } from './lifetime';
import type { GradNode } from './op';
import { abs } from './ops/abs';
import { add } from './ops/add';
import { all, any } from './ops/any-all';
import { argmax, argmin } from './ops/argmax';
import { atan2 } from './ops/atan2';
import { cast } from './ops/cast';
import { chunk } from './ops/chunk';
import { clamp } from './ops/clamp';
import { clone } from './ops/clone';
import { eq, ge, gt, le, lt, ne } from './ops/compare';
import { cos } from './ops/cos';
import { cumprod } from './ops/cumprod';
import { cumsum } from './ops/cumsum';
import { div } from './ops/div';
import { dot } from './ops/dot';
import { elu } from './ops/elu';
import { erf } from './ops/erf';
import { exp } from './ops/exp';
import { expand } from './ops/expand';
import { expm1 } from './ops/expm1';
import { flatten } from './ops/flatten';
import { flip } from './ops/flip';
import { gather } from './ops/gather';
import { type GeluApproximation, gelu } from './ops/gelu';
import { indexSelect } from './ops/index-select';
import { isfinite, isinf, isnan } from './ops/isnan';
import { leakyRelu } from './ops/leaky-relu';
import { log } from './ops/log';
import { logSigmoid } from './ops/log-sigmoid';
import { logSoftmax } from './ops/log-softmax';
import { log1p } from './ops/log1p';
import { logsumexp } from './ops/logsumexp';
import { matmul } from './ops/matmul';
import { max, maxWithIndices, type ValuesAndIndices } from './ops/max';
import { maximum } from './ops/maximum';
import { mean } from './ops/mean';
import { min, minWithIndices } from './ops/min';
import { minimum } from './ops/minimum';
import { mul } from './ops/mul';
import { neg } from './ops/neg';
import { nonzero } from './ops/nonzero';
import { norm } from './ops/norm';
import { permute } from './ops/permute';
import { pow } from './ops/pow';
import { prod } from './ops/prod';
import { reciprocal } from './ops/reciprocal';
import { relu } from './ops/relu';
import { fmod, remainder } from './ops/remainder';
import { repeatInterleave } from './ops/repeat-interleave';
import { reshape } from './ops/reshape';
import { roll } from './ops/roll';
import { ceil, floor, type RoundOptions, round, trunc } from './ops/rounding';
import { rsqrt } from './ops/rsqrt';
import { type ScatterOptions, scatter } from './ops/scatter';
import { type ScatterReduceOptions, type ScatterReduction, scatterReduce } from './ops/scatter-reduce';
import { sigmoid } from './ops/sigmoid';
import { sign } from './ops/sign';
import { silu } from './ops/silu';
import { sin } from './ops/sin';
import { type SliceSpec, slice } from './ops/slice';
import { softmax } from './ops/softmax';
import { softplus } from './ops/softplus';
import {
  type ArgsortOptions,
  argsort,
  type SortOptions,
  type SortResult,
  sort,
  type TopkOptions,
  topk,
} from './ops/sort';
import { split } from './ops/split';
import { sqrt } from './ops/sqrt';
import { square } from './ops/square';
import { squeeze } from './ops/squeeze';
import { sub } from './ops/sub';
import { sum } from './ops/sum';
import { tanh } from './ops/tanh';
import { tile } from './ops/tile';
import { transpose } from './ops/transpose';
import { tril, triu } from './ops/tril';
import { type UniqueOptions, type UniqueResultOf, unique } from './ops/unique';
import { unsqueeze } from './ops/unsqueeze';
import { std, type VarianceOptions, variance } from './ops/variance';
import { getResidency } from './residency';
import { formatShape, frozenShape, type Shape, shapeSize, shapesEqual } from './shape';
import { type BufferVersion, fingerprintOf, newBufferVersion, syncVersion } from './version';

/** A tensor, or a plain number that ops turn into a 0-d tensor of a matching dtype. */
export type TensorLike = Tensor | number;

/**
 * The axis argument of a reduction: one axis, several, or `undefined`/`null` for all of them. An empty
 * list reduces no axis (the result is the input's values, as NumPy's `axis=()`); PyTorch 1.13's
 * `x.sum([])` reduces all of them instead, so pass `null` for that.
 *
 * @example
 * ```ts
 * sum(tensor([[1, 2], [3, 4]]), []).shape; // [2, 2] (torch 1.13: a 0-d 10)
 * sum(tensor([[1, 2], [3, 4]]), null).item(); // 10
 * ```
 */
export type Axis = number | readonly number[] | null | undefined;

/** A nested array of numbers, as returned by {@link Tensor.toArray}. */
export type NestedArray = number | NestedArray[];

/**
 * A gradient hook: sees the gradient computed for a tensor during backward and may return a
 * replacement (same shape) or nothing to keep it.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook may be a function that returns nothing
export type GradHook = (grad: Tensor) => Tensor | undefined | void;

const ALPHA_OPTIONS = optionNames<{ alpha?: number }>({ alpha: true });

/**
 * An n-dimensional array of numbers with reverse-mode automatic differentiation.
 *
 * A tensor has a `shape`, a `dtype` and contiguous row-major `data`. When it takes part in a graph
 * (because an input required gradients), `gradFn` records the op that produced it, and
 * {@link Tensor.backward} accumulates gradients into the leaves' `grad`.
 *
 * Create tensors with {@link tensor}, {@link zeros}, {@link randn} and friends rather than with `new`.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.mul(x).sum();
 * y.backward();
 * x.grad?.toArray(); // [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  /** The size of each dimension, outermost first. */
  readonly shape: readonly number[];
  /** The element type. */
  readonly dtype: DType;
  private dataArray: TypedArray | null;
  /** The node of the autograd graph that produced this tensor, or `null` for a leaf. */
  gradFn: GradNode | null = null;
  private requiresGradFlag = false;
  private gradValue: Tensor | null = null;
  private gradOwned = false;
  private retainsGradFlag = false;
  private hooks: GradHook[] | null = null;
  private bufferVersion: BufferVersion | null = null;

  /**
   * Wrap `data` (not copied) as a tensor of `shape`. Prefer {@link tensor} in user code.
   *
   * @param data - the elements, row-major; its length must equal the product of `shape`
   * @param shape - the size of each dimension
   * @param dtype - defaults to the dtype of `data`
   */
  constructor(data: TypedArray, shape: Shape, dtype: DType = dtypeOfArray(data)) {
    const size = shapeSize(shape);
    if (data.length !== size)
      throw new ShapeError(`Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`);
    if (!arrayMatchesDType(data, dtype))
      throw new DTypeError(`Tensor: data is a ${data.constructor.name} but dtype is ${dtype}`);
    this.dataArray = data;
    this.shape = frozenShape(shape);
    this.dtype = dtype;
    const pool = getBufferPool();
    if (pool !== null) pool.retain(data);
    trackInScope(this);
  }

  /**
   * The elements in row-major order: the live buffer, so writing to it changes the tensor in place.
   * Throws a {@link DisposedError} once the tensor was disposed.
   *
   * Writes through `data` are tracked: the first time `data` is handed out, nabla takes a fingerprint
   * of the contents, and from then on a change of the contents counts as a write in
   * {@link Tensor.version}. So a tensor that an op saved for backward and that is then changed through
   * `data` makes that backward throw a {@link SavedTensorModifiedError} instead of computing a wrong
   * gradient. Reading through `data` is always safe. Code that only reads, and wants no fingerprinting,
   * uses {@link Tensor.values}; code that writes for speed writes through `values` and then calls
   * {@link Tensor.markModified}.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2, 3], { requiresGrad: true });
   * const s = x.mul(x).sum();
   * x.data[0] = 10; // a write into a tensor that mul saved
   * s.backward(); // throws SavedTensorModifiedError: ... op "mul" ... saved at version 0, now at version 1
   * ```
   */
  get data(): TypedArray {
    const data = this._array;
    const residency = getResidency();
    if (residency !== null) residency.hostAccess(data, 'Tensor.data', true);
    let record = this.bufferVersion;
    if (record === null) record = this.bufferVersion = newBufferVersion();
    if (!record.exposed) {
      record.fingerprint = fingerprintOf(data);
      record.stale = false;
      record.exposed = true;
    }
    return data;
  }

  /**
   * The elements in row-major order, for reading: the same live buffer as {@link Tensor.data} without
   * the write tracking. For a `float16` or `bfloat16` tensor this is a `Uint16Array` of bit patterns,
   * not numbers (decode with `toArray()`, `item()` or `decodeHalf`; see {@link DType}). Writing through `values` is not tracked; code that does so (an optimizer
   * updating its parameters) must call {@link Tensor.markModified} afterwards, or a backward that saved
   * the tensor computes with the new values without noticing.
   *
   * @example
   * ```ts
   * const y = tensor([1, 2]).exp();
   * y.values[1]; // 7.389...
   * ```
   */
  get values(): TypedArray {
    const data = this._array;
    const residency = getResidency();
    if (residency !== null) residency.hostAccess(data, 'Tensor.values');
    return data;
  }

  /**
   * The array kernels compute on, without asking whether its contents are in JavaScript memory: on the
   * webgpu backend it may stand for a GPU buffer whose contents are not copied back. For ops that hand
   * it to kernels from `resolveKernel` and never read or write it themselves; everything else reads
   * {@link Tensor.values}. Throws a {@link DisposedError} once the tensor was disposed.
   *
   * @internal
   */
  get _array(): TypedArray {
    const data = this.dataArray;
    if (data === null)
      throw new DisposedError(
        `Tensor of shape ${formatShape(this.shape)} (${this.dtype}) was disposed (by dispose(), at the end of the tidy() that created it, or by zeroGrad() for a gradient in wasm memory); its memory may be reused. Keep it with keep() or return it from tidy(), or clone() it first`,
      );
    return data;
  }

  /** Resolve once this tensor's newest contents are in its host array (at once unless a backend keeps them elsewhere). */
  private async onHost(): Promise<void> {
    const residency = getResidency();
    if (residency !== null) await residency.toHost(this._array);
  }

  /**
   * How many times this tensor's buffer was written in place, like PyTorch's `_version`: in-place ops
   * (`add_`, `copy_`, `fill_`, ...), {@link Tensor.markModified}, and changes made through
   * {@link Tensor.data} each count. Tensors that share a buffer (a reshape, `detach()`) share the count.
   * Backward compares the versions of the tensors an op saved with the versions they had when it saved
   * them.
   *
   * @example
   * ```ts
   * const x = zeros([3]);
   * x.version; // 0
   * x.add_(1);
   * x.version; // 1
   * ```
   */
  get version(): number {
    const record = this.bufferVersion;
    return record === null ? 0 : syncVersion(record, this._array);
  }

  /**
   * Count one in-place write of this tensor's buffer (bumps {@link Tensor.version} for it and for the
   * tensors that share its buffer). For code that writes through {@link Tensor.values} for speed, as
   * the optimizers do; in-place ops call it themselves. Returns this tensor.
   *
   * @example
   * ```ts
   * const w = zeros([2]);
   * w.values[0] = 1;
   * w.markModified().version; // 1
   * ```
   */
  markModified(): this {
    let record = this.bufferVersion;
    if (record === null) record = this.bufferVersion = newBufferVersion();
    record.version++;
    if (record.exposed) record.stale = true;
    return this;
  }

  /**
   * Share `source`'s buffer version (for views over the same buffer, such as reshape and detach).
   *
   * @internal
   */
  _shareVersion(source: Tensor): this {
    let record = source.bufferVersion;
    if (record === null) record = source.bufferVersion = newBufferVersion();
    this.bufferVersion = record;
    return this;
  }

  /** Whether {@link Tensor.dispose} (or the end of its {@link tidy} scope) released this tensor. */
  get isDisposed(): boolean {
    return this.dataArray === null;
  }

  /**
   * Release this tensor now: with the wasm backend its block of WebAssembly memory goes back to the
   * pool as soon as no other tensor shares it (views such as reshapes or `detach()` share it); with
   * the cpu backend the garbage collector frees the array as usual. Using the tensor afterwards
   * throws a {@link DisposedError}. Disposing twice does nothing. Its gradient is not disposed.
   *
   * Not needed for correctness: a tensor nobody references is freed by the garbage collector
   * anyway. It makes memory reuse immediate; {@link tidy} does it for every temporary of a step.
   *
   * @example
   * ```ts
   * const t = randn([1024, 1024]);
   * t.dispose();
   * t.isDisposed; // true
   * ```
   */
  dispose(): void {
    const data = this.dataArray;
    if (data === null) return;
    this.dataArray = null;
    this.gradFn = null;
    const pool = getBufferPool();
    if (pool !== null) pool.release(data);
  }

  /** The number of elements. */
  get size(): number {
    return this._array.length;
  }

  /** The number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Whether gradients flow to this tensor. Only floating-point tensors can require gradients. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  /** Turn gradient tracking on or off for a leaf (float dtypes only). */
  set requiresGrad(flag: boolean) {
    if (flag && !isFloatingDType(this.dtype))
      throw new DTypeError(
        `Tensor.requiresGrad: only float32 and float64 tensors (and the half types float16 and bfloat16) can require gradients, this one is ${this.dtype}`,
      );
    if (!flag && this.gradFn !== null)
      throw new AutogradError('Tensor.requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach()');
    this.requiresGradFlag = flag;
  }

  /** Whether this tensor is a leaf of the graph (created by the user, not by an op that records). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /**
   * The gradient accumulated by {@link Tensor.backward}, or `null`. Assign a tensor of the same shape
   * and dtype, or `null` to clear it.
   */
  get grad(): Tensor | null {
    return this.gradValue;
  }

  /** Assign a gradient of the same shape and dtype, or `null` to clear it. */
  set grad(value: Tensor | null) {
    if (value !== null) {
      if (!(value instanceof Tensor)) throw new ValueError('Tensor.grad: assign a Tensor or null');
      if (!shapesEqual(value.shape, this.shape))
        throw new ShapeError(
          `Tensor.grad: assigned gradient has shape ${formatShape(value.shape)} but the tensor has shape ${formatShape(this.shape)}`,
        );
      if (value.dtype !== this.dtype)
        throw new DTypeError(`Tensor.grad: assigned gradient is ${value.dtype} but the tensor is ${this.dtype}`);
    }
    this._replaceGrad(value, false);
  }

  /**
   * Store `value` as the gradient; `owned` marks one that backward() created (internal). A tensor
   * stored as a gradient is taken out of any {@link tidy} scope. An owned gradient in wasm memory is
   * disposed when it is replaced or cleared (zeroGrad), so its block is reused at once.
   *
   * @internal
   */
  _replaceGrad(value: Tensor | null, owned: boolean, disposeOld = true): void {
    const old = this.gradValue;
    if (isCapturing()) observeGrad(this, old, value);
    if (disposeOld && old !== null && old !== value && this.gradOwned) {
      const pool = getBufferPool();
      if (pool !== null && old.dataArray !== null && pool.owns(old.dataArray)) old.dispose();
    }
    if (value !== null) untrack(value);
    this.gradValue = value;
    this.gradOwned = owned;
  }

  /**
   * Set {@link Tensor.requiresGrad} in place and return this tensor, like PyTorch's `requires_grad_`.
   *
   * @example
   * ```ts
   * const w = zeros([3]).requiresGrad_();
   * ```
   */
  requiresGrad_(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  /** @internal Called by the op runtime when this tensor is produced by a recorded op. */
  _attachGradFn(node: GradNode): void {
    this.gradFn = node;
    this.requiresGradFlag = true;
  }

  /** Whether a non-leaf keeps its gradient after backward (see {@link Tensor.retainGrad}). */
  get retainsGrad(): boolean {
    return this.retainsGradFlag;
  }

  /**
   * Keep this non-leaf tensor's gradient in `grad` after backward (leaves always keep theirs).
   *
   * @example
   * ```ts
   * const h = x.mul(2); h.retainGrad(); h.sum().backward(); h.grad; // ones
   * ```
   */
  retainGrad(): this {
    if (!this.requiresGradFlag) throw new AutogradError('Tensor.retainGrad: the tensor does not require gradients');
    this.retainsGradFlag = true;
    return this;
  }

  /**
   * Register `hook` to see, and optionally replace, this tensor's gradient during backward.
   * Returns a function that removes the hook.
   *
   * @example
   * ```ts
   * const remove = x.registerHook((g) => g.mul(2)); // doubles the gradient reaching x
   * remove();
   * ```
   */
  registerHook(hook: GradHook): () => void {
    if (!this.requiresGradFlag)
      throw new AutogradError(
        'Tensor.registerHook: cannot register a hook on a tensor that does not require gradients',
      );
    if (this.hooks === null) this.hooks = [];
    this.hooks.push(hook);
    return () => {
      const i = this.hooks?.indexOf(hook) ?? -1;
      if (i >= 0) this.hooks?.splice(i, 1);
    };
  }

  /** @internal The registered gradient hooks. */
  _hooks(): readonly GradHook[] | null {
    return this.hooks;
  }

  /**
   * Backpropagate from this tensor, accumulating gradients into the `grad` of every leaf that requires
   * one. A non-scalar tensor needs `grad`, the gradient of some scalar with respect to it.
   *
   * @param grad - the upstream gradient (default: 1 for a one-element tensor)
   * @param options - `retainGraph` keeps the graph for another backward; `createGraph` records the
   * backward pass itself so that gradients of gradients can be taken
   *
   * @example
   * ```ts
   * const x = tensor([3], { requiresGrad: true });
   * x.pow(2).sum().backward();
   * x.grad?.item(); // 6
   * ```
   */
  backward(grad?: Tensor | null, options: BackwardOptions = {}): void {
    runBackward(this, grad ?? null, options);
  }

  /**
   * A tensor over the same data that is cut from the graph and does not require gradients.
   *
   * @example
   * ```ts
   * const frozen = w.detach();
   * ```
   */
  detach(): Tensor {
    return new Tensor(this._array, this.shape, this.dtype)._shareVersion(this);
  }

  /**
   * The value of a one-element tensor as a number.
   *
   * @example
   * ```ts
   * tensor([[5]]).item(); // 5
   * ```
   */
  item(): number {
    if (this.values.length !== 1)
      throw new ValueError(
        `Tensor.item: only one-element tensors have an item, this one has shape ${formatShape(this.shape)}`,
      );
    const v = this.values[0];
    if (this.dtype === 'float16') return float16Value(v);
    if (this.dtype === 'bfloat16') return bfloat16Value(v);
    return v;
  }

  /**
   * The elements as nested arrays following the shape (a number for a 0-d tensor). float16 and
   * bfloat16 elements are decoded to numbers.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray(); // [[1, 2], [3, 4]]
   * ```
   */
  toArray(): NestedArray {
    const values = isHalfDType(this.dtype) ? decodeHalf(this.values as Uint16Array, this.dtype) : this.values;
    if (this.shape.length === 0) return values[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = values[offset + i];
        return out;
      }
      const stride = shapeSize(this.shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /**
   * The elements in row-major order, read asynchronously: resolves with a copy of the buffer (a new
   * typed array of the tensor's array type, which the caller may keep and change without touching the
   * tensor), or rejects with the {@link DisposedError} that {@link Tensor.data} would throw. Like
   * `data`, a `float16` or `bfloat16` tensor gives its `Uint16Array` of bit patterns (decode with
   * {@link Tensor.toArrayAsync}).
   *
   * nabla's `data` is already a synchronous getter of the live array, so the asynchronous reads carry
   * an `Async` suffix. On the cpu and wasm backends the values are already in memory and the promise
   * resolves at once; a backend that keeps tensors on a GPU needs the wait (a copy back and a buffer
   * mapping), and code written with these methods runs on every backend.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2, 3]);
   * const values = await x.dataAsync(); // Float32Array [1, 2, 3], a copy
   * values[0] = 10; // x is unchanged
   * ```
   */
  async dataAsync(): Promise<TypedArray> {
    await this.onHost();
    return this.values.slice();
  }

  /**
   * The elements as nested arrays following the shape, read asynchronously: resolves with what
   * {@link Tensor.toArray} returns (float16 and bfloat16 decoded to numbers), or rejects with the error
   * it would throw. See {@link Tensor.dataAsync} for why the asynchronous reads exist.
   *
   * @example
   * ```ts
   * await tensor([1, 2, 3, 4], { shape: [2, 2] }).toArrayAsync(); // [[1, 2], [3, 4]]
   * ```
   */
  async toArrayAsync(): Promise<NestedArray> {
    await this.onHost();
    return this.toArray();
  }

  /**
   * The value of a one-element tensor as a number, read asynchronously: resolves with what
   * {@link Tensor.item} returns, or rejects with the error it would throw (a disposed tensor, more than
   * one element). See {@link Tensor.dataAsync} for why the asynchronous reads exist.
   *
   * @example
   * ```ts
   * const loss = tensor([1, 2, 3]).square().mean();
   * await loss.itemAsync(); // 4.666...
   * ```
   */
  async itemAsync(): Promise<number> {
    await this.onHost();
    return this.item();
  }

  /**
   * A printout like PyTorch's: `tensor([[1., 2.], [3., 4.]])`, elided with `...` when large.
   *
   * @example
   * ```ts
   * String(tensor([1, 2])); // 'tensor([1., 2.])'
   * ```
   */
  toString(): string {
    return formatTensor(this);
  }

  /** A fresh array of the same dtype and size as this tensor (helper for kernels). */
  _alloc(): TypedArray {
    return allocate(this.dtype, this._array.length);
  }

  // ---- conversions -------------------------------------------------------------------------

  /**
   * A copy of this tensor converted to `dtype` (differentiable between float dtypes; an integer result
   * never requires gradients, as in PyTorch).
   */
  to(dtype: DType): Tensor {
    return cast(this, dtype);
  }
  /** A float32 copy (see {@link Tensor.to}). */
  float(): Tensor {
    return cast(this, 'float32');
  }
  /** A float64 copy (see {@link Tensor.to}). */
  double(): Tensor {
    return cast(this, 'float64');
  }
  /** An int32 copy, truncating toward zero; it does not require gradients (see {@link Tensor.to}). */
  int(): Tensor {
    return cast(this, 'int32');
  }
  /** A copy that stays in the graph (gradients flow back to this tensor). */
  clone(): Tensor {
    return clone(this);
  }

  // ---- in place ------------------------------------------------------------------------------
  // NOTE: like PyTorch, in-place ops bump the version (so a backward that saved this tensor throws),
  // and are refused on a tensor that requires gradients while gradients are recorded: under noGrad()
  // (an optimizer's update) they are fine. PyTorch records in-place ops on non-leaf tensors in the
  // graph; nabla does not, and asks for the out-of-place op instead.

  /** Run `compute` without recording, store its result (broadcast to this shape) in place, count the write. */
  private inPlace(fn: string, compute: () => Tensor): this {
    if (this.requiresGradFlag && isGradEnabled())
      throw new AutogradError(
        `Tensor.${fn}: cannot modify a tensor that requires gradients in place while gradients are recorded (${this.isLeaf ? 'a leaf: wrap the update in noGrad(), as an optimizer does' : 'a result of recorded ops: use the out-of-place op'})`,
      );
    // NOTE: no host read: the result is stored by the copy kernel, where the values are (the GPU on webgpu).
    const data = this._array;
    const recording = isGradEnabled();
    setGradEnabled(false);
    let result: Tensor;
    try {
      result = compute();
      if (!shapesEqual(result.shape, this.shape)) {
        if (shapeSize(result.shape) > data.length || result.shape.length > this.shape.length)
          throw new ShapeError(
            `Tensor.${fn}: the result has shape ${formatShape(result.shape)}, which does not fit this tensor's shape ${formatShape(this.shape)}`,
          );
        result = expand(result, this.shape);
      }
      if (result.dtype !== this.dtype) {
        if (!isFloatingDType(this.dtype) && isFloatingDType(result.dtype))
          throw new DTypeError(
            `Tensor.${fn}: the result is ${result.dtype} and cannot be stored in place in this ${this.dtype} tensor`,
          );
        result = cast(result, this.dtype);
      }
    } finally {
      setGradEnabled(recording);
    }
    resolveKernel('copy', copyKernel)(result._array, data);
    return this.markModified();
  }

  /**
   * Add `other` (broadcast to this shape), times `alpha`, in place, like PyTorch's `add_`. Bumps
   * {@link Tensor.version}. On a tensor that requires gradients, only under {@link noGrad}.
   *
   * @example
   * ```ts
   * const w = tensor([1, 2]);
   * w.add_(tensor([10, 10]), { alpha: -0.1 }); // [0, 1]
   * ```
   */
  add_(other: TensorLike, options: { alpha?: number } = {}): this {
    checkOptions('Tensor.add_', options, ALPHA_OPTIONS);
    const alpha = options.alpha ?? 1;
    return this.inPlace('add_', () => add(this, alpha === 1 ? other : mul(other, alpha)));
  }

  /**
   * Subtract `other` (broadcast to this shape), times `alpha`, in place, like PyTorch's `sub_`.
   *
   * @example
   * ```ts
   * noGrad(() => w.sub_(w.grad!, { alpha: 0.1 })); // a plain gradient step
   * ```
   */
  sub_(other: TensorLike, options: { alpha?: number } = {}): this {
    checkOptions('Tensor.sub_', options, ALPHA_OPTIONS);
    const alpha = options.alpha ?? 1;
    return this.inPlace('sub_', () => sub(this, alpha === 1 ? other : mul(other, alpha)));
  }

  /**
   * Multiply by `other` (broadcast to this shape) in place, like PyTorch's `mul_`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).mul_(3); // [3, 6]
   * ```
   */
  mul_(other: TensorLike): this {
    return this.inPlace('mul_', () => mul(this, other));
  }

  /**
   * Divide by `other` (broadcast to this shape) in place, like PyTorch's `div_`.
   *
   * @example
   * ```ts
   * tensor([3, 6]).div_(3); // [1, 2]
   * ```
   */
  div_(other: TensorLike): this {
    return this.inPlace('div_', () => div(this, other));
  }

  /**
   * Clamp every element into `[min, max]` in place, like PyTorch's `clamp_`.
   *
   * @example
   * ```ts
   * tensor([-2, 0.5, 2]).clamp_(-1, 1); // [-1, 0.5, 1]
   * ```
   */
  clamp_(min?: number | null, max?: number | null): this {
    return this.inPlace('clamp_', () => clamp(this, min, max));
  }

  /**
   * Copy `src` (broadcast to this shape, converted to this dtype) into this tensor, like PyTorch's
   * `copy_`.
   *
   * @example
   * ```ts
   * zeros([2, 2]).copy_(tensor([1, 2])); // [[1, 2], [1, 2]]
   * ```
   */
  copy_(src: Tensor): this {
    if (!(src instanceof Tensor)) throw new ValueError('Tensor.copy_: src must be a Tensor');
    if (isFloatingDType(src.dtype) && !isFloatingDType(this.dtype))
      throw new DTypeError(`Tensor.copy_: src is ${src.dtype} and cannot be copied into this ${this.dtype} tensor`);
    return this.inPlace('copy_', () => (src.dtype === this.dtype ? src : cast(src, this.dtype)));
  }

  /**
   * Set every element to `value` in place, like PyTorch's `fill_`.
   *
   * @example
   * ```ts
   * zeros([3]).fill_(7); // [7, 7, 7]
   * ```
   */
  fill_(value: number): this {
    if (typeof value !== 'number') throw new ValueError(`Tensor.fill_: value must be a number, got ${typeof value}`);
    if (this.dtype === 'int32' && !Number.isInteger(value))
      throw new DTypeError(`Tensor.fill_: ${value} cannot be stored in an int32 tensor`);
    return this.inPlace('fill_', () => {
      const out = allocate(this.dtype, this.size, false);
      // A half tensor stores bit patterns: fill with the pattern of `value`.
      out.fill(this.dtype === 'float16' ? float16Bits(value) : this.dtype === 'bfloat16' ? bfloat16Bits(value) : value);
      return new Tensor(out, this.shape, this.dtype);
    });
  }

  /**
   * Set every element to 0 in place, like PyTorch's `zero_`.
   *
   * @example
   * ```ts
   * tensor([1, 2]).zero_(); // [0, 0]
   * ```
   */
  zero_(): this {
    return this.fill_(0);
  }

  // ---- elementwise ---------------------------------------------------------------------------

  /** See {@link add}. */
  add(other: TensorLike): Tensor {
    return add(this, other);
  }
  /** See {@link sub}. */
  sub(other: TensorLike): Tensor {
    return sub(this, other);
  }
  /** See {@link mul}. */
  mul(other: TensorLike): Tensor {
    return mul(this, other);
  }
  /** See {@link div}. */
  div(other: TensorLike): Tensor {
    return div(this, other);
  }
  /** See {@link neg}. */
  neg(): Tensor {
    return neg(this);
  }
  /** See {@link pow}. */
  pow(exponent: TensorLike): Tensor {
    return pow(this, exponent);
  }
  /** See {@link exp}. */
  exp(): Tensor {
    return exp(this);
  }
  /** See {@link log}. */
  log(): Tensor {
    return log(this);
  }
  /** See {@link log1p}. */
  log1p(): Tensor {
    return log1p(this);
  }
  /** See {@link expm1}. */
  expm1(): Tensor {
    return expm1(this);
  }
  /** See {@link sqrt}. */
  sqrt(): Tensor {
    return sqrt(this);
  }
  /** See {@link rsqrt}. */
  rsqrt(): Tensor {
    return rsqrt(this);
  }
  /** See {@link square}. */
  square(): Tensor {
    return square(this);
  }
  /** See {@link reciprocal}. */
  reciprocal(): Tensor {
    return reciprocal(this);
  }
  /** See {@link abs}. */
  abs(): Tensor {
    return abs(this);
  }
  /** See {@link sign}. */
  sign(): Tensor {
    return sign(this);
  }
  /** See {@link sin}. */
  sin(): Tensor {
    return sin(this);
  }
  /** See {@link cos}. */
  cos(): Tensor {
    return cos(this);
  }
  /** See {@link clamp}. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return clamp(this, min, max);
  }
  /** See {@link maximum}. */
  maximum(other: TensorLike): Tensor {
    return maximum(this, other);
  }
  /** See {@link minimum}. */
  minimum(other: TensorLike): Tensor {
    return minimum(this, other);
  }
  /** See {@link eq}. */
  eq(other: TensorLike): Tensor {
    return eq(this, other);
  }
  /** See {@link ne}. */
  ne(other: TensorLike): Tensor {
    return ne(this, other);
  }
  /** See {@link lt}. */
  lt(other: TensorLike): Tensor {
    return lt(this, other);
  }
  /** See {@link le}. */
  le(other: TensorLike): Tensor {
    return le(this, other);
  }
  /** See {@link gt}. */
  gt(other: TensorLike): Tensor {
    return gt(this, other);
  }
  /** See {@link ge}. */
  ge(other: TensorLike): Tensor {
    return ge(this, other);
  }

  // ---- activations ---------------------------------------------------------------------------

  /** See {@link relu}. */
  relu(): Tensor {
    return relu(this);
  }
  /** See {@link leakyRelu}. */
  leakyRelu(negativeSlope?: number): Tensor {
    return leakyRelu(this, negativeSlope);
  }
  /** See {@link elu}. */
  elu(alpha?: number): Tensor {
    return elu(this, alpha);
  }
  /** See {@link gelu}. */
  gelu(approximate?: GeluApproximation): Tensor {
    return gelu(this, approximate);
  }
  /** See {@link silu}. */
  silu(): Tensor {
    return silu(this);
  }
  /** See {@link sigmoid}. */
  sigmoid(): Tensor {
    return sigmoid(this);
  }
  /** See {@link tanh}. */
  tanh(): Tensor {
    return tanh(this);
  }
  /** See {@link softplus}. */
  softplus(beta?: number, threshold?: number): Tensor {
    return softplus(this, beta, threshold);
  }
  /** See {@link logSigmoid}. */
  logSigmoid(): Tensor {
    return logSigmoid(this);
  }
  /** See {@link softmax}. */
  softmax(axis?: number): Tensor {
    return softmax(this, axis);
  }
  /** See {@link logSoftmax}. */
  logSoftmax(axis?: number): Tensor {
    return logSoftmax(this, axis);
  }
  /** See {@link logsumexp}. */
  logsumexp(axis?: Axis, keepdims?: boolean): Tensor {
    return logsumexp(this, axis, keepdims);
  }

  // ---- reductions ----------------------------------------------------------------------------

  /** See {@link sum}. */
  sum(axis?: Axis, keepdims?: boolean): Tensor {
    return sum(this, axis, keepdims);
  }
  /** See {@link mean}. */
  mean(axis?: Axis, keepdims?: boolean): Tensor {
    return mean(this, axis, keepdims);
  }
  /** See {@link max}. */
  max(axis?: Axis, keepdims?: boolean): Tensor {
    return max(this, axis, keepdims);
  }
  /** See {@link min}. */
  min(axis?: Axis, keepdims?: boolean): Tensor {
    return min(this, axis, keepdims);
  }
  /** See {@link maxWithIndices}. */
  maxWithIndices(axis: number, keepdims?: boolean): ValuesAndIndices {
    return maxWithIndices(this, axis, keepdims);
  }
  /** See {@link minWithIndices}. */
  minWithIndices(axis: number, keepdims?: boolean): ValuesAndIndices {
    return minWithIndices(this, axis, keepdims);
  }
  /** See {@link prod}. */
  prod(axis?: Axis, keepdims?: boolean): Tensor {
    return prod(this, axis, keepdims);
  }
  /** See {@link variance}. */
  var(axis?: Axis, options?: VarianceOptions): Tensor {
    return variance(this, axis, options);
  }
  /** See {@link std}. */
  std(axis?: Axis, options?: VarianceOptions): Tensor {
    return std(this, axis, options);
  }
  /** See {@link argmax}. */
  argmax(axis?: number | null, keepdims?: boolean): Tensor {
    return argmax(this, axis, keepdims);
  }
  /** See {@link argmin}. */
  argmin(axis?: number | null, keepdims?: boolean): Tensor {
    return argmin(this, axis, keepdims);
  }
  /** See {@link norm}. */
  norm(p?: number, axis?: Axis, keepdims?: boolean): Tensor {
    return norm(this, p, axis, keepdims);
  }

  // ---- shape ---------------------------------------------------------------------------------

  /** See {@link reshape}. */
  reshape(shape: readonly number[]): Tensor {
    return reshape(this, shape);
  }
  /** See {@link flatten}. */
  flatten(startDim?: number, endDim?: number): Tensor {
    return flatten(this, startDim, endDim);
  }
  /** See {@link squeeze}. */
  squeeze(axis?: Axis): Tensor {
    return squeeze(this, axis);
  }
  /** See {@link unsqueeze}. */
  unsqueeze(axis: number): Tensor {
    return unsqueeze(this, axis);
  }
  /** See {@link transpose}. */
  transpose(dim0: number, dim1: number): Tensor {
    return transpose(this, dim0, dim1);
  }
  /** See {@link permute}. */
  permute(dims: readonly number[]): Tensor {
    return permute(this, dims);
  }
  /** The tensor with all its dimensions reversed (the matrix transpose for 2-D), like PyTorch's `.T`. */
  get T(): Tensor {
    return permute(
      this,
      this.shape.map((_, i) => this.shape.length - 1 - i),
    );
  }
  /** See {@link expand}. */
  expand(shape: readonly number[]): Tensor {
    return expand(this, shape);
  }
  /** See {@link split}. */
  split(sizeOrSections: number | readonly number[], axis?: number): Tensor[] {
    return split(this, sizeOrSections, axis);
  }
  /** See {@link chunk}. */
  chunk(chunks: number, axis?: number): Tensor[] {
    return chunk(this, chunks, axis);
  }
  /** See {@link slice}. */
  slice(spec: SliceSpec): Tensor {
    return slice(this, spec);
  }
  /** See {@link indexSelect}. */
  indexSelect(axis: number, index: Tensor): Tensor {
    return indexSelect(this, axis, index);
  }
  /** See {@link gather}. */
  gather(axis: number, index: Tensor): Tensor {
    return gather(this, axis, index);
  }
  /** See {@link tile}. */
  tile(reps: readonly number[]): Tensor {
    return tile(this, reps);
  }

  // ---- linear algebra ------------------------------------------------------------------------

  /** See {@link matmul}. */
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }
  /** See {@link floor}. */
  floor(): Tensor {
    return floor(this);
  }
  /** See {@link ceil}. */
  ceil(): Tensor {
    return ceil(this);
  }
  /** See {@link round}. */
  round(options?: RoundOptions): Tensor {
    return round(this, options);
  }
  /** See {@link trunc}. */
  trunc(): Tensor {
    return trunc(this);
  }
  /** See {@link isnan}. */
  isnan(): Tensor {
    return isnan(this);
  }
  /** See {@link isinf}. */
  isinf(): Tensor {
    return isinf(this);
  }
  /** See {@link isfinite}. */
  isfinite(): Tensor {
    return isfinite(this);
  }
  /** See {@link erf}. */
  erf(): Tensor {
    return erf(this);
  }
  /** See {@link atan2}. */
  atan2(other: TensorLike): Tensor {
    return atan2(this, other);
  }
  /** See {@link remainder}. */
  remainder(other: TensorLike): Tensor {
    return remainder(this, other);
  }
  /** See {@link fmod}. */
  fmod(other: TensorLike): Tensor {
    return fmod(this, other);
  }
  /** See {@link cumsum}. */
  cumsum(axis: number): Tensor {
    return cumsum(this, axis);
  }
  /** See {@link cumprod}. */
  cumprod(axis: number): Tensor {
    return cumprod(this, axis);
  }
  /** See {@link flip}. */
  flip(axes: number | readonly number[]): Tensor {
    return flip(this, axes);
  }
  /** See {@link roll}. */
  roll(shifts: number | readonly number[], axes?: number | readonly number[] | null): Tensor {
    return roll(this, shifts, axes);
  }
  /** See {@link tril}. */
  tril(diagonal?: number): Tensor {
    return tril(this, diagonal);
  }
  /** See {@link triu}. */
  triu(diagonal?: number): Tensor {
    return triu(this, diagonal);
  }
  /** See {@link sort}. */
  sort(axis?: number, options?: SortOptions): SortResult {
    return sort(this, axis, options);
  }
  /** See {@link argsort}. */
  argsort(axis?: number, options?: ArgsortOptions): Tensor {
    return argsort(this, axis, options);
  }
  /** See {@link topk}. */
  topk(k: number, axis?: number, options?: TopkOptions): SortResult {
    return topk(this, k, axis, options);
  }
  /** See {@link scatter}. */
  scatter(axis: number, index: Tensor, src: Tensor | number, options?: ScatterOptions): Tensor {
    return scatter(this, axis, index, src, options);
  }
  /** See {@link scatterReduce}. */
  scatterReduce(
    axis: number,
    index: Tensor,
    src: Tensor,
    reduce: ScatterReduction,
    options?: ScatterReduceOptions,
  ): Tensor {
    return scatterReduce(this, axis, index, src, reduce, options);
  }
  /** See {@link repeatInterleave}. */
  repeatInterleave(repeats: number | Tensor, axis?: number): Tensor {
    return repeatInterleave(this, repeats, axis);
  }
  /** See {@link nonzero}. */
  nonzero(): Tensor {
    return nonzero(this);
  }
  /** See {@link unique}. */
  unique<O extends UniqueOptions = UniqueOptions>(options?: O): UniqueResultOf<O> {
    return unique(this, options);
  }
  /** See {@link any}. */
  any(axis?: Axis, keepdims?: boolean): Tensor {
    return any(this, axis, keepdims);
  }
  /** See {@link all}. */
  all(axis?: Axis, keepdims?: boolean): Tensor {
    return all(this, axis, keepdims);
  }
  /** See {@link dot}. */
  dot(other: Tensor): Tensor {
    return dot(this, other);
  }
}

/**
 * Turn a {@link TensorLike} into a tensor: a number becomes a 0-d tensor whose dtype follows `like`
 * (an integer stays int32 next to an int32 tensor; anything else is float32 or `like`'s float dtype;
 * next to a float16/bfloat16 tensor the number is rounded to that dtype, as PyTorch 1.13's CPU ops do).
 *
 * @example
 * ```ts
 * asTensor(2, zeros([3], { dtype: 'float64' })).dtype; // 'float64'
 * ```
 */
export function asTensor(value: TensorLike, like?: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value !== 'number')
    throw new ValueError(`asTensor: expected a Tensor or a number, got ${value === null ? 'null' : typeof value}`);
  let dtype: DType = 'float32';
  if (like !== undefined) {
    if (isFloatingDType(like.dtype)) dtype = like.dtype;
    else if (Number.isInteger(value)) dtype = 'int32';
  }
  const data = allocate(dtype, 1);
  data[0] = dtype === 'float16' ? float16Bits(value) : dtype === 'bfloat16' ? bfloat16Bits(value) : value;
  return new Tensor(data, [], dtype);
}
