// Packed sequences, like torch.nn.utils.rnn: a batch of sequences of different lengths stored time step by time
// step, without padding, so that a recurrent layer runs each sequence for its own length only.

import {
  cat,
  checkOptions,
  DTypeError,
  full,
  indexSelect,
  optionNames,
  reshape,
  ShapeError,
  Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';

/**
 * A batch of sequences of different lengths, packed time step by time step, like PyTorch's
 * `torch.nn.utils.rnn.PackedSequence`: `data` holds, for each time step `t`, the elements at `t` of the
 * `batchSizes[t]` sequences still running (longest first), one row each. Made by {@link packPaddedSequence} or
 * {@link packSequence}; `RNN`, `LSTM` and `GRU` take one as input and return their output as one;
 * {@link padPackedSequence} turns it back into a padded tensor.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.PackedSequence.html
 *
 * @example
 * ```ts
 * const packed = packPaddedSequence(padded, [3, 1, 2], { enforceSorted: false });
 * packed.batchSizes.toArray(); // [3, 2, 1]
 * const { output, h } = lstm.forward(packed); // output is a PackedSequence
 * ```
 */
export class PackedSequence {
  /**
   * @param data - `[sum of lengths, *]`: the elements of every sequence, time step by time step
   * @param batchSizes - int32 `[maxLength]`: how many sequences run at each time step (non-increasing)
   * @param sortedIndices - int32 `[batch]`: the batch index of each sequence in the packed (longest first) order,
   *   or null when the batch was already sorted
   * @param unsortedIndices - int32 `[batch]`: the inverse of `sortedIndices`, or null
   */
  constructor(
    readonly data: Tensor,
    readonly batchSizes: Tensor,
    readonly sortedIndices: Tensor | null = null,
    readonly unsortedIndices: Tensor | null = null,
  ) {
    const fn = 'PackedSequence';
    if (!(data instanceof Tensor) || data.ndim < 1)
      throw new ValueError(`${fn}: data must be a Tensor of at least 1 dimension`);
    const sizes = batchSizesOf(fn, batchSizes);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (data.shape[0] !== total)
      throw new ShapeError(`${fn}: data has ${data.shape[0]} rows but batchSizes add up to ${total}`);
    if ((sortedIndices === null) !== (unsortedIndices === null))
      throw new ValueError(`${fn}: sortedIndices and unsortedIndices must both be given or both be null`);
    if (sortedIndices !== null && unsortedIndices !== null) {
      const sorted = permutationOf(fn, 'sortedIndices', sortedIndices, sizes[0]);
      const unsorted = permutationOf(fn, 'unsortedIndices', unsortedIndices, sizes[0]);
      sorted.forEach((b, p) => {
        if (unsorted[b] !== p) throw new ValueError(`${fn}: unsortedIndices must be the inverse of sortedIndices`);
      });
    }
  }

  /** The number of sequences in the batch. */
  get batch(): number {
    return this.batchSizes.data[0];
  }
}

/** Options of {@link packPaddedSequence}. */
export interface PackPaddedSequenceOptions {
  /** Whether the input is `[batch, time, *]` (default false: `[time, batch, *]`). */
  batchFirst?: boolean;
  /** Whether the lengths must already be in decreasing order (default true); false sorts them. */
  enforceSorted?: boolean;
}

/** Options of {@link padPackedSequence}. */
export interface PadPackedSequenceOptions {
  /** Return `[batch, time, *]` (default false: `[time, batch, *]`). */
  batchFirst?: boolean;
  /** The value of the padding (default 0). */
  paddingValue?: number;
  /** Pad to this many time steps instead of the longest sequence's length (at least that length). */
  totalLength?: number | null;
}

/** What {@link padPackedSequence} returns: PyTorch's `(padded, lengths)` pair. */
export interface PaddedSequence {
  /** `[time, batch, *]` (`[batch, time, *]` with `batchFirst`), `paddingValue` after each sequence's end. */
  output: Tensor;
  /** int32 `[batch]`: each sequence's length, in the batch order the sequences were packed from. */
  lengths: Tensor;
}

/** Options of {@link padSequence}. */
export interface PadSequenceOptions {
  /** Return `[batch, time, *]` (default false: `[time, batch, *]`). */
  batchFirst?: boolean;
  /** The value of the padding (default 0). */
  paddingValue?: number;
}

const PACK_OPTIONS = optionNames<PackPaddedSequenceOptions>({ batchFirst: true, enforceSorted: true });
const PAD_PACKED_OPTIONS = optionNames<PadPackedSequenceOptions>({
  batchFirst: true,
  paddingValue: true,
  totalLength: true,
});
const PAD_OPTIONS = optionNames<PadSequenceOptions>({ batchFirst: true, paddingValue: true });

function checkFlag(fn: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValueError(`${fn}: ${name} must be a boolean, got ${String(value)}`);
  return value;
}

function checkPadding(fn: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw new ValueError(`${fn}: paddingValue must be a number, got ${String(value)}`);
  return value;
}

function batchSizesOf(fn: string, batchSizes: unknown): number[] {
  if (!(batchSizes instanceof Tensor) || batchSizes.dtype !== 'int32' || batchSizes.ndim !== 1 || batchSizes.size === 0)
    throw new ValueError(`${fn}: batchSizes must be a non-empty 1-D int32 Tensor`);
  const sizes = Array.from(batchSizes.data);
  sizes.forEach((s, t) => {
    if (!(s >= 1) || (t > 0 && s > sizes[t - 1]))
      throw new ValueError(`${fn}: batchSizes must be positive and non-increasing, got [${sizes.join(', ')}]`);
  });
  return sizes;
}

function permutationOf(fn: string, name: string, t: unknown, n: number): number[] {
  if (!(t instanceof Tensor) || t.dtype !== 'int32' || t.ndim !== 1 || t.size !== n)
    throw new ValueError(`${fn}: ${name} must be a 1-D int32 Tensor of ${n} indices`);
  const values = Array.from(t.data);
  const seen = new Set(values);
  if (seen.size !== n || values.some((v) => !(v >= 0 && v < n)))
    throw new ValueError(`${fn}: ${name} must be a permutation of 0..${n - 1}`);
  return values;
}

/** `lengths` as positive integers (a list or a 1-D int32 tensor) of the `batch` sequences, each at most `maxLength`. */
function lengthsOf(fn: string, lengths: unknown, batch: number, maxLength: number): number[] {
  let values: number[];
  if (lengths instanceof Tensor) {
    if (lengths.dtype !== 'int32' || lengths.ndim !== 1)
      throw new DTypeError(
        `${fn}: lengths must be a list of numbers or a 1-D int32 Tensor, got ${lengths.dtype} of ${lengths.ndim} dimensions`,
      );
    values = Array.from(lengths.data);
  } else if (Array.isArray(lengths)) values = lengths as number[];
  else throw new ValueError(`${fn}: lengths must be a list of numbers or a 1-D int32 Tensor`);
  if (values.length !== batch)
    throw new ShapeError(`${fn}: ${values.length} lengths for a batch of ${batch} sequences`);
  values.forEach((v, b) => {
    if (!Number.isInteger(v) || v < 1 || v > maxLength)
      throw new ValueError(
        `${fn}: lengths[${b}] is ${String(v)}; every length must be an integer in [1, ${maxLength}] (the time steps of the input)`,
      );
  });
  return values;
}

/**
 * Pack a padded batch of sequences, like PyTorch's `torch.nn.utils.rnn.pack_padded_sequence`: `input` is
 * `[time, batch, *]` (`[batch, time, *]` with `batchFirst`) and `lengths[b]` the number of valid steps of sequence
 * `b`. With `enforceSorted` (the default) the lengths must be in decreasing order; with `enforceSorted: false`
 * the batch is sorted (longest first, ties in batch order) and the order is kept in the result, so that
 * {@link padPackedSequence} and a recurrent layer's final states come back in the input's order. The gradient
 * flows back to `input`'s valid elements.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pack_padded_sequence.html
 *
 * @example
 * ```ts
 * const padded = randn([4, 3, 8]); // 4 steps, 3 sequences, 8 features
 * const packed = packPaddedSequence(padded, [4, 2, 3], { enforceSorted: false });
 * packed.data.shape; // [9, 8]
 * ```
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: readonly number[] | Tensor,
  options: PackPaddedSequenceOptions = {},
): PackedSequence {
  const fn = 'packPaddedSequence';
  checkOptions(fn, options, PACK_OPTIONS);
  const batchFirst = checkFlag(fn, 'batchFirst', options.batchFirst, false);
  const enforceSorted = checkFlag(fn, 'enforceSorted', options.enforceSorted, true);
  if (!(input instanceof Tensor) || input.ndim < 2)
    throw new ShapeError(`${fn}: input must be a Tensor of at least 2 dimensions ([time, batch, *])`);
  const steps = input.shape[batchFirst ? 1 : 0];
  const batch = input.shape[batchFirst ? 0 : 1];
  const lens = lengthsOf(fn, lengths, batch, steps);
  const order = lens.map((_, b) => b);
  if (enforceSorted) {
    lens.forEach((l, b) => {
      if (b > 0 && l > lens[b - 1])
        throw new ValueError(
          `${fn}: lengths must be in decreasing order with enforceSorted (got [${lens.join(', ')}]); pass enforceSorted: false to sort them`,
        );
    });
  } else order.sort((a, b) => lens[b] - lens[a] || a - b);
  const maxLength = lens[order[0]];
  const sizes: number[] = [];
  const rows: number[] = [];
  for (let t = 0; t < maxLength; t++) {
    let n = 0;
    while (n < batch && lens[order[n]] > t) {
      const b = order[n];
      rows.push(batchFirst ? b * steps + t : t * batch + b);
      n++;
    }
    sizes.push(n);
  }
  const rest = input.shape.slice(2);
  const flat = reshape(input, [steps * batch, ...rest]);
  const data = indexSelect(flat, 0, tensor(rows, { dtype: 'int32' }));
  const batchSizes = tensor(sizes, { dtype: 'int32' });
  if (enforceSorted) return new PackedSequence(data, batchSizes);
  const unsorted = new Array<number>(batch);
  order.forEach((b, p) => {
    unsorted[b] = p;
  });
  return new PackedSequence(data, batchSizes, tensor(order, { dtype: 'int32' }), tensor(unsorted, { dtype: 'int32' }));
}

/**
 * Unpack a {@link PackedSequence} into a padded tensor, like PyTorch's `torch.nn.utils.rnn.pad_packed_sequence`:
 * returns `output`, `[time, batch, *]` (`[batch, time, *]` with `batchFirst`) with `paddingValue` after each
 * sequence's end, in the batch order the sequences were packed from, and `lengths`, int32 `[batch]`. The
 * gradient flows back to the packed data.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pad_packed_sequence.html
 *
 * @example
 * ```ts
 * const { output, h } = lstm.forward(packPaddedSequence(padded, lengths, { enforceSorted: false }));
 * const unpacked = padPackedSequence(output); // unpacked.output: [time, batch, hiddenSize], zeros after each end
 * ```
 */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedSequenceOptions = {}): PaddedSequence {
  const fn = 'padPackedSequence';
  checkOptions(fn, options, PAD_PACKED_OPTIONS);
  if (!(sequence instanceof PackedSequence)) throw new ValueError(`${fn}: sequence must be a PackedSequence`);
  const batchFirst = checkFlag(fn, 'batchFirst', options.batchFirst, false);
  const paddingValue = checkPadding(fn, options.paddingValue);
  const sizes = Array.from(sequence.batchSizes.data);
  const maxLength = sizes.length;
  const totalLength = options.totalLength ?? maxLength;
  if (!Number.isInteger(totalLength) || totalLength < maxLength)
    throw new ValueError(
      `${fn}: totalLength must be an integer at least the longest sequence's length (${maxLength}), got ${String(options.totalLength)}`,
    );
  const batch = sizes[0];
  const unsorted = sequence.unsortedIndices === null ? null : Array.from(sequence.unsortedIndices.data);
  const offsets: number[] = [];
  let total = 0;
  for (const s of sizes) {
    offsets.push(total);
    total += s;
  }
  const lengths = new Array<number>(batch);
  for (let b = 0; b < batch; b++) {
    const p = unsorted === null ? b : unsorted[b];
    let l = 0;
    while (l < maxLength && sizes[l] > p) l++;
    lengths[b] = l;
  }
  const index: number[] = [];
  const at = (t: number, b: number) => {
    const p = unsorted === null ? b : unsorted[b];
    return t < maxLength && p < sizes[t] ? offsets[t] + p : total;
  };
  if (batchFirst) for (let b = 0; b < batch; b++) for (let t = 0; t < totalLength; t++) index.push(at(t, b));
  else for (let t = 0; t < totalLength; t++) for (let b = 0; b < batch; b++) index.push(at(t, b));
  const data = sequence.data;
  const rest = data.shape.slice(1);
  const withPad = cat([data, full([1, ...rest], paddingValue, { dtype: data.dtype })], 0);
  const gathered = indexSelect(withPad, 0, tensor(index, { dtype: 'int32' }));
  const shape = batchFirst ? [batch, totalLength, ...rest] : [totalLength, batch, ...rest];
  return { output: reshape(gathered, shape), lengths: tensor(lengths, { dtype: 'int32' }) };
}

/**
 * Pad a list of sequences (`[length_i, *]`, the same `*`) to the longest, like PyTorch's
 * `torch.nn.utils.rnn.pad_sequence`: `[maxLength, batch, *]`, or `[batch, maxLength, *]` with `batchFirst`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pad_sequence.html
 *
 * @example
 * ```ts
 * padSequence([ones([3, 2]), ones([1, 2])], { batchFirst: true }).shape; // [2, 3, 2]
 * ```
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  const fn = 'padSequence';
  checkOptions(fn, options, PAD_OPTIONS);
  const batchFirst = checkFlag(fn, 'batchFirst', options.batchFirst, false);
  const paddingValue = checkPadding(fn, options.paddingValue);
  const seqs = checkSequences(fn, sequences);
  const maxLength = Math.max(...seqs.map((s) => s.shape[0]));
  const rest = seqs[0].shape.slice(1);
  const padded = seqs.map((s) => {
    const missing = maxLength - s.shape[0];
    const row = missing === 0 ? s : cat([s, full([missing, ...rest], paddingValue, { dtype: s.dtype })], 0);
    return reshape(row, batchFirst ? [1, maxLength, ...rest] : [maxLength, 1, ...rest]);
  });
  return cat(padded, batchFirst ? 0 : 1);
}

function checkSequences(fn: string, sequences: unknown): Tensor[] {
  if (!Array.isArray(sequences) || sequences.length === 0)
    throw new ValueError(`${fn}: sequences must be a non-empty array of Tensors`);
  const seqs = sequences as unknown[];
  seqs.forEach((s, i) => {
    if (!(s instanceof Tensor) || s.ndim < 1)
      throw new ValueError(`${fn}: sequences[${i}] must be a Tensor of at least 1 dimension`);
  });
  const first = seqs[0] as Tensor;
  seqs.forEach((s, i) => {
    const t = s as Tensor;
    if (t.dtype !== first.dtype)
      throw new DTypeError(`${fn}: sequences[${i}] is ${t.dtype} but sequences[0] is ${first.dtype}`);
    const same = t.ndim === first.ndim && t.shape.every((d, k) => k === 0 || d === first.shape[k]);
    if (!same)
      throw new ShapeError(
        `${fn}: sequences[${i}] has shape [${t.shape.join(', ')}]; every sequence must be [length, ${first.shape.slice(1).join(', ')}]`,
      );
    if (t.shape[0] === 0) throw new ValueError(`${fn}: sequences[${i}] is empty; every length must be at least 1`);
  });
  return seqs as Tensor[];
}

/**
 * Pack a list of sequences (`[length_i, *]`), like PyTorch's `torch.nn.utils.rnn.pack_sequence`: pads them with
 * {@link padSequence} and packs the result with {@link packPaddedSequence}.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.rnn.pack_sequence.html
 *
 * @example
 * ```ts
 * const packed = packSequence([randn([3, 4]), randn([5, 4])], { enforceSorted: false });
 * packed.batchSizes.toArray(); // [2, 2, 2, 1, 1]
 * ```
 */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  const fn = 'packSequence';
  checkOptions(fn, options, ['enforceSorted']);
  const seqs = checkSequences(fn, sequences);
  return packPaddedSequence(
    padSequence(seqs),
    seqs.map((s) => s.shape[0]),
    { enforceSorted: checkFlag(fn, 'enforceSorted', options.enforceSorted, true) },
  );
}
