// The padding layers beyond pad-layers.ts: ConstantPad1d, ConstantPad3d, ReflectionPad3d and ReplicationPad3d, and
// PyTorch 2.1's ZeroPad1d, ZeroPad3d and CircularPad1d/2d/3d, like the torch.nn modules of those names, each a
// fixed call of F.pad.

import { fillValue, PadNd } from './pad-layers';

/**
 * Pad the last dim with a constant `value`, like `torch.nn.ConstantPad1d`: `padding` is one integer for both
 * sides or `[left, right]` (negative values crop); `L_out = L + left + right`. Input `[N, C, L]` or `[C, L]`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ConstantPad1d.html
 *
 * @example
 * ```ts
 * new ConstantPad1d([3, 1], 0.5).forward(ones([1, 2])).toArray(); // [[0.5, 0.5, 0.5, 1, 1, 0.5]]
 * new ConstantPad1d(2, 0).forward(randn([4, 3, 5])).shape; // [4, 3, 9]
 * ```
 */
export class ConstantPad1d extends PadNd {
  /** Pads with mode `'constant'`. */
  protected readonly mode = 'constant';
  constructor(padding: number | readonly [number, number], value: number) {
    super('ConstantPad1d', padding, 1, fillValue('ConstantPad1d', value), true);
  }
}

/**
 * Pad the last three dims with a constant `value`, like `torch.nn.ConstantPad3d`: `padding` is one integer for
 * all six sides or `[left, right, top, bottom, front, back]` (negative values crop); `D_out = D + front + back`.
 * Input `[N, C, D, H, W]` or `[C, D, H, W]`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ConstantPad3d.html
 *
 * @example
 * ```ts
 * new ConstantPad3d([1, 1, 0, 2, 1, 0], -1).forward(randn([1, 2, 3, 3, 3])).shape; // [1, 2, 4, 5, 5]
 * ```
 */
export class ConstantPad3d extends PadNd {
  /** Pads with mode `'constant'`. */
  protected readonly mode = 'constant';
  constructor(padding: number | readonly [number, number, number, number, number, number], value: number) {
    super('ConstantPad3d', padding, 3, fillValue('ConstantPad3d', value), true);
  }
}

/**
 * Pad the last three dims by reflection about their edges (the edge itself not repeated), like
 * `torch.nn.ReflectionPad3d`: `padding` is one integer or `[left, right, top, bottom, front, back]`, each
 * smaller than the dim it pads. Input `[N, C, D, H, W]` or `[C, D, H, W]`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ReflectionPad3d.html
 *
 * @example
 * ```ts
 * new ReflectionPad3d(1).forward(randn([1, 2, 3, 4, 4])).shape; // [1, 2, 5, 6, 6]
 * ```
 */
export class ReflectionPad3d extends PadNd {
  /** Pads with mode `'reflect'`. */
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super('ReflectionPad3d', padding, 3, 0, true);
  }
}

/**
 * Pad the last three dims by repeating their edge values, like `torch.nn.ReplicationPad3d`: `padding` is one
 * integer or `[left, right, top, bottom, front, back]`. Input `[N, C, D, H, W]` or `[C, D, H, W]`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ReplicationPad3d.html
 *
 * @example
 * ```ts
 * new ReplicationPad3d([2, 0, 1, 1, 0, 3]).forward(randn([2, 3, 2, 2])).shape; // [2, 6, 4, 4]
 * ```
 */
export class ReplicationPad3d extends PadNd {
  /** Pads with mode `'replicate'`. */
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super('ReplicationPad3d', padding, 3, 0, true);
  }
}

/**
 * Pad the last dim with zeros, like `torch.nn.ZeroPad1d` (PyTorch 2.1): `padding` is one integer for both sides
 * or `[left, right]` (negative values crop). Input `[N, C, L]` or `[C, L]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ZeroPad1d.html
 *
 * @example
 * ```ts
 * new ZeroPad1d([1, 2]).forward(ones([1, 2])).toArray(); // [[0, 1, 1, 0, 0]]
 * ```
 */
export class ZeroPad1d extends PadNd {
  /** Pads with mode `'constant'`. */
  protected readonly mode = 'constant';
  constructor(padding: number | readonly [number, number]) {
    super('ZeroPad1d', padding, 1, 0, true);
  }
}

/**
 * Pad the last three dims with zeros, like `torch.nn.ZeroPad3d` (PyTorch 2.1): `padding` is one integer for all
 * six sides or `[left, right, top, bottom, front, back]` (negative values crop). Input `[N, C, D, H, W]` or
 * `[C, D, H, W]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ZeroPad3d.html
 *
 * @example
 * ```ts
 * new ZeroPad3d(1).forward(randn([1, 2, 3, 3, 3])).shape; // [1, 2, 5, 5, 5]
 * ```
 */
export class ZeroPad3d extends PadNd {
  /** Pads with mode `'constant'`. */
  protected readonly mode = 'constant';
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super('ZeroPad3d', padding, 3, 0, true);
  }
}

/**
 * Pad the last dim by wrapping it around (periodic padding), like `torch.nn.CircularPad1d` (PyTorch 2.1):
 * `padding` is one integer or `[left, right]`; the left pad copies the end of the row, the right pad its start,
 * each at most the length of the dim (negative values crop first). Input `[N, C, L]` or `[C, L]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CircularPad1d.html
 *
 * @example
 * ```ts
 * new CircularPad1d([2, 1]).forward(tensor([[1, 2, 3]])).toArray(); // [[2, 3, 1, 2, 3, 1]]
 * ```
 */
export class CircularPad1d extends PadNd {
  /** Pads with mode `'circular'`. */
  protected readonly mode = 'circular';
  constructor(padding: number | readonly [number, number]) {
    super('CircularPad1d', padding, 1, 0, true);
  }
}

/**
 * Pad the last two dims by wrapping them around, like `torch.nn.CircularPad2d` (PyTorch 2.1): `padding` is one
 * integer or `[left, right, top, bottom]`, each at most the size of the dim it pads. Input `[N, C, H, W]` or
 * `[C, H, W]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CircularPad2d.html
 *
 * @example
 * ```ts
 * new CircularPad2d(1).forward(randn([1, 3, 4, 4])).shape; // [1, 3, 6, 6]
 * ```
 */
export class CircularPad2d extends PadNd {
  /** Pads with mode `'circular'`. */
  protected readonly mode = 'circular';
  constructor(padding: number | readonly [number, number, number, number]) {
    super('CircularPad2d', padding, 2, 0, true);
  }
}

/**
 * Pad the last three dims by wrapping them around, like `torch.nn.CircularPad3d` (PyTorch 2.1): `padding` is one
 * integer or `[left, right, top, bottom, front, back]`, each at most the size of the dim it pads. Input
 * `[N, C, D, H, W]` or `[C, D, H, W]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CircularPad3d.html
 *
 * @example
 * ```ts
 * new CircularPad3d([1, 1, 0, 2, 1, 0]).forward(randn([2, 3, 2, 2])).shape; // [2, 4, 4, 4]
 * ```
 */
export class CircularPad3d extends PadNd {
  /** Pads with mode `'circular'`. */
  protected readonly mode = 'circular';
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super('CircularPad3d', padding, 3, 0, true);
  }
}
