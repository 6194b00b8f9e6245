import { flatten, reshape, ShapeError, type Tensor, ValueError } from '@nablajs/core';
import { Module } from '../module';
import { checkInput, formatShape } from './util';

/**
 * Flatten the dimensions `startDim..endDim` into one, like `torch.nn.Flatten`; the defaults keep the
 * batch dimension: `[N, C, H, W] -> [N, C·H·W]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Flatten.html
 *
 * @example
 * ```ts
 * new Flatten().forward(zeros([32, 1, 28, 28])).shape; // [32, 784]
 * ```
 */
export class Flatten extends Module {
  /** The first dimension to flatten (default 1). */
  readonly startDim: number;
  /** The last dimension to flatten, inclusive (default -1). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim))
      throw new ValueError(`Flatten: startDim and endDim must be integers, got ${startDim} and ${endDim}`);
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** Flatten `input` (see the class description). */
  forward(input: Tensor): Tensor {
    checkInput('Flatten', input);
    const n = Math.max(input.ndim, 1);
    const start = this.startDim < 0 ? this.startDim + n : this.startDim;
    const end = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (start < 0 || start >= n || end < 0 || end >= n || start > end)
      throw new ShapeError(
        `Flatten(startDim=${this.startDim}, endDim=${this.endDim}): dimensions out of range for an input of shape ${formatShape(input.shape)}`,
      );
    return flatten(input, start, end);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/**
 * Split dimension `axis` into the shape `unflattenedSize`, like `torch.nn.Unflatten` (the inverse of
 * {@link Flatten}); one entry may be -1 to infer it.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Unflatten.html
 *
 * @example
 * ```ts
 * new Unflatten(1, [1, 28, 28]).forward(zeros([32, 784])).shape; // [32, 1, 28, 28]
 * ```
 */
export class Unflatten extends Module {
  /** The dimension to split. */
  readonly axis: number;
  /** The shape it is split into. */
  readonly unflattenedSize: readonly number[];

  constructor(axis: number, unflattenedSize: readonly number[]) {
    super();
    if (!Number.isInteger(axis)) throw new ValueError(`Unflatten: axis must be an integer, got ${axis}`);
    if (
      !Array.isArray(unflattenedSize) ||
      unflattenedSize.length === 0 ||
      !unflattenedSize.every((d) => Number.isInteger(d) && (d >= 0 || d === -1)) ||
      unflattenedSize.filter((d) => d === -1).length > 1
    )
      throw new ValueError(
        `Unflatten: unflattenedSize must be a non-empty list of sizes >= 0 with at most one -1, got ${JSON.stringify(unflattenedSize)}`,
      );
    this.axis = axis;
    this.unflattenedSize = Object.freeze([...unflattenedSize]);
  }

  /** Reshape `input` (see the class description). */
  forward(input: Tensor): Tensor {
    checkInput('Unflatten', input);
    const label = `Unflatten(${this.axis}, ${formatShape(this.unflattenedSize)})`;
    const a = this.axis < 0 ? this.axis + input.ndim : this.axis;
    if (a < 0 || a >= input.ndim)
      throw new ShapeError(
        `${label}: axis ${this.axis} is out of range for an input of shape ${formatShape(input.shape)}`,
      );
    const size = input.shape[a];
    const known = this.unflattenedSize.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const sizes = [...this.unflattenedSize];
    const free = sizes.indexOf(-1);
    if (free >= 0) {
      if (known === 0 || size % known !== 0)
        throw new ShapeError(
          `${label}: dimension ${a} of size ${size} cannot be split into ${formatShape(this.unflattenedSize)} (input shape ${formatShape(input.shape)})`,
        );
      sizes[free] = size / known;
    } else if (known !== size)
      throw new ShapeError(
        `${label}: dimension ${a} has size ${size} but the sizes ${formatShape(this.unflattenedSize)} multiply to ${known} (input shape ${formatShape(input.shape)})`,
      );
    return reshape(input, [...input.shape.slice(0, a), ...sizes, ...input.shape.slice(a + 1)]);
  }

  override extraRepr(): string {
    return `axis=${this.axis}, unflattenedSize=${formatShape(this.unflattenedSize)}`;
  }
}
