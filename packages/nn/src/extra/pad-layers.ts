import {
  checkOptions,
  circularPad,
  pad as constantPad,
  optionNames,
  reflectionPad,
  replicationPad,
  ShapeError,
  Tensor,
  ValueError,
} from '@nablajs/core';
import { checkInput, formatShape } from '../layers/util';
import { Module } from '../module';

/**
 * The modes of {@link pad} (PyTorch's `mode` argument of `F.pad`): `'constant'` fills with a value,
 * `'reflect'` mirrors about the edge, `'replicate'` repeats the edge, `'circular'` wraps around.
 *
 * @example
 * ```ts
 * const mode: PadMode = 'circular';
 * F.pad(randn([1, 2, 5]), [2, 2], { mode });
 * ```
 */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Options of {@link pad}, with PyTorch's defaults. */
export interface PadOptions {
  /** `'constant'` (default), `'reflect'`, `'replicate'` or `'circular'`. */
  mode?: PadMode;
  /** The fill value of `'constant'` mode (default 0); not allowed with the other modes. */
  value?: number | null;
}

const MODES: readonly string[] = ['constant', 'reflect', 'replicate', 'circular'];
const PAD_OPTIONS = optionNames<PadOptions>({ mode: true, value: true });

/**
 * Pad a tensor, like PyTorch 1.13's `torch.nn.functional.pad`: `padding` holds `[before, after]` pairs
 * starting from the LAST dim (`[left, right, top, bottom, front, back]`). `'constant'` fills with
 * `value` (any number of dims); `'reflect'` mirrors about the edge (`x[-i] = x[i]`, padding smaller
 * than the dim), `'replicate'` repeats the edge value and `'circular'` wraps around (padding at most the
 * dim); these three pad the last 1, 2 or 3 dims of an input with one or two more dims (the channels, and
 * optionally the batch). Negative padding crops in every mode.
 *
 * Gradient: each output gradient flows back to the input element it copies (summed where several copy it).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.pad.html
 *
 * @example
 * ```ts
 * F.pad(randn([1, 2, 4, 4]), [1, 1, 2, 0], { mode: 'reflect' }).shape; // [1, 2, 6, 6]
 * F.pad(tensor([[1, 2, 3]]), [2, 1], { mode: 'replicate' }).toArray(); // [[1, 1, 1, 2, 3, 3]]
 * ```
 */
export function pad(input: Tensor, padding: readonly number[], options: PadOptions = {}): Tensor {
  const fn = 'pad';
  if (!(input instanceof Tensor))
    throw new ValueError(`${fn}: input must be a Tensor, got ${input === null ? 'null' : typeof input}`);
  checkOptions(fn, options, PAD_OPTIONS);
  const mode = options.mode ?? 'constant';
  if (!MODES.includes(mode))
    throw new ValueError(
      `${fn}: unsupported padding mode ${JSON.stringify(mode)}; expected 'constant', 'reflect', 'replicate' or 'circular'`,
    );
  if (!Array.isArray(padding) || padding.length % 2 !== 0 || !padding.every((p) => Number.isInteger(p)))
    throw new ValueError(`${fn}: padding must be an even-length list of integers, got ${JSON.stringify(padding)}`);
  const value = options.value ?? null;
  if (mode === 'constant') {
    if (value !== null && typeof value !== 'number')
      throw new ValueError(`${fn}: value must be a number, got ${JSON.stringify(value)}`);
    return constantPad(input, padding, value ?? 0);
  }
  if (value !== null) throw new ValueError(`${fn}: padding mode '${mode}' does not take a value (got ${value})`);
  const k = padding.length / 2;
  if (k < 1 || k > 3 || (input.ndim !== k + 1 && input.ndim !== k + 2))
    throw new ShapeError(
      `${fn}: '${mode}' padding of ${padding.length} values pads the last ${k} dims of a ${k + 1}-D or ${k + 2}-D input (1 to 3 pairs), got input shape ${formatShape(input.shape)}`,
    );
  for (let i = 0; i < k; i++) {
    const d = input.ndim - 1 - i;
    const n = input.shape[d];
    const lo = padding[2 * i];
    const hi = padding[2 * i + 1];
    if (n + lo + hi < 1)
      throw new ShapeError(
        `${fn}: padding [${lo}, ${hi}] leaves no element of dim ${d} (size ${n}, input shape ${formatShape(input.shape)})`,
      );
    if (mode === 'reflect' && (lo >= n || hi >= n))
      throw new ShapeError(
        `${fn}: reflect padding [${lo}, ${hi}] must be smaller than the size ${n} of dim ${d} (input shape ${formatShape(input.shape)})`,
      );
    const kept = n - Math.max(0, -lo) - Math.max(0, -hi);
    if (mode === 'circular' && (kept < 1 || lo > kept || hi > kept))
      throw new ShapeError(
        `${fn}: circular padding [${lo}, ${hi}] must wrap around at most once: at most the size ${kept} of dim ${d} after cropping (input shape ${formatShape(input.shape)})`,
      );
    if (mode === 'replicate' && n === 0)
      throw new ShapeError(`${fn}: cannot replicate-pad the empty dim ${d} of shape ${formatShape(input.shape)}`);
  }
  if (mode === 'reflect') return reflectionPad(input, padding);
  if (mode === 'replicate') return replicationPad(input, padding);
  return circularPad(input, padding);
}

function padList(label: string, padding: unknown, pairs: 1 | 2 | 3, allowNegative: boolean): number[] {
  const n = pairs * 2;
  const list =
    typeof padding === 'number' ? new Array<number>(n).fill(padding) : Array.isArray(padding) ? padding : null;
  if (
    list === null ||
    list.length !== n ||
    !list.every((p) => typeof p === 'number' && Number.isInteger(p) && (allowNegative || p >= 0))
  )
    throw new ValueError(
      `${label}: padding must be an integer or a list of ${n} ${allowNegative ? 'integers' : 'non-negative integers'}, got ${JSON.stringify(padding)}`,
    );
  return [...list];
}

/** `value` if it is a number (a constant padding layer's fill), else a ValueError naming `label`. */
export function fillValue(label: string, value: unknown): number {
  if (typeof value !== 'number') throw new ValueError(`${label}: value must be a number, got ${typeof value}`);
  return value;
}

/**
 * The shared body of the padding layers (here and in pad-more-layers.ts): fixed padding, one mode, a 2-D/3-D
 * (1-d), 3-D/4-D (2-d) or 4-D/5-D (3-d) input.
 */
export abstract class PadNd extends Module {
  /** The padding, `[left, right]` (1-d), `[left, right, top, bottom]` (2-d), then `front, back` (3-d). */
  readonly padding: readonly number[];
  /** The padding mode of `F.pad` this layer applies. */
  protected abstract readonly mode: PadMode;
  /** The value of constant padding (0 for the other modes). */
  protected readonly fill: number;

  constructor(
    /** The layer's name in error messages. */
    protected readonly label: string,
    padding: unknown,
    pairs: 1 | 2 | 3,
    fill = 0,
    allowNegative = true,
  ) {
    super();
    this.padding = padList(label, padding, pairs, allowNegative);
    this.fill = fill;
  }

  /** Pad `input`. */
  forward(input: Tensor): Tensor {
    checkInput(this.label, input);
    const k = this.padding.length / 2;
    if (input.ndim !== k + 1 && input.ndim !== k + 2)
      throw new ShapeError(
        `${this.label}: expected a ${k + 1}-D or ${k + 2}-D input, got shape ${formatShape(input.shape)}`,
      );
    if (this.mode === 'constant') return constantPad(input, this.padding, this.fill);
    return pad(input, this.padding, { mode: this.mode });
  }

  override extraRepr(): string {
    return this.mode === 'constant' && this.fill !== 0
      ? `padding=${formatShape(this.padding)}, value=${this.fill}`
      : `padding=${formatShape(this.padding)}`;
  }
}

/**
 * Pad the last two dims with zeros, like `torch.nn.ZeroPad2d`: `padding` is one integer for all four
 * sides or `[left, right, top, bottom]` (negative values crop); `H_out = H + top + bottom`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ZeroPad2d.html
 *
 * @example
 * ```ts
 * new ZeroPad2d([1, 1, 2, 0]).forward(randn([1, 3, 4, 4])).shape; // [1, 3, 6, 6]
 * ```
 */
export class ZeroPad2d extends PadNd {
  /** Pads with mode `'constant'`. */
  protected readonly mode = 'constant';
  constructor(padding: number | readonly [number, number, number, number]) {
    super('ZeroPad2d', padding, 2, 0, true);
  }
}

/**
 * Pad the last two dims with a constant `value`, like `torch.nn.ConstantPad2d`: `padding` is one integer
 * or `[left, right, top, bottom]` (negative values crop); `H_out = H + top + bottom`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ConstantPad2d.html
 *
 * @example
 * ```ts
 * new ConstantPad2d(1, 3.5).forward(randn([2, 4, 4])).shape; // [2, 6, 6]
 * ```
 */
export class ConstantPad2d extends PadNd {
  /** Pads with mode `'constant'`. */
  protected readonly mode = 'constant';
  constructor(padding: number | readonly [number, number, number, number], value: number) {
    super('ConstantPad2d', padding, 2, fillValue('ConstantPad2d', value), true);
  }
}

/**
 * Pad the last dim by reflection about its edges, like `torch.nn.ReflectionPad1d`: `padding` is one
 * integer or `[left, right]`, each smaller than the input length; output position `j` reads
 * `x[|j - left|]` folded back at the far end.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ReflectionPad1d.html
 *
 * @example
 * ```ts
 * new ReflectionPad1d(2).forward(randn([1, 3, 5])).shape; // [1, 3, 9]
 * ```
 */
export class ReflectionPad1d extends PadNd {
  /** Pads with mode `'reflect'`. */
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly [number, number]) {
    super('ReflectionPad1d', padding, 1);
  }
}

/**
 * Pad the last two dims by reflection about their edges, like `torch.nn.ReflectionPad2d`: `padding` is
 * one integer or `[left, right, top, bottom]`, each smaller than the padded dim.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ReflectionPad2d.html
 *
 * @example
 * ```ts
 * new ReflectionPad2d([1, 1, 2, 0]).forward(randn([1, 3, 4, 4])).shape; // [1, 3, 6, 6]
 * ```
 */
export class ReflectionPad2d extends PadNd {
  /** Pads with mode `'reflect'`. */
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly [number, number, number, number]) {
    super('ReflectionPad2d', padding, 2);
  }
}

/**
 * Pad the last dim by repeating its edge values, like `torch.nn.ReplicationPad1d`: `padding` is one
 * integer or `[left, right]`; output position `j` reads `x[clamp(j - left, 0, L - 1)]`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ReplicationPad1d.html
 *
 * @example
 * ```ts
 * new ReplicationPad1d([3, 1]).forward(randn([2, 4])).shape; // [2, 8]
 * ```
 */
export class ReplicationPad1d extends PadNd {
  /** Pads with mode `'replicate'`. */
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly [number, number]) {
    super('ReplicationPad1d', padding, 1);
  }
}

/**
 * Pad the last two dims by repeating their edge values, like `torch.nn.ReplicationPad2d`: `padding` is
 * one integer or `[left, right, top, bottom]`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ReplicationPad2d.html
 *
 * @example
 * ```ts
 * new ReplicationPad2d(2).forward(randn([1, 3, 4, 4])).shape; // [1, 3, 8, 8]
 * ```
 */
export class ReplicationPad2d extends PadNd {
  /** Pads with mode `'replicate'`. */
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly [number, number, number, number]) {
    super('ReplicationPad2d', padding, 2);
  }
}
