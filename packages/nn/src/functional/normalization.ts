import {
  add,
  layerNorm as coreLayerNorm,
  div,
  hostReadsMayWait,
  isHalfDType,
  mean,
  mul,
  noGrad,
  reshape,
  ShapeError,
  sqrt,
  sub,
  type Tensor,
  ValueError,
  variance,
} from '@nablajs/core';
import { checkFloating, checkNumberIn, describeShape, sameShape } from './check';

/** Check an optional affine or running-statistic tensor: floating, of shape `shape`; null when absent. */
export function checkAffine(
  fn: string,
  name: string,
  t: Tensor | null | undefined,
  shape: readonly number[],
): Tensor | null {
  if (t === undefined || t === null) return null;
  checkFloating(fn, name, t);
  if (!sameShape(t.shape, shape))
    throw new ShapeError(`${fn}: ${name} must have shape ${describeShape(shape)}, got ${describeShape(t.shape)}`);
  return t;
}

/** Check that `eps` is a finite number `>= 0`. */
export function checkEps(fn: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps))
    throw new ValueError(`${fn}: eps must be a finite number >= 0, got ${String(eps)}`);
  return eps;
}

/**
 * Layer normalisation over the trailing dimensions `normalizedShape`, like
 * `torch.nn.functional.layer_norm`: `y = (x - E[x]) / sqrt(Var[x] + eps) · weight + bias`, where the
 * mean and the **biased** variance (divided by n) are taken over the last `normalizedShape.length`
 * dimensions, eps sits inside the square root, and `weight` and `bias` (optional) have the shape
 * `normalizedShape`. Gradients flow to `x`, `weight` and `bias`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html
 *
 * @example
 * ```ts
 * layerNorm(tensor([[1, 2, 3]]), [3]).toArray(); // [[-1.2247, 0, 1.2247]]
 * ```
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  return coreLayerNorm(x, normalizedShape, weight, bias, eps);
}

/**
 * Batch normalisation over axis 1 of `x` (`[N, C]`, `[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`), like
 * `torch.nn.functional.batch_norm`: `y = (x - μ_c) / sqrt(σ²_c + eps) · weight_c + bias_c`.
 *
 * In training, `μ` and `σ²` are the batch mean and the **biased** batch variance per channel, and the
 * running buffers (when given) are updated **in place** with the **unbiased** variance:
 * `running = (1 - momentum) · running + momentum · batchStatistic`. Otherwise the running statistics
 * are used and must be given. `weight`, `bias` and the buffers have shape `[C]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
 *
 * @example
 * ```ts
 * const runningMean = zeros([2]);
 * const runningVar = ones([2]);
 * batchNorm(tensor([[1, 10], [3, 30]]), runningMean, runningVar, null, null, true);
 * // [[-1, -1], [1, 1]] (approximately); runningMean is now [0.2, 2], runningVar [1.1, 20.9]
 * ```
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const fn = 'batchNorm';
  checkFloating(fn, 'input', x);
  checkEps(fn, eps);
  checkNumberIn(fn, 'momentum', momentum, 0, 1);
  if (x.ndim < 2 || x.ndim > 5)
    throw new ShapeError(
      `${fn}: input must be [N, C], [N, C, L], [N, C, H, W] or [N, C, D, H, W], got shape ${describeShape(x.shape)}`,
    );
  const channels = x.shape[1];
  const w = checkAffine(fn, 'weight', weight, [channels]);
  const b = checkAffine(fn, 'bias', bias, [channels]);
  const rm = checkAffine(fn, 'runningMean', runningMean, [channels]);
  const rv = checkAffine(fn, 'runningVar', runningVar, [channels]);
  const axes = x.shape.map((_, d) => d).filter((d) => d !== 1);
  const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
  let mu: Tensor;
  let sigma2: Tensor;
  if (training) {
    const count = x.size / Math.max(channels, 1);
    if (count <= 1)
      throw new ValueError(
        `${fn}: expected more than 1 value per channel when training, got input shape ${describeShape(x.shape)}`,
      );
    mu = mean(x, axes, true);
    sigma2 = variance(x, axes, { unbiased: false, keepdims: true });
    const unbiased = count / (count - 1);
    const half =
      (rm !== null && isHalfDType(rm.dtype)) || (rv !== null && isHalfDType(rv.dtype)) || isHalfDType(x.dtype);
    if (half || hostReadsMayWait()) {
      // Through ops: 16-bit storage holds bit patterns, not numbers (the ops decode and round back), and on
      // the webgpu backend the statistics stay on the GPU (float32 ops, a rounding per op).
      const m = mu;
      const v = sigma2;
      noGrad(() => {
        rm?.copy_(add(mul(rm, 1 - momentum), mul(reshape(m, [channels]), momentum)));
        rv?.copy_(add(mul(rv, 1 - momentum), mul(reshape(v, [channels]), momentum * unbiased)));
      });
    } else {
      // In JavaScript: doubles, one rounding.
      for (let c = 0; c < channels; c++) {
        if (rm !== null) rm.values[c] = (1 - momentum) * rm.values[c] + momentum * mu.values[c];
        if (rv !== null) rv.values[c] = (1 - momentum) * rv.values[c] + momentum * sigma2.values[c] * unbiased;
      }
      rm?.markModified();
      rv?.markModified();
    }
  } else {
    if (rm === null || rv === null)
      throw new ValueError(`${fn}: runningMean and runningVar are required when not training`);
    mu = reshape(rm.detach(), perChannel);
    sigma2 = reshape(rv.detach(), perChannel);
  }
  let y = div(sub(x, mu), sqrt(add(sigma2, eps)));
  if (w !== null) y = mul(y, reshape(w, perChannel));
  if (b !== null) y = add(y, reshape(b, perChannel));
  return y;
}
