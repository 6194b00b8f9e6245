// The argument checks of MultiheadAttention.forward: its options, the query, key and value (type, dtype,
// rank, features, sequence and batch sizes) and the masks (their dtype, 0/1 values and shape).
import { checkOptions, DTypeError, optionNames, runOnHost, ShapeError, Tensor, ValueError } from '@nablajs/core';
import { type FloatDType, formatShape } from '../layers/util';
import type { MultiheadAttention, MultiheadAttentionForwardOptions } from './multihead-attention';

function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

const MHA_FORWARD_OPTIONS = optionNames<MultiheadAttentionForwardOptions>({
  keyPaddingMask: true,
  needWeights: true,
  attnMask: true,
  averageAttnWeights: true,
  isCausal: true,
});

/** The checked arguments of {@link MultiheadAttention.forward}: its options with the defaults filled in, and the sizes. */
export interface CheckedForward {
  keyPaddingMask: Tensor | null;
  needWeights: boolean;
  attnMask: Tensor | null;
  averageAttnWeights: boolean;
  isCausal: boolean;
  /** Whether the inputs are 3-D. */
  batched: boolean;
  /** The batch size (1 for unbatched inputs). */
  n: number;
  /** The query's sequence length. */
  l: number;
  /** The keys' and values' sequence length. */
  s: number;
}

/**
 * Check the arguments of `mha.forward` (whose parameters have dtype `dtype`) and return them with the
 * options' defaults filled in; throws the ValueError, DTypeError or ShapeError naming the first problem.
 */
export function checkForward(
  mha: Pick<MultiheadAttention, 'embedDim' | 'numHeads' | 'kdim' | 'vdim' | 'batchFirst'>,
  dtype: FloatDType,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: MultiheadAttentionForwardOptions,
): CheckedForward {
  const label = 'MultiheadAttention';
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${label}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkOptions(label, options, MHA_FORWARD_OPTIONS);
  const {
    keyPaddingMask = null,
    needWeights = true,
    attnMask = null,
    averageAttnWeights = true,
    isCausal = false,
  } = options;
  for (const [name, t] of [
    ['query', query],
    ['key', key],
    ['value', value],
  ] as const) {
    if (!isTensor(t)) throw new ValueError(`${label}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.dtype !== dtype)
      throw new DTypeError(`${label}: ${name} has dtype ${t.dtype} but the module's parameters are ${dtype}`);
  }
  for (const [name, flag] of [
    ['needWeights', needWeights],
    ['averageAttnWeights', averageAttnWeights],
    ['isCausal', isCausal],
  ] as const)
    if (typeof flag !== 'boolean')
      throw new ValueError(`${label}: ${name} must be a boolean, got ${JSON.stringify(flag)}`);
  if (query.ndim !== 2 && query.ndim !== 3)
    throw new ShapeError(
      `${label}: query must be 3-D (batched) or 2-D (unbatched), got shape ${formatShape(query.shape)}`,
    );
  const batched = query.ndim === 3;
  if (key.ndim !== query.ndim || value.ndim !== query.ndim)
    throw new ShapeError(
      `${label}: for a ${query.ndim}-D query, key and value must be ${query.ndim}-D too, got key ${formatShape(key.shape)} and value ${formatShape(value.shape)}`,
    );
  const last = (t: Tensor) => t.shape[t.ndim - 1];
  if (last(query) !== mha.embedDim)
    throw new ShapeError(
      `${label}: query has embedDim ${last(query)} but the module was built with ${mha.embedDim} (query shape ${formatShape(query.shape)})`,
    );
  if (last(key) !== mha.kdim)
    throw new ShapeError(
      `${label}: key has ${last(key)} features but the module was built with kdim ${mha.kdim} (key shape ${formatShape(key.shape)})`,
    );
  if (last(value) !== mha.vdim)
    throw new ShapeError(
      `${label}: value has ${last(value)} features but the module was built with vdim ${mha.vdim} (value shape ${formatShape(value.shape)})`,
    );
  // Sequence and batch sizes, whatever the layout.
  const seqAxis = batched && mha.batchFirst ? 1 : 0;
  const batchAxis = batched ? (mha.batchFirst ? 0 : 1) : -1;
  const l = query.shape[seqAxis];
  const s = key.shape[seqAxis];
  const n = batched ? query.shape[batchAxis] : 1;
  if (value.shape[seqAxis] !== s || (batched && value.shape[batchAxis] !== key.shape[batchAxis]))
    throw new ShapeError(
      `${label}: key and value must have the same sequence and batch sizes, got key ${formatShape(key.shape)} and value ${formatShape(value.shape)}`,
    );
  if (batched && key.shape[batchAxis] !== n)
    throw new ShapeError(
      `${label}: query and key must have the same batch size, got query ${formatShape(query.shape)} and key ${formatShape(key.shape)} (batchFirst ${mha.batchFirst})`,
    );
  const h = mha.numHeads;
  if (keyPaddingMask !== null) {
    const want = batched ? [n, s] : [s];
    checkMask('keyPaddingMask', keyPaddingMask, [want], query, mha.batchFirst);
  }
  if (attnMask !== null) {
    const want3 = batched ? [n * h, l, s] : [h, l, s];
    checkMask('attnMask', attnMask, [[l, s], want3], query, mha.batchFirst);
  }
  return { keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal, batched, n, l, s };
}

function checkMask(name: string, mask: unknown, shapes: number[][], query: Tensor, batchFirst: boolean): void {
  const label = 'MultiheadAttention';
  if (!isTensor(mask)) throw new ValueError(`${label}: ${name} must be a Tensor or null, got ${typeof mask}`);
  if (mask.dtype === 'int32') {
    // Checked where the values are (see runOnHost): on the webgpu backend, for a mask on the GPU, when a
    // value is next awaited.
    const m = mask._array;
    runOnHost([m], [], () => {
      for (let i = 0; i < m.length; i++)
        if (m[i] !== 0 && m[i] !== 1)
          throw new ValueError(
            `${label}: an int32 ${name} is a boolean mask and must hold only 0 and 1, got ${m[i]} at flat index ${i}`,
          );
    });
  } else if (mask.dtype !== query.dtype)
    throw new DTypeError(
      `${label}: ${name} must be a boolean mask (int32 of 0/1) or a float mask of the query's dtype ${query.dtype}, got ${mask.dtype}`,
    );
  const ok = shapes.some((want) => want.length === mask.ndim && want.every((d, i) => d === mask.shape[i]));
  if (!ok)
    throw new ShapeError(
      `${label}: ${name} has shape ${formatShape(mask.shape)} but should be ${shapes.map(formatShape).join(' or ')} (query ${formatShape(query.shape)}, batchFirst ${batchFirst})`,
    );
}
