// Argument checks shared by the layers. Messages name the layer, the argument and the value.

import { type DType, defaultGenerator, type Generator, ShapeError, Tensor, ValueError } from '@nablajs/core';

/** A size given once for both spatial dimensions, or as `[height, width]`. */
export type Size2d = number | readonly [number, number];

/** The dtypes a layer's parameters can have. */
export type FloatDType = 'float32' | 'float64';

/** `[2,5]`: a shape as printed in error messages. */
export function formatShape(shape: readonly number[]): string {
  return JSON.stringify(shape);
}

/** A {@link Size2d} as printed in labels and reprs: `2` or `[2,3]`. */
export function sizeText(value: Size2d): string {
  return typeof value === 'number' ? String(value) : formatShape(value);
}

/** Check that `value` is an integer `>= min`. */
export function checkInt(layer: string, arg: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new ValueError(`${layer}: ${arg} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value;
}

/** Check that `value` is a finite number (an activation's slope, scale, bound, ...). */
export function checkFinite(layer: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValueError(`${layer}: ${arg} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
}

/** Check that `value` is an integer (an axis, negative ones counting from the end). */
export function checkAxis(layer: string, arg: string, value: unknown): number {
  if (!Number.isInteger(value))
    throw new ValueError(`${layer}: ${arg} must be an integer, got ${JSON.stringify(value)}`);
  return value as number;
}

/** Parse a {@link Size2d} into `[height, width]`, each an integer `>= min`. */
export function toPair(layer: string, arg: string, value: unknown, min: number): [number, number] {
  const list = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : null;
  if (
    list === null ||
    list.length !== 2 ||
    !list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)
  )
    throw new ValueError(
      `${layer}: ${arg} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value)}`,
    );
  return [list[0], list[1]];
}

/** Parse an int-or-triple layer argument into `[depth, height, width]`, each `>= min`. */
export function toTriple(layer: string, arg: string, value: unknown, min: number): [number, number, number] {
  const list = typeof value === 'number' ? [value, value, value] : Array.isArray(value) ? value : null;
  if (
    list === null ||
    list.length !== 3 ||
    !list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)
  )
    throw new ValueError(
      `${layer}: ${arg} must be an integer >= ${min} or three of them, got ${JSON.stringify(value)}`,
    );
  return [list[0], list[1], list[2]];
}

/** Check a parameter dtype option (default float32). */
export function checkFloatDType(layer: string, dtype: unknown): FloatDType {
  const d = dtype ?? 'float32';
  if (d !== 'float32' && d !== 'float64')
    throw new ValueError(`${layer}: dtype must be 'float32' or 'float64', got ${JSON.stringify(d)}`);
  return d;
}

/** The generator a layer draws its initial weights from: the given one, else core's global one now. */
export function generatorOf(options: { generator?: Generator }): Generator {
  return options.generator ?? defaultGenerator();
}

/** Check that a forward input is a Tensor. */
export function checkInput(layer: string, x: unknown, name = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new ValueError(`${layer}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** Check that `x` has one of the allowed numbers of dimensions; `expected` describes them. */
export function checkNdim(layer: string, x: Tensor, allowed: readonly number[], expected: string): void {
  if (!allowed.includes(x.ndim))
    throw new ShapeError(`${layer}: expected ${expected} input, got shape ${formatShape(x.shape)}`);
}

/** Check that a float forward input is float32 or float64. */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}
