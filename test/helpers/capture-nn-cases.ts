// What the cases of test/capture-nn.test.ts share: their shape, and helpers for their layers and inputs
// (the cases themselves: capture-nn-layer-cases.ts and capture-nn-loss-cases.ts).
import { randint, randn, type Tensor, tensor } from '@nablajs/core';
import type { Module } from '@nablajs/nn';

/** A built layer: its module (parameters and buffers; none for a loss) and the step's forward. */
export interface Built {
  module?: Module;
  f: (...xs: Tensor[]) => Tensor | (Tensor | null)[];
}

export interface Case {
  name: string;
  /** Build the layer (after `manualSeed(3)`: every build of a case gives the same parameters). */
  build: () => Built;
  /** The step's inputs for input `k` (after `manualSeed(10 + k)`). */
  inputs: (k: number) => Tensor[];
  /** The inputs that require a gradient (default: the first). */
  diff?: number[];
  /** The capture must throw a CaptureError (the step does something a replay could not repeat). */
  refused?: boolean;
}

export const ints = (low: number, high: number, shape: number[]) => randint(low, high, shape, { dtype: 'int32' });
/** ±1 labels (float32). */
export const signs = (shape: number[]) => ints(0, 2, shape).float().mul(2).sub(1);
/** Rows of class probabilities. */
export const probabilities = (shape: number[]) => randn(shape).softmax(-1);
/** Class indices in [0, classes) with `ignoreIndex` at two positions that depend on `k`. */
export function withIgnored(k: number, n: number, classes: number, ignoreIndex: number): Tensor {
  const t = Array.from(ints(0, classes, [n]).values);
  t[k % n] = ignoreIndex;
  t[(3 * k + 2) % n] = ignoreIndex;
  return tensor(t, { dtype: 'int32' });
}
/** Class weights for 4 classes. */
export const classWeights = () => tensor([1, 2, 0.5, 1.5]);
/** A layer's forward on one tensor (its other arguments, if any, left at their defaults). */
export const forwardOf = (module: Module) => (x: Tensor) =>
  (module as unknown as { forward(x: Tensor): Tensor }).forward(x);
/** A layer applied to the first input. */
export const layer = (module: Module): Built => ({ module, f: forwardOf(module) });
/** A BatchNorm layer with running statistics moved by two training batches, in eval mode. */
export function trained<M extends Module>(m: M, shape: number[]): M {
  forwardOf(m)(randn(shape));
  forwardOf(m)(randn(shape).mul(2).add(0.5));
  return m.eval();
}
