// Parameter initialisers, like torch.nn.init. Each one WRITES IN PLACE into `tensor.data` and returns
// the same tensor; the trailing underscore of PyTorch's names (`kaiming_uniform_`) is dropped.

import {
  checkOptions,
  copyKernel,
  DTypeError,
  defaultGenerator,
  encodeHalf,
  type Generator,
  isFloatingDType,
  isHalfDType,
  optionNames,
  resolveKernel,
  Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import { hostValuesOrNull, newArrayLike } from './host-values';

/** Options shared by the random initialisers. */
export interface InitOptions {
  /** The generator to draw from (default: core's global generator, see `manualSeed`). */
  generator?: Generator;
}

/** The nonlinearities {@link calculateGain} knows, in lowerCamelCase (PyTorch's names, camelCased). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

/** Which fan {@link kaimingUniform} and {@link kaimingNormal} scale by: `'fanIn'` keeps the forward variance, `'fanOut'` the backward one. */
export type FanMode = 'fanIn' | 'fanOut';

/** Options of {@link kaimingUniform} and {@link kaimingNormal}, with PyTorch's defaults. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope of the rectifier after this layer, used only with `'leakyRelu'` (default 0). */
  a?: number;
  /** `'fanIn'` (default) or `'fanOut'`. */
  mode?: FanMode;
  /** The nonlinearity after this layer (default `'leakyRelu'`, as in PyTorch). */
  nonlinearity?: Nonlinearity;
}

function checkTensor(fn: string, tensor: Tensor, needsFloat: boolean): void {
  if (!(tensor instanceof Tensor)) throw new ValueError(`${fn}: tensor must be a Tensor`);
  if (needsFloat && !isFloatingDType(tensor.dtype))
    throw new DTypeError(`${fn}: tensor must be float32, float64, float16 or bfloat16, got ${tensor.dtype}`);
}

function checkFinite(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValueError(`${fn}: ${name} must be a finite number, got ${value}`);
}

const INIT_OPTIONS = optionNames<InitOptions>({ generator: true });
const KAIMING_OPTIONS = [
  ...INIT_OPTIONS,
  ...optionNames<Omit<KaimingOptions, keyof InitOptions>>({ a: true, mode: true, nonlinearity: true }),
];

/** Check `options` (a misspelled key is an error, see core's `checkOptions`) and return its generator. */
function generatorOf(fn: string, options: InitOptions): Generator {
  checkOptions(fn, options, INIT_OPTIONS);
  return options.generator ?? defaultGenerator();
}

/**
 * The numbers to fill: the tensor's own array, float32 scratch for 16-bit storage (bit patterns), or, where
 * the tensor's values may be on the GPU (webgpu backend), a new array of its dtype that {@link stored} copies in.
 */
function writable(tensor: Tensor): TypedArray {
  if (isHalfDType(tensor.dtype)) return new Float32Array(tensor.size);
  return hostValuesOrNull(tensor) ?? newArrayLike(tensor);
}

/** Store `data` (from {@link writable}) in `tensor`, rounding to 16-bit storage, and count the write. */
function stored(tensor: Tensor, data: TypedArray): Tensor {
  const dtype = tensor.dtype;
  if (isHalfDType(dtype)) encodeHalf(data, dtype, tensor.values as Uint16Array);
  else if (data !== tensor._array) resolveKernel('copy', copyKernel)(data, tensor._array);
  return tensor.markModified();
}

/**
 * The recommended gain for a nonlinearity, like `torch.nn.init.calculate_gain`: 1 for linear,
 * convolutions and sigmoid, 5/3 for tanh, √2 for ReLU, `√(2 / (1 + slope²))` for leaky ReLU (slope
 * `param`, default 0.01) and 3/4 for SELU.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.calculate_gain
 *
 * @example
 * ```ts
 * calculateGain('relu'); // 1.4142135623730951
 * calculateGain('leakyRelu', 0.2); // √(2 / 1.04)
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      checkFinite('calculateGain', 'param (the negative slope)', slope);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(
        `calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}; expected one of linear, conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d, sigmoid, tanh, relu, leakyRelu, selu`,
      );
  }
}

/** The fans of a weight tensor, as {@link calculateFanInAndFanOut} returns them. */
export interface FanInAndFanOut {
  /** Inputs per output unit: `shape[1]` times the receptive field size. */
  fanIn: number;
  /** Outputs per input unit: `shape[0]` times the receptive field size. */
  fanOut: number;
}

/**
 * The fan-in and fan-out of a weight, as PyTorch computes them: for a weight of shape
 * `[out, in, ...kernel]`, `fanIn = in · prod(kernel)` and `fanOut = out · prod(kernel)`. Needs at least 2 dims.
 *
 * @example
 * ```ts
 * calculateFanInAndFanOut(zeros([8, 3, 5, 5])); // { fanIn: 75, fanOut: 200 }
 * ```
 */
export function calculateFanInAndFanOut(tensor: Tensor, fn = 'calculateFanInAndFanOut'): FanInAndFanOut {
  checkTensor(fn, tensor, false);
  if (tensor.shape.length < 2)
    throw new ValueError(
      `${fn}: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape ${JSON.stringify(tensor.shape)}`,
    );
  let receptive = 1;
  for (let d = 2; d < tensor.shape.length; d++) receptive *= tensor.shape[d];
  return { fanIn: tensor.shape[1] * receptive, fanOut: tensor.shape[0] * receptive };
}

/**
 * Fill `tensor` in place with values drawn from the uniform distribution `U(a, b)`, like `torch.nn.init.uniform_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.uniform_
 *
 * @example
 * ```ts
 * const w = zeros([3, 5]);
 * uniform(w, -0.1, 0.1, { generator: new Generator(0) }); // w now holds values in [-0.1, 0.1)
 * ```
 */
export function uniform(tensor: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  checkTensor('uniform', tensor, true);
  checkFinite('uniform', 'a', a);
  checkFinite('uniform', 'b', b);
  if (a > b) throw new ValueError(`uniform: a must be <= b, got a = ${a} and b = ${b}`);
  const g = generatorOf('uniform', options);
  const data = writable(tensor);
  for (let i = 0; i < data.length; i++) data[i] = a + (b - a) * g.uniform();
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with values drawn from the normal distribution `N(mean, std²)`, like `torch.nn.init.normal_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.normal_
 *
 * @example
 * ```ts
 * normal(zeros([4, 4]), 0, 0.02); // GPT-style embedding init
 * ```
 */
export function normal(tensor: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  checkTensor('normal', tensor, true);
  checkFinite('normal', 'mean', mean);
  checkFinite('normal', 'std', std);
  if (std < 0) throw new ValueError(`normal: std must be >= 0, got ${std}`);
  const g = generatorOf('normal', options);
  const data = writable(tensor);
  for (let i = 0; i < data.length; i++) data[i] = mean + std * g.normal();
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with `value`, like `torch.nn.init.constant_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.constant_
 *
 * @example
 * ```ts
 * constant(zeros([3]), 0.5).toArray(); // [0.5, 0.5, 0.5]
 * ```
 */
export function constant(tensor: Tensor, value: number): Tensor {
  checkTensor('constant', tensor, false);
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ValueError(`constant: value must be a number, got ${value}`);
  const data = writable(tensor);
  data.fill(value);
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with zeros, like `torch.nn.init.zeros_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.zeros_
 *
 * @example
 * ```ts
 * init.zeros(linear.bias);
 * ```
 */
export function zeros(tensor: Tensor): Tensor {
  checkTensor('zeros', tensor, false);
  const data = writable(tensor);
  data.fill(0);
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with ones, like `torch.nn.init.ones_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.ones_
 *
 * @example
 * ```ts
 * init.ones(layerNorm.weight);
 * ```
 */
export function ones(tensor: Tensor): Tensor {
  checkTensor('ones', tensor, false);
  const data = writable(tensor);
  data.fill(1);
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with Glorot/Xavier uniform values, like `torch.nn.init.xavier_uniform_`:
 * `U(-bound, bound)` with `bound = gain · √(6 / (fanIn + fanOut))` (Glorot & Bengio, 2010).
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.xavier_uniform_
 *
 * @example
 * ```ts
 * xavierUniform(linear.weight, calculateGain('tanh'));
 * ```
 */
export function xavierUniform(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  checkTensor('xavierUniform', tensor, true);
  checkFinite('xavierUniform', 'gain', gain);
  checkOptions('xavierUniform', options, INIT_OPTIONS);
  const { fanIn, fanOut } = calculateFanInAndFanOut(tensor, 'xavierUniform');
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(tensor, -bound, bound, { generator: options.generator });
}

/**
 * Fill `tensor` in place with Glorot/Xavier normal values, like `torch.nn.init.xavier_normal_`:
 * `N(0, std²)` with `std = gain · √(2 / (fanIn + fanOut))`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.xavier_normal_
 *
 * @example
 * ```ts
 * xavierNormal(linear.weight);
 * ```
 */
export function xavierNormal(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  checkTensor('xavierNormal', tensor, true);
  checkFinite('xavierNormal', 'gain', gain);
  checkOptions('xavierNormal', options, INIT_OPTIONS);
  const { fanIn, fanOut } = calculateFanInAndFanOut(tensor, 'xavierNormal');
  return normal(tensor, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), { generator: options.generator });
}

function kaimingStd(fn: string, tensor: Tensor, options: KaimingOptions): number {
  checkOptions(fn, options, KAIMING_OPTIONS);
  const { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' } = options;
  if (mode !== 'fanIn' && mode !== 'fanOut')
    throw new ValueError(`${fn}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(tensor, fn);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  if (fan === 0)
    throw new ValueError(`${fn}: cannot initialise a tensor with zero ${mode} (shape ${JSON.stringify(tensor.shape)})`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * Fill `tensor` in place with He/Kaiming uniform values, like `torch.nn.init.kaiming_uniform_`:
 * `U(-bound, bound)` with `bound = gain · √(3 / fan)`, `gain = calculateGain(nonlinearity, a)` and
 * `fan` the fan-in or fan-out (He et al., 2015). With `a = √5` this is PyTorch's default Linear/Conv init,
 * `U(-1/√fanIn, 1/√fanIn)`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.kaiming_uniform_
 *
 * @example
 * ```ts
 * kaimingUniform(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' });
 * ```
 */
export function kaimingUniform(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingUniform', tensor, true);
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', tensor, options);
  return uniform(tensor, -bound, bound, { generator: options.generator });
}

/**
 * Fill `tensor` in place with He/Kaiming normal values, like `torch.nn.init.kaiming_normal_`:
 * `N(0, std²)` with `std = gain / √fan`, `gain = calculateGain(nonlinearity, a)`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.kaiming_normal_
 *
 * @example
 * ```ts
 * kaimingNormal(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' }); // ResNet's init
 * ```
 */
export function kaimingNormal(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingNormal', tensor, true);
  return normal(tensor, 0, kaimingStd('kaimingNormal', tensor, options), { generator: options.generator });
}

// NOTE: erfc from Numerical Recipes (Chebyshev fit, fractional error < 1.2e-7 everywhere, also in the
// tails), enough to place the truncation points of truncNormal.
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

// Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9).
function normalPpf(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * Fill `tensor` in place with values from a normal distribution `N(mean, std²)` truncated to `[a, b]`,
 * like `torch.nn.init.trunc_normal_`: inverse-CDF sampling of a uniform draw between `Φ((a - mean)/std)`
 * and `Φ((b - mean)/std)`, then clamping to `[a, b]`. Note that `a` and `b` are absolute bounds, not
 * multiples of `std`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.trunc_normal_
 *
 * @example
 * ```ts
 * truncNormal(vit.posEmbedding, 0, 0.02); // values in [-2, 2] (the defaults a = -2, b = 2)
 * truncNormal(w, 0, 1, -0.5, 0.5);
 * ```
 */
export function truncNormal(tensor: Tensor, mean = 0, std = 1, a = -2, b = 2, options: InitOptions = {}): Tensor {
  checkTensor('truncNormal', tensor, true);
  checkFinite('truncNormal', 'mean', mean);
  checkFinite('truncNormal', 'std', std);
  checkFinite('truncNormal', 'a', a);
  checkFinite('truncNormal', 'b', b);
  if (!(std > 0)) throw new ValueError(`truncNormal: std must be > 0, got ${std}`);
  if (!(a < b)) throw new ValueError(`truncNormal: a must be < b, got a = ${a} and b = ${b}`);
  const g = generatorOf('truncNormal', options);
  // NOTE: an interval in the upper tail is sampled as its mirror image in the lower tail, where
  // Φ has full relative precision (Φ(10) rounds to 1, Φ(-10) does not).
  const flip = (a - mean) / std > 0;
  const lo = flip ? (mean - b) / std : (a - mean) / std;
  const hi = flip ? (mean - a) / std : (b - mean) / std;
  const cdfLo = normalCdf(lo);
  const cdfHi = normalCdf(hi);
  const data = writable(tensor);
  for (let i = 0; i < data.length; i++) {
    const z = normalPpf(cdfLo + (cdfHi - cdfLo) * g.uniform());
    const v = mean + std * (flip ? -z : z);
    data[i] = Math.min(Math.max(v, a), b);
  }
  // Rounding to float32 can move a value just outside the bounds.
  for (let i = 0; i < data.length; i++) {
    if (data[i] < a) data[i] = a;
    else if (data[i] > b) data[i] = b;
  }
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with a (semi-)orthogonal matrix, like `torch.nn.init.orthogonal_` (Saxe et al.,
 * 2013): the tensor is viewed as `[rows, cols]` with `rows = shape[0]`; a Gaussian matrix is
 * QR-factorised, `Q` is sign-corrected by `sign(diag(R))` (so the result is uniformly distributed), and
 * scaled by `gain`. Then `WᵀW = gain²·I` when `rows >= cols`, else `WWᵀ = gain²·I`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.orthogonal_
 *
 * @example
 * ```ts
 * orthogonal(rnn.weightHh, 1);
 * ```
 */
export function orthogonal(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  checkTensor('orthogonal', tensor, true);
  checkFinite('orthogonal', 'gain', gain);
  if (tensor.shape.length < 2)
    throw new ValueError(
      `orthogonal: only tensors with 2 or more dimensions are supported, got shape ${JSON.stringify(tensor.shape)}`,
    );
  if (tensor.size === 0) return tensor;
  const rows = tensor.shape[0];
  const cols = tensor.size / rows;
  const g = generatorOf('orthogonal', options);
  // Work on the tall orientation m x n (m >= n); transpose back at the end when rows < cols.
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const flat = new Float64Array(rows * cols);
  for (let i = 0; i < flat.length; i++) flat[i] = g.normal();
  const A = new Float64Array(m * n);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      if (rows >= cols) A[i * n + j] = flat[i * cols + j];
      else A[j * n + i] = flat[i * cols + j];
    }
  const Q = householderQ(A, m, n);
  const data = writable(tensor);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) data[i * cols + j] = gain * (rows >= cols ? Q[i * n + j] : Q[j * n + i]);
  return stored(tensor, data);
}

/**
 * The thin Q (m x n, row-major) of the QR factorisation of the m x n matrix `A` (m >= n, row-major),
 * with the columns multiplied by sign(diag(R)) as PyTorch does. `A` is overwritten.
 */
function householderQ(A: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const diagSign: number[] = [];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k] * A[i * n + k];
    norm = Math.sqrt(norm);
    const alpha = A[k * n + k] >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i] * v[i];
    if (vnorm > 0) {
      // A <- (I - 2vvᵀ/vᵀv) A on rows k.., columns k..
      for (let j = k; j < n; j++) {
        let s = 0;
        for (let i = k; i < m; i++) s += v[i - k] * A[i * n + j];
        s = (2 * s) / vnorm;
        for (let i = k; i < m; i++) A[i * n + j] -= s * v[i - k];
      }
    }
    vs.push(v);
    // R[k][k] is now alpha (or the untouched value when the column was already zero below).
    diagSign.push(A[k * n + k] < 0 ? -1 : 1);
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const Q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) Q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i] * v[i];
    if (vnorm === 0) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i - k] * Q[i * n + j];
      s = (2 * s) / vnorm;
      for (let i = k; i < m; i++) Q[i * n + j] -= s * v[i - k];
    }
  }
  for (let j = 0; j < n; j++) if (diagSign[j] < 0) for (let i = 0; i < m; i++) Q[i * n + j] = -Q[i * n + j];
  return Q;
}
