// The truncated normal initialiser, like torch.nn.init.trunc_normal_, with the normal CDF and its
// inverse that place the truncation points.

import { type Tensor, ValueError } from '@nablajs/core';
import { checkFinite, checkTensor, generatorOf, type InitOptions, stored, writable } from './init-common';

// NOTE: erfc from Numerical Recipes (Chebyshev fit, fractional error < 1.2e-7 everywhere, also in the
// tails), enough to place the truncation points of truncNormal.
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

// Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9).
function normalPpf(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * Fill `tensor` in place with values from a normal distribution `N(mean, std²)` truncated to `[a, b]`,
 * like `torch.nn.init.trunc_normal_`: inverse-CDF sampling of a uniform draw between `Φ((a - mean)/std)`
 * and `Φ((b - mean)/std)`, then clamping to `[a, b]`. Note that `a` and `b` are absolute bounds, not
 * multiples of `std`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.trunc_normal_
 *
 * @example
 * ```ts
 * truncNormal(vit.posEmbedding, 0, 0.02); // values in [-2, 2] (the defaults a = -2, b = 2)
 * truncNormal(w, 0, 1, -0.5, 0.5);
 * ```
 */
export function truncNormal(tensor: Tensor, mean = 0, std = 1, a = -2, b = 2, options: InitOptions = {}): Tensor {
  checkTensor('truncNormal', tensor, true);
  checkFinite('truncNormal', 'mean', mean);
  checkFinite('truncNormal', 'std', std);
  checkFinite('truncNormal', 'a', a);
  checkFinite('truncNormal', 'b', b);
  if (!(std > 0)) throw new ValueError(`truncNormal: std must be > 0, got ${std}`);
  if (!(a < b)) throw new ValueError(`truncNormal: a must be < b, got a = ${a} and b = ${b}`);
  const g = generatorOf('truncNormal', options);
  // NOTE: an interval in the upper tail is sampled as its mirror image in the lower tail, where
  // Φ has full relative precision (Φ(10) rounds to 1, Φ(-10) does not).
  const flip = (a - mean) / std > 0;
  const lo = flip ? (mean - b) / std : (a - mean) / std;
  const hi = flip ? (mean - a) / std : (b - mean) / std;
  const cdfLo = normalCdf(lo);
  const cdfHi = normalCdf(hi);
  const data = writable(tensor);
  for (let i = 0; i < data.length; i++) {
    const z = normalPpf(cdfLo + (cdfHi - cdfLo) * g.uniform());
    const v = mean + std * (flip ? -z : z);
    data[i] = Math.min(Math.max(v, a), b);
  }
  // Rounding to float32 can move a value just outside the bounds.
  for (let i = 0; i < data.length; i++) {
    if (data[i] < a) data[i] = a;
    else if (data[i] > b) data[i] = b;
  }
  return stored(tensor, data);
}
