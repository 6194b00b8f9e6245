import type { DType, TypedArray } from '../../dtype';
import { roundingOfDType } from './rounding';

// The picking steps of logSoftmaxNll as kernels over arrays (so that a capture records them and a replay
// reads the picks a host task computed again). Each float32 product, negation and quotient is rounded as
// the ops it stands for (gather, mul, neg, sum, div) round them.

/** `terms[i] = -(logp[i, index[i]] · weight[i])`. */
export function nllPickKernel(
  logp: TypedArray,
  rows: number,
  classes: number,
  index: Int32Array,
  weight: TypedArray,
  terms: TypedArray,
  dtype: DType,
): void {
  const fr = roundingOfDType(dtype);
  for (let i = 0; i < rows; i++) terms[i] = -fr(logp[i * classes + index[i]] * fr(weight[i]));
}

/** `total[0] = total[0] / denominator[0]` (the `'mean'` reduction). */
export function nllMeanKernel(total: TypedArray, denominator: TypedArray, dtype: DType): void {
  const fr = roundingOfDType(dtype);
  total[0] = fr(total[0] / fr(denominator[0]));
}

/**
 * The gradient of each picked log-probability into `gz` (`[rows, classes]`, every other element 0): `up` is
 * the upstream gradient, one per row (`perRow`) or one for the sum (divided by `denominator[0]` when `mean`).
 */
export function nllPickBackwardKernel(
  up: TypedArray,
  perRow: boolean,
  mean: boolean,
  index: Int32Array,
  weight: TypedArray,
  denominator: TypedArray,
  gz: TypedArray,
  rows: number,
  classes: number,
  dtype: DType,
): void {
  const fr = roundingOfDType(dtype);
  gz.fill(0);
  const scale = mean ? fr(up[0] / fr(denominator[0])) : up[0];
  // `+ 0` turns -0 into +0, as adding into zeros does.
  for (let i = 0; i < rows; i++) gz[i * classes + index[i]] = fr(-(perRow ? up[i] : scale) * fr(weight[i])) + 0;
}

/** The one-hot rows of the picks and each row's coefficient `-weight[i]` (`/ denominator[0]` when `mean`). */
export function nllOneHotKernel(
  index: Int32Array,
  weight: TypedArray,
  denominator: TypedArray,
  mean: boolean,
  onehot: TypedArray,
  coef: TypedArray,
  rows: number,
  classes: number,
): void {
  onehot.fill(0);
  for (let i = 0; i < rows; i++) {
    onehot[i * classes + index[i]] = 1;
    coef[i] = -weight[i] / (mean ? denominator[0] : 1);
  }
}
