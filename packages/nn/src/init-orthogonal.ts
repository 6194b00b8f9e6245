// The orthogonal initialiser, like torch.nn.init.orthogonal_, with the Householder QR it is built on.

import { type Tensor, ValueError } from '@nablajs/core';
import { checkFinite, checkTensor, generatorOf, type InitOptions, stored, writable } from './init-common';

/**
 * Fill `tensor` in place with a (semi-)orthogonal matrix, like `torch.nn.init.orthogonal_` (Saxe et al.,
 * 2013): the tensor is viewed as `[rows, cols]` with `rows = shape[0]`; a Gaussian matrix is
 * QR-factorised, `Q` is sign-corrected by `sign(diag(R))` (so the result is uniformly distributed), and
 * scaled by `gain`. Then `WᵀW = gain²·I` when `rows >= cols`, else `WWᵀ = gain²·I`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.orthogonal_
 *
 * @example
 * ```ts
 * orthogonal(rnn.weightHh, 1);
 * ```
 */
export function orthogonal(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  checkTensor('orthogonal', tensor, true);
  checkFinite('orthogonal', 'gain', gain);
  if (tensor.shape.length < 2)
    throw new ValueError(
      `orthogonal: only tensors with 2 or more dimensions are supported, got shape ${JSON.stringify(tensor.shape)}`,
    );
  if (tensor.size === 0) return tensor;
  const rows = tensor.shape[0];
  const cols = tensor.size / rows;
  const g = generatorOf('orthogonal', options);
  // Work on the tall orientation m x n (m >= n); transpose back at the end when rows < cols.
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const flat = new Float64Array(rows * cols);
  for (let i = 0; i < flat.length; i++) flat[i] = g.normal();
  const A = new Float64Array(m * n);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      if (rows >= cols) A[i * n + j] = flat[i * cols + j];
      else A[j * n + i] = flat[i * cols + j];
    }
  const Q = householderQ(A, m, n);
  const data = writable(tensor);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) data[i * cols + j] = gain * (rows >= cols ? Q[i * n + j] : Q[j * n + i]);
  return stored(tensor, data);
}

/**
 * The thin Q (m x n, row-major) of the QR factorisation of the m x n matrix `A` (m >= n, row-major),
 * with the columns multiplied by sign(diag(R)) as PyTorch does. `A` is overwritten.
 */
function householderQ(A: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const diagSign: number[] = [];
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += A[i * n + k] * A[i * n + k];
    norm = Math.sqrt(norm);
    const alpha = A[k * n + k] >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k];
    v[0] -= alpha;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i] * v[i];
    if (vnorm > 0) {
      // A <- (I - 2vvᵀ/vᵀv) A on rows k.., columns k..
      for (let j = k; j < n; j++) {
        let s = 0;
        for (let i = k; i < m; i++) s += v[i - k] * A[i * n + j];
        s = (2 * s) / vnorm;
        for (let i = k; i < m; i++) A[i * n + j] -= s * v[i - k];
      }
    }
    vs.push(v);
    // R[k][k] is now alpha (or the untouched value when the column was already zero below).
    diagSign.push(A[k * n + k] < 0 ? -1 : 1);
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const Q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) Q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i] * v[i];
    if (vnorm === 0) continue;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i - k] * Q[i * n + j];
      s = (2 * s) / vnorm;
      for (let i = k; i < m; i++) Q[i * n + j] -= s * v[i - k];
    }
  }
  for (let j = 0; j < n; j++) if (diagSign[j] < 0) for (let i = 0; i < m; i++) Q[i * n + j] = -Q[i * n + j];
  return Q;
}
