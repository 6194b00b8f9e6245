import { allocate, checkDType, type DType, isFloatingDType } from './dtype';
import { ValueError } from './errors';
import { checkShape, shapeSize } from './shape';
import { Tensor } from './tensor';

/** The whole state of a {@link Generator}, as plain JSON-safe data (for checkpoints). */
export interface GeneratorState {
  /** The four 32-bit words of the xoshiro128** state. */
  s: [number, number, number, number];
  /** A second normal deviate kept from the last Box-Muller draw, or null. */
  spareNormal: number | null;
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

  /** A standard normal deviate (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
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

function fillRandom(
  fn: string,
  shape: readonly number[],
  options: RandomOptions,
  draw: (g: Generator) => number,
): Tensor {
  const s = checkShape(fn, 'shape', shape);
  const dtype = checkDType(fn, 'dtype', options.dtype ?? 'float32');
  if (!isFloatingDType(dtype)) throw new ValueError(`${fn}: dtype must be float32 or float64, got ${dtype}`);
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
  const s = checkShape('randint', 'shape', shape);
  const dtype = checkDType('randint', 'dtype', options.dtype ?? 'int32');
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
export function randperm(n: number, options: { generator?: Generator } = {}): Tensor {
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
