import {
  add,
  div,
  mean,
  mul,
  reshape,
  rsqrt,
  runOnHost,
  ShapeError,
  sqrt,
  square,
  sub,
  type Tensor,
  ValueError,
  variance,
} from '@nablajs/core';
import { checkFloating, checkNumberIn, describeShape, sameShape } from '../functional/check';
import { checkAffine, checkEps } from '../functional/normalization';

/** `[C]` -> `[1, C, 1, ...]` for an input of `ndim` dims. */
function perChannel(t: Tensor, ndim: number): Tensor {
  return reshape(
    t,
    Array.from({ length: ndim }, (_, d) => (d === 1 ? t.shape[0] : 1)),
  );
}

/**
 * Group normalisation of `x` (`[N, C, *]`), like `torch.nn.functional.group_norm`: the channels are
 * split into `numGroups` groups of `C / numGroups` consecutive channels, and each sample's group is
 * normalised over its channels and spatial positions,
 * `y = (x - E[x]) / √(Var[x] + eps) · weight_c + bias_c`, with the **biased** variance. `weight` and
 * `bias` (optional, default none) have shape `[C]`; `eps` defaults to 1e-5. The same computation in
 * training and evaluation. Gradients flow to `x`, `weight` and `bias`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.GroupNorm.html
 *
 * @example
 * ```ts
 * groupNorm(randn([2, 6, 5]), 3).shape; // [2, 6, 5]: channels {0,1}, {2,3}, {4,5} normalised together
 * ```
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const fn = 'groupNorm';
  checkFloating(fn, 'input', x);
  if (x.ndim < 2)
    throw new ShapeError(`${fn}: expected an input of at least 2 dims [N, C, *], got shape ${describeShape(x.shape)}`);
  if (typeof numGroups !== 'number' || !Number.isInteger(numGroups) || numGroups < 1)
    throw new ValueError(`${fn}: numGroups must be an integer >= 1, got ${JSON.stringify(numGroups)}`);
  const [batch, channels] = x.shape;
  if (channels % numGroups !== 0)
    throw new ValueError(
      `${fn}: numGroups ${numGroups} does not divide the ${channels} channels of input shape ${describeShape(x.shape)}`,
    );
  checkEps(fn, eps);
  const w = checkAffine(fn, 'weight', weight, [channels]);
  const b = checkAffine(fn, 'bias', bias, [channels]);
  const spatial = x.shape.slice(2).reduce((a, d) => a * d, 1);
  // NOTE: PyTorch's check (`_verify_batch_size` on [N·C/G, G, *]), kept as it is.
  if (((batch * channels) / numGroups) * spatial === 1)
    throw new ValueError(
      `${fn}: expected more than 1 value per channel when training, got input shape ${describeShape(x.shape)} with ${numGroups} groups`,
    );
  const grouped = reshape(x, [batch, numGroups, (channels / numGroups) * spatial]);
  const mu = mean(grouped, 2, true);
  const sigma2 = variance(grouped, 2, { unbiased: false, keepdims: true });
  let y = reshape(div(sub(grouped, mu), sqrt(add(sigma2, eps))), x.shape);
  if (w !== null) y = mul(y, perChannel(w, x.ndim));
  if (b !== null) y = add(y, perChannel(b, x.ndim));
  return y;
}

/**
 * Instance normalisation of `x` (`[N, C, *spatial]`), like `torch.nn.functional.instance_norm`: each
 * sample's channel is normalised over its spatial positions,
 * `y = (x - μ_nc) / √(σ²_nc + eps) · weight_c + bias_c`.
 *
 * With `useInputStats` (default true), `μ` and `σ²` are the instance mean and **biased** variance, and
 * the running buffers (when given, shape `[C]`) are updated **in place** as in PyTorch, with the
 * batch average of the instance statistics and the **unbiased** variance:
 * `running = (1 - momentum)·running + momentum·mean_n(statistic_nc)`. Otherwise the running
 * statistics are used and must be given. Defaults: `momentum` 0.1, `eps` 1e-5, no weight or bias.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.InstanceNorm2d.html
 *
 * @example
 * ```ts
 * instanceNorm(randn([2, 3, 8, 8])).shape; // [2, 3, 8, 8]
 * const rm = zeros([3]);
 * const rv = ones([3]);
 * instanceNorm(randn([2, 3, 8]), rm, rv); // rm and rv move towards the instance statistics
 * ```
 */
export function instanceNorm(
  x: Tensor,
  runningMean: Tensor | null = null,
  runningVar: Tensor | null = null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  useInputStats = true,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const fn = 'instanceNorm';
  checkFloating(fn, 'input', x);
  if (x.ndim < 3)
    throw new ShapeError(
      `${fn}: expected an input of at least 3 dims [N, C, *spatial], got shape ${describeShape(x.shape)}`,
    );
  checkEps(fn, eps);
  checkNumberIn(fn, 'momentum', momentum, 0, 1);
  const [batch, channels] = x.shape;
  const w = checkAffine(fn, 'weight', weight, [channels]);
  const b = checkAffine(fn, 'bias', bias, [channels]);
  const rm = checkAffine(fn, 'runningMean', runningMean, [channels]);
  const rv = checkAffine(fn, 'runningVar', runningVar, [channels]);
  const spatialAxes = x.shape.slice(2).map((_, i) => i + 2);
  const count = x.shape.slice(2).reduce((a, d) => a * d, 1);
  let mu: Tensor;
  let sigma2: Tensor;
  if (useInputStats) {
    if (count === 1)
      throw new ValueError(
        `${fn}: expected more than 1 spatial element when training, got input shape ${describeShape(x.shape)}`,
      );
    mu = mean(x, spatialAxes, true);
    sigma2 = variance(x, spatialAxes, { unbiased: false, keepdims: true });
    if (batch > 0 && (rm !== null || rv !== null)) {
      const unbiased = count / (count - 1);
      // In JavaScript where the statistics are (on the webgpu backend, after they are next read back).
      const mus = mu._array;
      const vars = sigma2._array;
      const rma = rm?._array ?? null;
      const rva = rv?._array ?? null;
      runOnHost(
        [mus, vars],
        [rma, rva].filter((a) => a !== null),
        () => {
          for (let c = 0; c < channels; c++) {
            let m = 0;
            let v = 0;
            for (let n = 0; n < batch; n++) {
              m += mus[n * channels + c];
              v += vars[n * channels + c] * unbiased;
            }
            if (rma !== null) rma[c] = (1 - momentum) * rma[c] + (momentum * m) / batch;
            if (rva !== null) rva[c] = (1 - momentum) * rva[c] + (momentum * v) / batch;
          }
        },
      );
      rm?.markModified();
      rv?.markModified();
    }
  } else {
    if (rm === null || rv === null)
      throw new ValueError(`${fn}: runningMean and runningVar are required when useInputStats is false`);
    mu = perChannel(rm.detach(), x.ndim);
    sigma2 = perChannel(rv.detach(), x.ndim);
  }
  let y = div(sub(x, mu), sqrt(add(sigma2, eps)));
  if (w !== null) y = mul(y, perChannel(w, x.ndim));
  if (b !== null) y = add(y, perChannel(b, x.ndim));
  return y;
}

/** The machine epsilon of a float dtype, `torch.finfo(dtype).eps`. */
export function machineEpsilon(dtype: string): number {
  return dtype === 'float32' ? 2 ** -23 : Number.EPSILON;
}

/**
 * Root-mean-square normalisation over the trailing dimensions `normalizedShape`, like PyTorch 2.4's
 * `torch.nn.functional.rms_norm` (it does not exist in PyTorch 1.13):
 * `y = x / √(mean(x², over normalizedShape) + eps) · weight`. `weight` (optional) has the shape
 * `normalizedShape`; `eps` null (the default) means the machine epsilon of `x`'s dtype
 * (`torch.finfo(x.dtype).eps`: 2⁻²³ for float32, 2⁻⁵² for float64). No mean is subtracted and there is
 * no bias. Gradients flow to `x` and `weight`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RMSNorm.html
 *
 * @example
 * ```ts
 * rmsNorm(tensor([[3, 4]]), [2]).toArray(); // [[0.8485, 1.1314]]: divided by √((9 + 16) / 2)
 * ```
 */
export function rmsNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor | null,
  eps: number | null = null,
): Tensor {
  const fn = 'rmsNorm';
  checkFloating(fn, 'input', x);
  if (!Array.isArray(normalizedShape) || normalizedShape.length === 0)
    throw new ShapeError(
      `${fn}: normalizedShape must name at least one dimension, got ${JSON.stringify(normalizedShape)}`,
    );
  const k = normalizedShape.length;
  if (k > x.ndim || !sameShape(x.shape.slice(x.ndim - k), normalizedShape))
    throw new ShapeError(
      `${fn}: input of shape ${describeShape(x.shape)} does not end with normalizedShape ${describeShape(normalizedShape)}`,
    );
  const e = eps === null || eps === undefined ? machineEpsilon(x.dtype) : checkEps(fn, eps);
  const w = checkAffine(fn, 'weight', weight, normalizedShape);
  const axes = normalizedShape.map((_, i) => x.ndim - k + i);
  const y = mul(x, rsqrt(add(mean(square(x), axes, true), e)));
  return w === null ? y : mul(y, w);
}
