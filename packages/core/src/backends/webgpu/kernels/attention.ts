// The attention softmax of scaledDotProductAttention's weights (kernels/cpu/attention.ts): row r of the
// rows × s scores (query r mod l) becomes softmax(scale · x + bias) over its first `valid` entries (all,
// or r mod l + 1 when causal) and 0 past them; a fully masked row gives NaN, as the cpu kernel does. One
// thread per row, in float32 where the cpu kernel uses doubles.

import { ValueError } from '../../../errors';
import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, groupsFor } from './common';
import { WGSL_MATH } from './wgsl-math';

const SPEC: ParamSpec = [
  ['rows', 'u32'],
  ['l', 'u32'],
  ['s', 'u32'],
  ['scale', 'f32'],
  ['causal', 'u32'],
  ['hasBias', 'u32'],
];

const ATTENTION_SOFTMAX = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
${WGSL_MATH}
fn score(at: u32) -> f32 {
  var v = x[at] * params.scale;
  if (params.hasBias == 1u) { v = v + bias[at]; }
  return v;
}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.rows) { return; }
  let o = i * params.s;
  var valid = params.s;
  if (params.causal == 1u) { valid = min(i % params.l + 1u, params.s); }
  // The lowest finite float (WGSL constants cannot be infinite): a row of -Infinity scores still gets
  // 0 / 0 = NaN below, as with the cpu kernel's -Infinity start.
  var mx = bitcast<f32>(0xff7fffffu);
  for (var j = 0u; j < valid; j = j + 1u) {
    let v = score(o + j);
    if (v > mx || is_nan(v)) { mx = v; }
  }
  var total = 0.0;
  for (var j = 0u; j < valid; j = j + 1u) { total = total + exp(score(o + j) - mx); }
  for (var j = 0u; j < valid; j = j + 1u) { out[o + j] = exp(score(o + j) - mx) / total; }
  for (var j = valid; j < params.s; j = j + 1u) { out[o + j] = 0.0 / total; }
}`;

/**
 * `attentionSoftmaxKernel` on the GPU (see the file's comment); `out` may be `x`.
 *
 * @example
 * ```ts
 * attentionSoftmaxWebGpu(scores, null, batch * l, l, s, 1 / Math.sqrt(e), true, scores);
 * ```
 */
export function attentionSoftmaxWebGpu(
  x: GpuArray,
  bias: GpuArray | null,
  rows: number,
  l: number,
  s: number,
  scale: number,
  causal: boolean,
  out: GpuArray,
): void {
  const fn = 'attentionSoftmaxWebGpu';
  if (![rows, l, s].every((v) => Number.isInteger(v) && v >= 0) || (causal && l < 1))
    throw new ValueError(`${fn}: rows, l and s must be non-negative integers (l at least 1 when causal)`);
  const context = checkArray(fn, 'x', x, rows * s);
  if (bias !== null) checkArray(fn, 'bias', bias, rows * s);
  checkArray(fn, 'out', out, rows * s);
  const none = context.createArray(1);
  context.dispatch(
    context.pipeline('attentionSoftmax', () => ATTENTION_SOFTMAX),
    [
      [x, 'read'],
      [bias ?? none, 'read'],
      [out, 'write'],
    ],
    SPEC,
    [rows, l, s, scale, causal ? 1 : 0, bias === null ? 0 : 1],
    groupsFor(rows),
  );
  context.release(none);
}
