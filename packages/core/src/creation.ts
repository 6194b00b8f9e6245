import { checkOptions, optionNames } from './check-options';
import { allocate, checkDType, type DType, dtypeOfArray, isHalfDType, type TypedArray } from './dtype';
import { DTypeError, ShapeError, ValueError } from './errors';
import { bfloat16Bits, encodeHalf, float16Bits } from './half';
import { checkShape, formatShape, shapeSize } from './shape';
import { type NestedArray, Tensor } from './tensor';

/** Options shared by the tensor creation functions. */
export interface CreationOptions {
  /** Element type (default `float32`, or the typed array's own dtype for {@link tensor}). */
  dtype?: DType;
  /** Make the tensor a leaf that gradients flow to (float dtypes only). */
  requiresGrad?: boolean;
}

/** Options of {@link tensor}. */
export interface TensorOptions extends CreationOptions {
  /** The shape; by default inferred from the nesting of `values`. Its size must equal the number of values. */
  shape?: readonly number[];
}

const CREATION_OPTIONS = optionNames<CreationOptions>({ dtype: true, requiresGrad: true });
const TENSOR_OPTIONS = optionNames<TensorOptions>({ dtype: true, requiresGrad: true, shape: true });

function finish(data: TypedArray, shape: readonly number[], dtype: DType, requiresGrad?: boolean): Tensor {
  const t = new Tensor(data, shape, dtype);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function flattenInto(fn: string, values: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof values !== 'number')
      throw new ValueError(
        `${fn}: values must be numbers or nested arrays of numbers, found ${JSON.stringify(values)}`,
      );
    out.push(values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim])
    throw new ShapeError(
      `${fn}: nested arrays are ragged: expected ${shape[dim]} entries at depth ${dim} (shape ${formatShape(shape)}), found ${Array.isArray(values) ? values.length : 'a number'}`,
    );
  for (const v of values) flattenInto(fn, v, shape, dim + 1, out);
}

/**
 * Create a tensor from a number, (nested) arrays, or a typed array. Values are copied. Plain arrays
 * give float32 unless `dtype` says otherwise; a typed array keeps its own dtype. With `dtype:
 * 'float16'` or `'bfloat16'` numbers are rounded to the half type (to nearest, ties to even, through
 * float32 as in PyTorch), while a `Uint16Array` is taken as bit patterns (float16 unless `dtype` says
 * `'bfloat16'`).
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]); // shape [2, 2], float32
 * const b = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], dtype: 'float64' });
 * const w = tensor([0.5], { requiresGrad: true });
 * const h = tensor([0.1, 1e6], { dtype: 'bfloat16' }); // stored as Uint16Array [0x3dcd, 0x4974]
 * ```
 */
export function tensor(
  values: number | NestedArray | TypedArray | readonly number[],
  options: TensorOptions = {},
): Tensor {
  checkOptions('tensor', options, TENSOR_OPTIONS);
  let flat: ArrayLike<number>;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    shape = [(values as TypedArray).length];
    dtype =
      options.dtype === undefined ? dtypeOfArray(values as TypedArray) : checkDType('tensor', 'dtype', options.dtype);
  } else {
    shape = typeof values === 'number' ? [] : inferShape(values as NestedArray);
    const out: number[] = [];
    flattenInto('tensor', values as NestedArray, shape, 0, out);
    flat = out;
    dtype = options.dtype === undefined ? 'float32' : checkDType('tensor', 'dtype', options.dtype);
  }
  if (options.shape !== undefined) {
    const wanted = checkShape('tensor', 'shape', options.shape);
    if (shapeSize(wanted) !== flat.length)
      throw new ShapeError(
        `tensor: shape ${formatShape(wanted)} needs ${shapeSize(wanted)} values, got ${flat.length}`,
      );
    shape = wanted;
  }
  const data = allocate(dtype, flat.length);
  if (isHalfDType(dtype)) {
    // A Uint16Array holds bit patterns already; numbers are rounded to the half type.
    if (flat instanceof Uint16Array) data.set(flat);
    else encodeHalf(flat, dtype, data as Uint16Array);
    return finish(data, shape, dtype, options.requiresGrad);
  }
  if (flat instanceof Uint16Array)
    throw new DTypeError(
      `tensor: a Uint16Array holds float16/bfloat16 bit patterns and needs dtype 'float16' or 'bfloat16', got ${dtype}`,
    );
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isInteger(flat[i]))
        throw new ValueError(`tensor: int32 values must be integers, got ${flat[i]} at flat index ${i}`);
    }
  }
  data.set(flat);
  return finish(data, shape, dtype, options.requiresGrad);
}

/** What to store for `value` in an array of `dtype`: its bit pattern for the half types. */
function halfBitsOrValue(dtype: DType, value: number): number {
  if (dtype === 'float16') return float16Bits(value);
  if (dtype === 'bfloat16') return bfloat16Bits(value);
  return value;
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * full([2, 2], 7); // [[7, 7], [7, 7]]
 * ```
 */
export function full(shape: readonly number[], value: number, options: CreationOptions = {}): Tensor {
  return filled('full', shape, value, options, 'float32');
}

/** `full` for `fn`: checks the option names, then fills (`defaultDType` when `options.dtype` is not given). */
function filled(
  fn: string,
  shape: readonly number[],
  value: number,
  options: CreationOptions,
  defaultDType: DType,
): Tensor {
  checkOptions(fn, options, CREATION_OPTIONS);
  const s = checkShape(fn, 'shape', shape);
  const dtype = checkDType(fn, 'dtype', options.dtype ?? defaultDType);
  if (dtype === 'int32' && !Number.isInteger(value))
    throw new ValueError(`${fn}: an int32 fill value must be an integer, got ${value}`);
  const data = allocate(dtype, shapeSize(s));
  if (value !== 0) data.fill(halfBitsOrValue(dtype, value));
  return finish(data, s, dtype, options.requiresGrad);
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * zeros([2, 3]); // float32 zeros of shape [2, 3]
 * ```
 */
export function zeros(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return filled('zeros', shape, 0, options, 'float32');
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * ones([3], { dtype: 'float64' });
 * ```
 */
export function ones(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return filled('ones', shape, 1, options, 'float32');
}

/**
 * Zeros with the shape and (unless overridden) the dtype of `like`.
 *
 * @example
 * ```ts
 * zerosLike(tensor([1, 2])); // [0, 0]
 * ```
 */
export function zerosLike(like: Tensor, options: CreationOptions = {}): Tensor {
  return filled('zerosLike', like.shape, 0, options, like.dtype);
}

/**
 * Ones with the shape and (unless overridden) the dtype of `like`.
 *
 * @example
 * ```ts
 * onesLike(tensor([1, 2])); // [1, 1]
 * ```
 */
export function onesLike(like: Tensor, options: CreationOptions = {}): Tensor {
  return filled('onesLike', like.shape, 1, options, like.dtype);
}

/**
 * `full(like.shape, value)` with the dtype of `like`.
 *
 * @example
 * ```ts
 * fullLike(tensor([1, 2]), 5); // [5, 5]
 * ```
 */
export function fullLike(like: Tensor, value: number, options: CreationOptions = {}): Tensor {
  return filled('fullLike', like.shape, value, options, like.dtype);
}

/**
 * Values from `start` up to but not including `end`, `step` apart (`arange(n)` counts `0..n-1`).
 *
 * @example
 * ```ts
 * arange(5); // [0, 1, 2, 3, 4]
 * arange(1, 2, 0.25); // [1, 1.25, 1.5, 1.75]
 * ```
 */
export function arange(start: number, end?: number, step = 1, options: CreationOptions = {}): Tensor {
  checkOptions('arange', options, CREATION_OPTIONS);
  let lo = start;
  let hi = end;
  if (hi === undefined) {
    hi = lo;
    lo = 0;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !Number.isFinite(step))
    throw new ValueError(`arange: start, end and step must be finite, got ${lo}, ${hi}, ${step}`);
  if (step === 0) throw new ValueError('arange: step must be nonzero, got 0');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const allInts = Number.isInteger(lo) && Number.isInteger(step);
  const dtype = checkDType('arange', 'dtype', options.dtype ?? 'float32');
  if (dtype === 'int32' && !allInts) throw new ValueError('arange: int32 needs an integer start and step');
  const data = isHalfDType(dtype) ? new Float64Array(n) : allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  if (isHalfDType(dtype))
    return finish(encodeHalf(data, dtype, allocate(dtype, n) as Uint16Array), [n], dtype, options.requiresGrad);
  return finish(data, [n], dtype, options.requiresGrad);
}

/**
 * `steps` evenly spaced values from `start` to `end`, both included, like `torch.linspace`; one step
 * gives `[start]` and zero steps an empty tensor.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 * linspace(2, 5, 1); // [2]
 * ```
 */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  checkOptions('linspace', options, CREATION_OPTIONS);
  if (!Number.isInteger(steps) || steps < 0)
    throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = checkDType('linspace', 'dtype', options.dtype ?? 'float32');
  const data = isHalfDType(dtype) ? new Float64Array(steps) : allocate(dtype, steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // NOTE: like PyTorch, fill the second half from the end so that the last value is exactly `end`;
  // one step is `[start]` (PyTorch, NumPy), so it counts as the first half.
  const half = steps === 1 ? 1 : Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) data[i] = i < half ? start + delta * i : end - delta * (steps - 1 - i);
  if (isHalfDType(dtype))
    return finish(encodeHalf(data, dtype, allocate(dtype, steps) as Uint16Array), [steps], dtype, options.requiresGrad);
  return finish(data, [steps], dtype, options.requiresGrad);
}

/**
 * An `n` x `m` matrix with ones on the diagonal (`m` defaults to `n`).
 *
 * @example
 * ```ts
 * eye(2); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m: number = n, options: CreationOptions = {}): Tensor {
  checkOptions('eye', options, CREATION_OPTIONS);
  const t = filled('eye', [n, m], 0, { dtype: options.dtype }, 'float32');
  const one = halfBitsOrValue(t.dtype, 1);
  for (let i = 0; i < Math.min(n, m); i++) t.values[i * m + i] = one;
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}
