import { CaptureError, isCapturing } from './capture-state';
import { checkOptions, optionNames } from './check-options';
import { allocate, checkDType, type DType, isFloatingDType, isHalfDType } from './dtype';
import { DTypeError, ValueError } from './errors';
import { checkShape, shapeSize } from './shape';
import { Tensor } from './tensor';

/** The whole state of a {@link Generator}, as plain JSON-safe data (for checkpoints). */
export interface GeneratorState {
  /** The four 32-bit words of the xoshiro128** state. */
  s: [number, number, number, number];
  /** A second normal deviate kept from the last Box-Muller draw, or null. */
  spareNormal: number | null;
}

// A replay would repeat the random numbers drawn at capture (dropout's mask, an initialiser's values).
function refuseDraw(): never {
  throw new CaptureError(
    'Generator: cannot draw random numbers inside capture(): a replay would repeat the same ones; draw them outside and pass them in as an input',
  );
}

function splitmix32(seed: number): () => number {
  let z = seed >>> 0;
  return () => {
    z = (z + 0x9e3779b9) >>> 0;
    let x = z;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return (x ^ (x >>> 16)) >>> 0;
  };
}

/**
 * A seeded source of random numbers (xoshiro128**, seeded through splitmix32) that gives the same
 * numbers on every platform: it uses only 32-bit integer arithmetic.
 *
 * @example
 * ```ts
 * const g = new Generator(42);
 * randn([2, 2], { generator: g }); // the same values on every run and every machine
 * ```
 */
export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /**
   * Reset the generator to the start of the stream for `seed` (an integer; only its low 32 bits
   * count) and return it.
   */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new ValueError(`Generator.manualSeed: seed must be a finite number, got ${seed}`);
    const next = splitmix32(Math.trunc(seed) >>> 0);
    for (let i = 0; i < 4; i++) this.s[i] = next();
    this.spare = null;
    return this;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    if (isCapturing()) refuseDraw();
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform double in `[0, 1)` with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * A standard normal deviate, by Marsaglia's polar method (pairs; the second value of each pair is
   * kept for the next call).
   */
  normal(): number {
    if (isCapturing()) refuseDraw();
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    // NOTE: Math.log, Math.sin and Math.cos may differ in the last bit between JavaScript engines;
    // the polar method needs only a logarithm, and portableLog uses only IEEE-exact arithmetic, so
    // the same seed gives the same normals in every engine.
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * portableLog(s)) / s);
    this.spare = v * factor;
    return u * factor;
  }

  /** An integer uniform in `[low, high)`. */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** A copy of the state as plain data. */
  getState(): GeneratorState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spareNormal: this.spare };
  }

  /** Restore a state from {@link Generator.getState}. */
  setState(state: GeneratorState): this {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4)
      throw new ValueError('Generator.setState: state must come from getState() ({ s: [4 numbers], spareNormal })');
    this.s.set(state.s.map((v) => v >>> 0));
    this.spare = state.spareNormal ?? null;
    return this;
  }
}

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
// Coefficients of the minimax polynomial for log((1+s)/(1-s)) on |s| < 0.1716 (Sun's fdlibm, e_log.c).
const LG1 = 0.6666666666666735;
const LG2 = 0.3999999999940942;
const LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784;
const LG5 = 0.1818357216161805;
const LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;
const bits = new DataView(new ArrayBuffer(8));

/**
 * The natural logarithm of a positive finite `x`, computed with +, -, *, / only (each correctly
 * rounded by IEEE 754), so it gives the same bits in every JavaScript engine; accurate to < 1 ulp.
 * Write `x = 2^k * m` with `m` in `[sqrt(2)/2, sqrt(2))`, then `log(m) = 2 atanh(f / (2 + f))` with
 * `f = m - 1`, evaluated by the fdlibm polynomial.
 */
export function portableLog(x: number): number {
  bits.setFloat64(0, x);
  let hi = bits.getUint32(0);
  let k = 0;
  if (hi < 0x00100000) {
    // subnormal: scale into the normal range first
    bits.setFloat64(0, x * 18014398509481984);
    hi = bits.getUint32(0);
    k = -54;
  }
  k += (hi >>> 20) - 1023;
  let mantHi = hi & 0x000fffff;
  // NOTE: choose the exponent so that m lands in [sqrt(2)/2, sqrt(2)): 0x6a09e is sqrt(2)'s mantissa.
  const i = (mantHi + 0x95f64) & 0x100000;
  mantHi |= i ^ 0x3ff00000;
  k += i >>> 20;
  bits.setUint32(0, mantHi);
  const m = bits.getFloat64(0);
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const hfsq = 0.5 * f * f;
  return k * LN2_HI - (hfsq - (s * (hfsq + r) + k * LN2_LO) - f);
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let defaultGen = new Generator(0);

/**
 * The global generator used when no `generator` option is given.
 *
 * @example
 * ```ts
 * defaultGenerator().getState();
 * ```
 */
export function defaultGenerator(): Generator {
  return defaultGen;
}

/**
 * Seed the global generator, like `torch.manual_seed`, and return it.
 *
 * @example
 * ```ts
 * manualSeed(0); const a = randn([3]);
 * manualSeed(0); const b = randn([3]); // a and b are equal
 * ```
 */
export function manualSeed(seed: number): Generator {
  defaultGen = new Generator(seed);
  return defaultGen;
}

/** Options of the random creation functions. */
export interface RandomOptions {
  /** Element type (default float32; int32 for {@link randint}). */
  dtype?: DType;
  /** The generator to draw from (default: the global one, see {@link manualSeed}). */
  generator?: Generator;
  /** Make the result a leaf that requires gradients. */
  requiresGrad?: boolean;
}

const RANDOM_OPTIONS = optionNames<RandomOptions>({ dtype: true, generator: true, requiresGrad: true });
const RANDPERM_OPTIONS = optionNames<RandpermOptions>({ generator: true });

/** Options of {@link randperm}. */
export interface RandpermOptions {
  /** The generator to draw from (default: the global one, see {@link manualSeed}). */
  generator?: Generator;
}

function fillRandom(
  fn: string,
  shape: readonly number[],
  options: RandomOptions,
  draw: (g: Generator) => number,
): Tensor {
  const s = checkShape(fn, 'shape', shape);
  const dtype = checkDType(fn, 'dtype', options.dtype ?? 'float32');
  if (!isFloatingDType(dtype)) throw new ValueError(`${fn}: dtype must be float32 or float64, got ${dtype}`);
  if (isHalfDType(dtype))
    throw new DTypeError(
      `${fn}: dtype ${dtype} is a storage type; draw float32 values and convert them with .to('${dtype}')`,
    );
  const g = options.generator ?? defaultGen;
  const data = allocate(dtype, shapeSize(s));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  const t = new Tensor(data, s, dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * Uniform random values in `[0, 1)`.
 *
 * @example
 * ```ts
 * rand([2, 3], { generator: new Generator(1) });
 * ```
 */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkOptions('rand', options, RANDOM_OPTIONS);
  // NOTE: a double above 1 - 2^-25 rounds up to 1 when stored as float32; cap it at the largest
  // float32 below 1 so that rand stays in [0, 1) as PyTorch's does.
  const top = options.dtype === 'float64' ? 1 : 1 - 2 ** -24;
  return fillRandom('rand', shape, options, (g) => Math.min(g.uniform(), top));
}

/**
 * Standard normal random values.
 *
 * @example
 * ```ts
 * randn([128, 10], { dtype: 'float64' });
 * ```
 */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkOptions('randn', options, RANDOM_OPTIONS);
  return fillRandom('randn', shape, options, (g) => g.normal());
}

/**
 * Uniform random integers in `[low, high)`, int32 by default.
 *
 * @example
 * ```ts
 * randint(0, 10, [5]); // five labels in 0..9
 * ```
 */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low)
    throw new ValueError(`randint: low and high must be integers with low < high, got ${low} and ${high}`);
  checkOptions('randint', options, RANDOM_OPTIONS);
  const s = checkShape('randint', 'shape', shape);
  const dtype = checkDType('randint', 'dtype', options.dtype ?? 'int32');
  if (isHalfDType(dtype))
    throw new DTypeError(
      `randint: dtype ${dtype} is a storage type; draw int32 or float32 values and convert them with .to('${dtype}')`,
    );
  const g = options.generator ?? defaultGen;
  const data = allocate(dtype, shapeSize(s));
  for (let i = 0; i < data.length; i++) data[i] = g.integer(low, high);
  const t = new Tensor(data, s, dtype);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * A random permutation of `0..n-1` (int32), by Fisher-Yates.
 *
 * @example
 * ```ts
 * randperm(5, { generator: new Generator(3) });
 * ```
 */
export function randperm(n: number, options: RandpermOptions = {}): Tensor {
  checkOptions('randperm', options, RANDPERM_OPTIONS);
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`randperm: n must be a non-negative integer, got ${n}`);
  const g = options.generator ?? defaultGen;
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.integer(0, i + 1);
    const tmp = data[i];
    data[i] = data[j];
    data[j] = tmp;
  }
  return new Tensor(data, [n], 'int32');
}
