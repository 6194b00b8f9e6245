import type { TypedArray } from '../../dtype';

/**
 * Softmax (or, with `log`, log-softmax) along the middle axis of the `outer x n x inner` array `x`,
 * stable for large inputs: the row max is subtracted before exponentiating.
 */
export function softmaxKernel(
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): void {
  if (n === 0) return;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let m = Number.NEGATIVE_INFINITY;
      for (let r = 0; r < n; r++) {
        const v = x[base + r];
        if (v > m || Number.isNaN(v)) m = v;
      }
      let s = 0;
      if (log) {
        for (let r = 0; r < n; r++) s += Math.exp(x[base + r] - m);
        const logS = Math.log(s);
        for (let r = 0; r < n; r++) out[base + r] = x[base + r] - m - logS;
      } else {
        for (let r = 0; r < n; r++) {
          const e = Math.exp(x[base + r] - m);
          out[base + r] = e;
          s += e;
        }
        for (let r = 0; r < n; r++) out[base + r] /= s;
      }
    }
    return;
  }
  const m = new Float64Array(inner);
  const s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    m.fill(Number.NEGATIVE_INFINITY);
    s.fill(0);
    for (let r = 0; r < n; r++) {
      const rowBase = base + r * inner;
      for (let j = 0; j < inner; j++) {
        const v = x[rowBase + j];
        if (v > m[j] || Number.isNaN(v)) m[j] = v;
      }
    }
    if (log) {
      for (let r = 0; r < n; r++) {
        const rowBase = base + r * inner;
        for (let j = 0; j < inner; j++) s[j] += Math.exp(x[rowBase + j] - m[j]);
      }
      for (let j = 0; j < inner; j++) s[j] = m[j] + Math.log(s[j]);
      for (let r = 0; r < n; r++) {
        const rowBase = base + r * inner;
        for (let j = 0; j < inner; j++) out[rowBase + j] = x[rowBase + j] - s[j];
      }
    } else {
      for (let r = 0; r < n; r++) {
        const rowBase = base + r * inner;
        for (let j = 0; j < inner; j++) {
          const e = Math.exp(x[rowBase + j] - m[j]);
          out[rowBase + j] = e;
          s[j] += e;
        }
      }
      for (let r = 0; r < n; r++) {
        const rowBase = base + r * inner;
        for (let j = 0; j < inner; j++) out[rowBase + j] /= s[j];
      }
    }
  }
}

/**
 * The vector-Jacobian product of softmax (or, with `log`, log-softmax) along the middle axis of the
 * `outer x n x inner` arrays, from the upstream gradient `g` and the forward output `y`:
 * `y · (g - sum(g · y))` for softmax, `g - exp(y) · sum(g)` for log-softmax.
 */
export function softmaxBackwardKernel(
  g: TypedArray,
  y: TypedArray,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let s = 0;
      if (log) {
        for (let r = 0; r < n; r++) s += g[base + r];
        for (let r = 0; r < n; r++) out[base + r] = g[base + r] - Math.exp(y[base + r]) * s;
      } else {
        for (let r = 0; r < n; r++) s += g[base + r] * y[base + r];
        for (let r = 0; r < n; r++) out[base + r] = y[base + r] * (g[base + r] - s);
      }
    }
    return;
  }
  const s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    s.fill(0);
    for (let r = 0; r < n; r++) {
      const rowBase = base + r * inner;
      if (log) for (let j = 0; j < inner; j++) s[j] += g[rowBase + j];
      else for (let j = 0; j < inner; j++) s[j] += g[rowBase + j] * y[rowBase + j];
    }
    for (let r = 0; r < n; r++) {
      const rowBase = base + r * inner;
      if (log) for (let j = 0; j < inner; j++) out[rowBase + j] = g[rowBase + j] - Math.exp(y[rowBase + j]) * s[j];
      else for (let j = 0; j < inner; j++) out[rowBase + j] = y[rowBase + j] * (g[rowBase + j] - s[j]);
    }
  }
}
