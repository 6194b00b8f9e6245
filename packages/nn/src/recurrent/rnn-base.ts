import {
  cat,
  checkOptions,
  DTypeError,
  type Generator,
  indexSelect,
  optionNames,
  reshape,
  ShapeError,
  split,
  stack,
  Tensor,
  transpose,
  ValueError,
  zeros,
} from '@nablajs/core';
import { dropout as dropoutFn } from '../functional/dropout';
import { uniform } from '../init';
import { checkFloatDType, checkInt, type FloatDType, formatShape, generatorOf } from '../layers/util';
import { Module } from '../module';
import { checkRecurrentInput } from './cell-functions';
import { PackedSequence } from './packed-sequence';
import type { LSTMOptions, RNNOptions } from './rnn';
import { type DirectionWeights, runDirection } from './rnn-direction';

/** The recurrence a {@link RNNBase} runs (PyTorch's `mode`). */
export type RNNMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** Options shared by {@link RNN}, {@link LSTM} and {@link GRU} (PyTorch's keyword arguments). */
export interface RNNBaseOptions {
  /** The number of stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Learn the biases `b_ih` and `b_hh` (default true). */
  bias?: boolean;
  /** Input and output are `[batch, seq, feature]` instead of `[seq, batch, feature]` (default false); the states keep their layout. */
  batchFirst?: boolean;
  /** The probability of dropout on the outputs of every layer but the last, in training mode only (default 0). */
  dropout?: number;
  /** Run a second recurrence over the reversed sequence and concatenate its outputs (default false). */
  bidirectional?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights and of the dropout masks (default: core's global generator). */
  generator?: Generator;
}

const RNN_BASE_OPTIONS = optionNames<RNNBaseOptions>({
  numLayers: true,
  bias: true,
  batchFirst: true,
  dropout: true,
  bidirectional: true,
  dtype: true,
  generator: true,
});

/**
 * The option names a `mode` network takes: the shared ones, `nonlinearity` for RNN, and `projSize`, which
 * RNN and GRU accept only to reject a non-zero one with PyTorch's message ("only supported by LSTM").
 */
function optionNamesOf(mode: RNNMode): readonly string[] {
  const projSize = optionNames<Omit<LSTMOptions, keyof RNNBaseOptions>>({ projSize: true });
  if (mode !== 'RNN_TANH' && mode !== 'RNN_RELU') return [...RNN_BASE_OPTIONS, ...projSize];
  return [
    ...RNN_BASE_OPTIONS,
    ...optionNames<Omit<RNNOptions, keyof RNNBaseOptions>>({ nonlinearity: true }),
    ...projSize,
  ];
}

/** The result of {@link RNNBase.run}: the output sequence and the final states. */
export interface RNNRunResult {
  /**
   * The outputs of the last layer at every step, `[seq, batch, numDirections * outSize]` (or batch first /
   * unbatched as the input), or a {@link PackedSequence} of `[sum of lengths, numDirections * outSize]` for a packed input.
   */
  output: Tensor | PackedSequence;
  /** The final hidden state of every layer and direction, `[numLayers * numDirections, batch, outSize]` (no batch dimension for unbatched input). */
  h: Tensor;
  /** The final cell state (LSTM only), `[numLayers * numDirections, batch, hiddenSize]`, else null. */
  c: Tensor | null;
}

function gatesOf(mode: RNNMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

function checkBool(label: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new ValueError(`${label}: ${name} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The machinery shared by {@link RNN}, {@link LSTM} and {@link GRU}, like `torch.nn.RNNBase`: it checks
 * the options, creates the parameters with PyTorch's names and initialisation, and runs the stacked
 * (bidirectional) recurrence.
 *
 * Parameters, for layer `k` (and with the suffix `_reverse` for the backward direction):
 * `weight_ih_l{k}` `[gates * hiddenSize, inputSize]` (layer 0) or `[gates * hiddenSize, numDirections *
 * outSize]`, `weight_hh_l{k}` `[gates * hiddenSize, outSize]`, `bias_ih_l{k}` and `bias_hh_l{k}`
 * `[gates * hiddenSize]`, and for an LSTM with `projSize > 0` `weight_hr_l{k}` `[projSize, hiddenSize]`;
 * `gates` is 1 (RNN), 4 (LSTM) or 3 (GRU) and `outSize` is `projSize` if set, else `hiddenSize`. All are
 * initialised from `U(-1/√hiddenSize, 1/√hiddenSize)`, as in PyTorch.
 *
 * The input projections of all time steps are one matrix product per layer and direction; only the
 * hidden-to-hidden part loops over time. Gradients come from the Tensor ops (autograd).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RNNBase.html
 *
 * @example
 * ```ts
 * const lstm = new LSTM(4, 8, { numLayers: 2 }); // an RNNBase with mode 'LSTM'
 * Object.keys(lstm.stateDict()).slice(0, 4); // ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
 * ```
 */
export abstract class RNNBase extends Module {
  /** The recurrence: 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'. */
  readonly mode: RNNMode;
  /** The number of features of the input. */
  readonly inputSize: number;
  /** The number of features of the hidden (and LSTM cell) state. */
  readonly hiddenSize: number;
  /** The number of stacked layers. */
  readonly numLayers: number;
  /** Whether the layers have biases. */
  readonly bias: boolean;
  /** Whether input and output are batch first. */
  readonly batchFirst: boolean;
  /** The inter-layer dropout probability. */
  readonly dropout: number;
  /** Whether each layer also runs over the reversed sequence. */
  readonly bidirectional: boolean;
  /** The size of the LSTM projection of the hidden state (0: none). */
  readonly projSize: number;
  /** The parameters' dtype. */
  readonly dtype: FloatDType;
  /** The generator of the dropout masks, or undefined for the global one. */
  readonly generator: Generator | undefined;
  private readonly weights: DirectionWeights[] = [];

  /**
   * Check the options and create the parameters of a `mode` network.
   *
   * @param projSize - the LSTM projection size (0 for none; must be 0 for other modes)
   */
  protected constructor(
    mode: RNNMode,
    inputSize: number,
    hiddenSize: number,
    options: RNNBaseOptions,
    projSize: unknown = 0,
  ) {
    super();
    const label = mode === 'LSTM' ? 'LSTM' : mode === 'GRU' ? 'GRU' : 'RNN';
    if (options === null || typeof options !== 'object')
      throw new ValueError(`${label}: options must be an object, got ${String(options)}`);
    checkOptions(label, options, optionNamesOf(mode));
    this.mode = mode;
    this.inputSize = checkInt(label, 'inputSize', inputSize, 1);
    this.hiddenSize = checkInt(label, 'hiddenSize', hiddenSize, 1);
    this.numLayers = checkInt(label, 'numLayers', options.numLayers ?? 1, 1);
    this.bias = checkBool(label, 'bias', options.bias, true);
    this.batchFirst = checkBool(label, 'batchFirst', options.batchFirst, false);
    this.bidirectional = checkBool(label, 'bidirectional', options.bidirectional, false);
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ValueError(`${label}: dropout must be a number in [0, 1], got ${JSON.stringify(p)}`);
    this.dropout = p;
    this.projSize = checkInt(label, 'projSize', projSize, 0);
    if (mode !== 'LSTM' && this.projSize !== 0)
      throw new ValueError(`${label}: projSize is only supported by LSTM, got projSize=${this.projSize}`);
    if (this.projSize >= this.hiddenSize)
      throw new ValueError(
        `${label}: projSize must be smaller than hiddenSize, got projSize=${this.projSize} and hiddenSize=${this.hiddenSize}`,
      );
    this.dtype = checkFloatDType(label, options.dtype);
    this.generator = options.generator;
    const generator = generatorOf(options);

    const gateSize = gatesOf(mode) * this.hiddenSize;
    const outSize = this.outSize;
    const bound = 1 / Math.sqrt(this.hiddenSize);
    const dtype = this.dtype;
    const make = (name: string, shape: number[]): Tensor =>
      this.registerParameter(name, uniform(zeros(shape, { dtype }), -bound, bound, { generator }));
    for (let layer = 0; layer < this.numLayers; layer++)
      for (let dir = 0; dir < this.numDirections; dir++) {
        const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? this.inputSize : outSize * this.numDirections;
        const weightIh = make(`weight_ih${suffix}`, [gateSize, layerInput]);
        const weightHh = make(`weight_hh${suffix}`, [gateSize, outSize]);
        const biasIh = this.bias ? make(`bias_ih${suffix}`, [gateSize]) : null;
        const biasHh = this.bias ? make(`bias_hh${suffix}`, [gateSize]) : null;
        const weightHr = this.projSize > 0 ? make(`weight_hr${suffix}`, [this.projSize, this.hiddenSize]) : null;
        this.weights.push({ weightIh, weightHh, biasIh, biasHh, weightHr });
      }
  }

  /** 2 for a bidirectional network, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The size of the hidden state and of each direction's output: `projSize` if set, else `hiddenSize`. */
  get outSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** The layer's name in messages, e.g. `LSTM(4, 8)`. */
  protected get label(): string {
    const name = this.mode === 'LSTM' ? 'LSTM' : this.mode === 'GRU' ? 'GRU' : 'RNN';
    return `${name}(${this.inputSize}, ${this.hiddenSize})`;
  }

  private checkState(name: string, state: unknown, expected: number[], unbatched: boolean): Tensor {
    const label = this.label;
    if (!(state instanceof Tensor))
      throw new ValueError(`${label}: ${name} must be a Tensor, got ${state === null ? 'null' : typeof state}`);
    if (state.dtype !== this.dtype)
      throw new DTypeError(`${label}: ${name} has dtype ${state.dtype} but the module's parameters are ${this.dtype}`);
    const want = unbatched ? [expected[0], expected[2]] : expected;
    if (state.ndim !== want.length || state.shape.some((d, i) => d !== want[i]))
      throw new ShapeError(
        `${label}: ${name} has shape ${formatShape(state.shape)} but expected ${formatShape(want)} ` +
          `(numLayers * numDirections${unbatched ? '' : ', batch'}, ${name === 'c0' ? 'hiddenSize' : 'hidden size'})` +
          `${unbatched ? ' for unbatched 2-D input' : ''}`,
      );
    return state;
  }

  /**
   * Run the network on `input` from the initial states `h0` (and `c0` for an LSTM; zeros when absent).
   * Every argument is checked before anything is computed.
   *
   * @param input - `[seq, batch, inputSize]`, `[batch, seq, inputSize]` with `batchFirst`, `[seq, inputSize]`
   *   unbatched, or a {@link PackedSequence} (then the output is one too, with the same batch sizes and order)
   * @param h0 - `[numLayers * numDirections, batch, outSize]` (`[numLayers * numDirections, outSize]` unbatched)
   * @param c0 - LSTM only: `[numLayers * numDirections, batch, hiddenSize]` (no batch dimension unbatched)
   */
  protected run(input: unknown, h0?: unknown, c0?: unknown): RNNRunResult {
    const label = this.label;
    const packed = input instanceof PackedSequence ? input : null;
    if (packed !== null) {
      if (packed.data.ndim !== 2)
        throw new ShapeError(
          `${label}: a packed input's data must be [sum of lengths, inputSize], got shape ${formatShape(packed.data.shape)}`,
        );
      checkRecurrentInput(label, packed.data, this.dtype, this.inputSize, 1);
    } else checkRecurrentInput(label, input, this.dtype, this.inputSize, 2);
    const padded = input as Tensor;
    const unbatched = packed === null && padded.ndim === 2;
    const seqLen =
      packed !== null ? packed.batchSizes.size : unbatched ? padded.shape[0] : padded.shape[this.batchFirst ? 1 : 0];
    const batch = packed !== null ? packed.batch : unbatched ? 1 : padded.shape[this.batchFirst ? 0 : 1];
    if (seqLen === 0 || batch === 0)
      throw new ShapeError(
        `${label}: input must have a non-empty sequence and batch, got shape ${formatShape(padded.shape)}`,
      );
    const states = this.numLayers * this.numDirections;
    const h =
      h0 === undefined || h0 === null ? null : this.checkState('h0', h0, [states, batch, this.outSize], unbatched);
    const c =
      this.mode !== 'LSTM' || c0 === undefined || c0 === null
        ? null
        : this.checkState('c0', c0, [states, batch, this.hiddenSize], unbatched);

    // Inside, the layer input is flat, [rows, features], time step after time step: `sizes[t]` rows at step t
    // (the batch when padded; the sequences still running, longest first, when packed).
    const sizes = packed !== null ? Array.from(packed.batchSizes.data) : new Array<number>(seqLen).fill(batch);
    let x: Tensor;
    if (packed !== null) x = packed.data;
    else {
      const timeMajor = unbatched
        ? reshape(padded, [seqLen, 1, this.inputSize])
        : this.batchFirst
          ? transpose(padded, 0, 1)
          : padded;
      x = reshape(timeMajor, [seqLen * batch, this.inputSize]);
    }
    // A packed batch runs in its sorted order: its initial states are taken in that order, its final ones put back.
    const order = packed?.sortedIndices ?? null;
    const hInit = this.initialStates(h, states, batch, this.outSize, order);
    const cInit = this.mode === 'LSTM' ? this.initialStates(c, states, batch, this.hiddenSize, order) : null;
    const hLast: Tensor[] = [];
    const cLast: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      if (layer > 0 && this.dropout > 0 && this.training) x = dropoutFn(x, this.dropout, true, this.generator);
      const outputs: Tensor[] = [];
      for (let dir = 0; dir < this.numDirections; dir++) {
        const index = layer * this.numDirections + dir;
        const result = runDirection(
          this.mode,
          this.hiddenSize,
          x,
          this.weights[index],
          hInit[index],
          cInit === null ? null : cInit[index],
          sizes,
          dir === 1,
        );
        outputs.push(result.output);
        hLast.push(result.h);
        if (result.c !== null) cLast.push(result.c);
      }
      x = outputs.length === 1 ? outputs[0] : cat(outputs, 1);
    }
    const unsort = packed?.unsortedIndices ?? null;
    const finalState = (list: Tensor[]): Tensor => {
      const s = stack(list, 0);
      if (unsort !== null) return indexSelect(s, 1, unsort);
      return unbatched ? reshape(s, [s.shape[0], s.shape[2]]) : s;
    };
    const h1 = finalState(hLast);
    const c1 = this.mode === 'LSTM' ? finalState(cLast) : null;
    if (packed !== null)
      return {
        output: new PackedSequence(x, packed.batchSizes, packed.sortedIndices, packed.unsortedIndices),
        h: h1,
        c: c1,
      };
    let output = reshape(x, [seqLen, batch, x.shape[1]]);
    if (unbatched) output = reshape(output, [seqLen, output.shape[2]]);
    else if (this.batchFirst) output = transpose(output, 0, 1);
    return { output, h: h1, c: c1 };
  }

  /**
   * The initial state of every layer and direction as `[batch, size]` tensors (zeros when absent), with the batch
   * taken in `order` when given.
   */
  private initialStates(
    state: Tensor | null,
    count: number,
    batch: number,
    size: number,
    order: Tensor | null,
  ): Tensor[] {
    if (state === null) {
      const zero = zeros([batch, size], { dtype: this.dtype });
      return new Array<Tensor>(count).fill(zero);
    }
    return split(state, 1, 0).map((s) => {
      const rows = reshape(s, [batch, size]);
      return order === null ? rows : indexSelect(rows, 0, order);
    });
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.projSize !== 0) parts.push(`projSize=${this.projSize}`);
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (this.mode === 'RNN_RELU') parts.push(`nonlinearity='relu'`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout !== 0) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}
