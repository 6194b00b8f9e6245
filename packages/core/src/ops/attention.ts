import { checkOptions, optionNames } from '../check-options';
import { allocate } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { noGrad } from '../grad-mode';
import { attentionSoftmaxKernel } from '../kernels/cpu/attention';
import { matmulKernel } from '../kernels/cpu/matmul';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { defaultGenerator, type Generator } from '../random';
import { runOnHost } from '../residency';
import { broadcastShapes, formatShape, shapeSize } from '../shape';
import { Tensor } from '../tensor';
import { sumToShape } from './binary';
import { expand } from './expand';
import { matmul } from './matmul';
import { mul } from './mul';
import { softmaxBackward } from './softmax';
import { transpose } from './transpose';
import { where } from './where';

/** Options of {@link scaledDotProductAttention} and {@link scaledDotProductAttentionWeights}. */
export interface ScaledDotProductAttentionOptions {
  /**
   * A mask broadcastable to the weights' shape `[..., L, S]` (default none). An int32 tensor of 0/1 is a
   * boolean mask: 1 (true) marks the keys that take part, 0 those that do not (PyTorch 2's convention for
   * `F.scaled_dot_product_attention`). A float tensor of the queries' dtype is added to the scaled scores.
   */
  attnMask?: Tensor | null;
  /**
   * Apply the causal mask (default false): query `i` attends to keys `j <= i`, the lower triangle aligned
   * to the upper-left corner as in PyTorch. An error together with `attnMask`.
   */
  isCausal?: boolean;
  /** The probability of zeroing an attention weight, in `[0, 1]` (default 0: no dropout). */
  dropoutP?: number;
  /** The factor of the scores `QKᵀ` (default `1/√E`, E the last dimension of `q`). */
  scale?: number | null;
  /** The generator of the dropout mask (default: the global generator). */
  generator?: Generator;
}

const ATTENTION_OPTIONS = optionNames<ScaledDotProductAttentionOptions>({
  attnMask: true,
  isCausal: true,
  dropoutP: true,
  scale: true,
  generator: true,
});

interface WeightsAttrs {
  readonly scale: number;
  readonly causal: boolean;
}

// P = softmax(scale · Q Kᵀ + bias) along the last axis, with the causal mask applied in the kernel.
// Its VJP reads the saved output P: dS = P ∘ (dP − rowsum(dP ∘ P)), then dQ = scale · dS K,
// dK = scale · dSᵀ Q and dBias = dS, each summed back over broadcast dimensions. Written with tensor
// ops (P is the op's own output, so still on the graph), hence gradients of gradients work.
const weightsOp = registerOp<WeightsAttrs>({
  name: 'scaledDotProductAttentionWeights',
  saves: { inputs: [0, 1], output: true },
  forward: (inputs, { scale, causal }) => {
    const [q, k] = inputs;
    const bias = inputs.length > 2 ? inputs[2] : null;
    const l = q.shape[q.ndim - 2];
    const s = k.shape[k.ndim - 2];
    const e = q.shape[q.ndim - 1];
    let batchShape = broadcastShapes(q.shape.slice(0, -2), k.shape.slice(0, -2));
    if (bias !== null) batchShape = broadcastShapes(batchShape, bias.shape.slice(0, -2));
    const qb = expand(q, [...batchShape, l, e]);
    const kb = expand(k, [...batchShape, s, e]);
    const bb = bias === null ? null : expand(bias, [...batchShape, l, s]);
    const batch = shapeSize(batchShape);
    const out = allocate(q.dtype, batch * l * s, false);
    // The scores Q Kᵀ of each batch entry by the matmul kernel (the backend's), then the fused softmax.
    const matmulK = resolveKernel('matmul', matmulKernel);
    const qv = qb._array;
    const kv = kb._array;
    for (let i = 0; i < batch; i++) matmulK(qv, i * l * e, kv, i * s * e, out, i * l * s, l, e, s, false, true, false);
    resolveKernel('attentionSoftmax', attentionSoftmaxKernel)(
      out,
      bb === null ? null : bb._array,
      batch * l,
      l,
      s,
      scale,
      causal,
      out,
    );
    return new Tensor(out, [...batchShape, l, s], q.dtype);
  },
  backward: (dP, { inputs, output: P, attrs: { scale } }) => {
    const [q, k] = inputs;
    const bias = inputs.length > 2 ? inputs[2] : null;
    const dS = softmaxBackward(dP, P, -1);
    return [
      q.requiresGrad ? sumToShape(mul(matmul(dS, k), scale), q.shape) : null,
      k.requiresGrad ? sumToShape(mul(matmul(transpose(dS, -2, -1), q), scale), k.shape) : null,
      bias?.requiresGrad ? sumToShape(dS, bias.shape) : null,
    ];
  },
});

function describe(t: Tensor): string {
  return `${formatShape(t.shape)} (${t.dtype})`;
}

function checkOperand(fn: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor))
    throw new ValueError(`${fn}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64')
    throw new DTypeError(`${fn}: ${name} must be float32 or float64, got ${t.dtype}`);
  if (t.ndim < 2)
    throw new ShapeError(
      `${fn}: ${name} must have at least 2 dimensions ([..., seq, features]), got shape ${formatShape(t.shape)}`,
    );
}

function tryBroadcast(a: readonly number[], b: readonly number[]): number[] | null {
  try {
    return broadcastShapes(a, b);
  } catch (e) {
    if (e instanceof ShapeError) return null;
    throw e;
  }
}

interface Checked {
  scale: number;
  causal: boolean;
  /** The additive float bias (a boolean mask converted to 0 / -Infinity), or null. */
  bias: Tensor | null;
  batchShape: number[];
}

/** Check `q`, `k` (and `v`) and the options, and build the additive bias; nothing is computed on q, k, v. */
function checkAttention(
  fn: string,
  q: unknown,
  k: unknown,
  v: unknown,
  options: ScaledDotProductAttentionOptions,
): Checked {
  checkOperand(fn, 'q', q);
  checkOperand(fn, 'k', k);
  if (v !== undefined) checkOperand(fn, 'v', v);
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${fn}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkOptions(fn, options, ATTENTION_OPTIONS);
  const { attnMask = null, isCausal = false, scale = null } = options;
  if (k.dtype !== q.dtype || (v instanceof Tensor && v.dtype !== q.dtype))
    throw new DTypeError(
      `${fn}: q, k and v must have the same dtype, got ${q.dtype}, ${k.dtype}${v instanceof Tensor ? ` and ${v.dtype}` : ''}`,
    );
  const e = q.shape[q.ndim - 1];
  const l = q.shape[q.ndim - 2];
  const s = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== e)
    throw new ShapeError(
      `${fn}: q and k must have the same last (head) dimension, got q ${formatShape(q.shape)} and k ${formatShape(k.shape)} (${e} != ${k.shape[k.ndim - 1]})`,
    );
  let batchShape = tryBroadcast(q.shape.slice(0, -2), k.shape.slice(0, -2));
  if (batchShape === null)
    throw new ShapeError(
      `${fn}: the batch dimensions of q ${formatShape(q.shape)} and k ${formatShape(k.shape)} cannot be broadcast together`,
    );
  if (v instanceof Tensor) {
    if (v.shape[v.ndim - 2] !== s)
      throw new ShapeError(
        `${fn}: k and v must have the same sequence length (dimension -2), got k ${formatShape(k.shape)} and v ${formatShape(v.shape)}`,
      );
    const withV = tryBroadcast(batchShape, v.shape.slice(0, -2));
    if (withV === null)
      throw new ShapeError(
        `${fn}: the batch dimensions of q ${formatShape(q.shape)}, k ${formatShape(k.shape)} and v ${formatShape(v.shape)} cannot be broadcast together`,
      );
    batchShape = withV;
  }
  if (typeof isCausal !== 'boolean')
    throw new ValueError(`${fn}: isCausal must be a boolean, got ${JSON.stringify(isCausal)}`);
  let factor: number;
  if (scale === null || scale === undefined) factor = 1 / Math.sqrt(e);
  else if (typeof scale !== 'number' || !Number.isFinite(scale))
    throw new ValueError(`${fn}: scale must be a finite number or null, got ${JSON.stringify(scale)}`);
  else factor = scale;
  let bias: Tensor | null = null;
  if (attnMask !== null && attnMask !== undefined) {
    if (isCausal)
      throw new ValueError(
        `${fn}: attnMask and isCausal cannot be used together (pass one of them; PyTorch raises too)`,
      );
    if (!(attnMask instanceof Tensor))
      throw new ValueError(`${fn}: attnMask must be a Tensor or null, got ${typeof attnMask}`);
    const target = [...batchShape, l, s];
    const joint = tryBroadcast(attnMask.shape, target);
    if (joint === null || joint.length !== target.length || joint.some((d, i) => d !== target[i]))
      throw new ShapeError(
        `${fn}: attnMask of shape ${formatShape(attnMask.shape)} does not broadcast to the attention weights' shape ${formatShape(target)} ([..., L, S] for q ${formatShape(q.shape)} and k ${formatShape(k.shape)})`,
      );
    if (attnMask.dtype === 'int32') {
      // Checked where the mask is (on the webgpu backend, when a value is next awaited).
      const m = attnMask._array;
      runOnHost([m], [], () => {
        for (let i = 0; i < m.length; i++)
          if (m[i] !== 0 && m[i] !== 1)
            throw new ValueError(
              `${fn}: an int32 attnMask is a boolean mask and must hold only 0 and 1, got ${m[i]} at flat index ${i}`,
            );
      });
      bias = noGrad(() => where(attnMask, 0, Number.NEGATIVE_INFINITY).to(q.dtype));
    } else if (attnMask.dtype !== q.dtype)
      throw new DTypeError(
        `${fn}: a float attnMask must have the queries' dtype ${q.dtype}, got ${describe(attnMask)}; a boolean mask is an int32 tensor of 0/1`,
      );
    else bias = attnMask;
  }
  return { scale: factor, causal: isCausal, bias, batchShape };
}

/**
 * The attention weights `softmax(Q Kᵀ · scale + mask)` of {@link scaledDotProductAttention}, before
 * dropout: shape `[..., L, S]` for `q` of shape `[..., L, E]` and `k` of shape `[..., S, E]`. One fused
 * op: the softmax subtracts the row max, and the backward reads the saved weights `P`:
 * `dS = P ∘ (dP − rowsum(dP ∘ P))`, `dQ = scale · dS K`, `dK = scale · dSᵀ Q`, written with tensor ops
 * so gradients of gradients work. A float `attnMask` that requires gradients gets `dS` (summed over its
 * broadcast dimensions).
 *
 * Options and defaults as for {@link scaledDotProductAttention} (`dropoutP` and `generator` are ignored).
 * A row whose every key is masked gives NaN weights, as in PyTorch's math path.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html
 *
 * @example
 * ```ts
 * const q = randn([2, 4, 8]);
 * const k = randn([2, 6, 8]);
 * scaledDotProductAttentionWeights(q, k, { isCausal: true }).shape; // [2, 4, 6], each row sums to 1
 * ```
 */
export function scaledDotProductAttentionWeights(
  q: Tensor,
  k: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const fn = 'scaledDotProductAttentionWeights';
  const { scale, causal, bias } = checkAttention(fn, q, k, undefined, options);
  return weightsOp(bias === null ? [q, k] : [q, k, bias], { scale, causal });
}

/** Zero each element with probability `p` and scale the others by `1 / (1 - p)` (inverted dropout). */
function dropWeights(w: Tensor, p: number, generator: Generator | undefined): Tensor {
  const g = generator ?? defaultGenerator();
  const keep = 1 - p;
  const mask = allocate(w.dtype, w.size);
  for (let i = 0; i < mask.length; i++) mask[i] = g.uniform() < keep ? 1 / keep : 0;
  return mul(w, new Tensor(mask, w.shape, w.dtype));
}

/**
 * Scaled dot-product attention, like PyTorch 2's `torch.nn.functional.scaled_dot_product_attention`:
 * `softmax(Q Kᵀ · scale + mask) V`, for `q` of shape `[..., L, E]`, `k` of shape `[..., S, E]` and `v`
 * of shape `[..., S, Ev]`, giving `[..., L, Ev]`; the batch dimensions `...` broadcast.
 *
 * - `scale` defaults to `1/√E`.
 * - `attnMask` (default none): an int32 tensor of 0/1 is a boolean mask where 1 means "takes part"
 *   (masked scores become -Infinity); a float tensor is added to the scores. Either must broadcast to
 *   `[..., L, S]`.
 * - `isCausal` (default false): the lower-triangular mask aligned to the upper-left corner
 *   (`j <= i`); an error together with `attnMask`.
 * - `dropoutP` (default 0): when positive, dropout is applied to the weights (always, as PyTorch's
 *   function does; modules pass 0 in eval mode), with masks from `generator`.
 *
 * The weights come from the fused op {@link scaledDotProductAttentionWeights} (a numerically stable
 * softmax whose backward is computed from the saved weights), then one `matmul` with `v`. A query whose
 * every key is masked gets NaN weights and a NaN output, as in PyTorch's math path (1.13 and early
 * 2.x; some newer releases return zeros there instead).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html
 *
 * @param q - the queries `[..., L, E]`
 * @param k - the keys `[..., S, E]`
 * @param v - the values `[..., S, Ev]`
 *
 * @example
 * ```ts
 * const q = randn([2, 3, 5, 8]); // batch 2, 3 heads, 5 queries, head dimension 8
 * const k = randn([2, 3, 7, 8]);
 * const v = randn([2, 3, 7, 4]);
 * scaledDotProductAttention(q, k, v).shape; // [2, 3, 5, 4]
 * scaledDotProductAttention(q, k, v, { isCausal: true, scale: 0.5 });
 * ```
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const fn = 'scaledDotProductAttention';
  const { dropoutP = 0, generator } = options ?? {};
  if (typeof dropoutP !== 'number' || !(dropoutP >= 0 && dropoutP <= 1))
    throw new ValueError(`${fn}: dropoutP must be a number in [0, 1], got ${JSON.stringify(dropoutP)}`);
  const { scale, causal, bias } = checkAttention(fn, q, k, v, options);
  let w = weightsOp(bias === null ? [q, k] : [q, k, bias], { scale, causal });
  if (dropoutP > 0) w = dropWeights(w, dropoutP, generator);
  return matmul(w, v);
}
