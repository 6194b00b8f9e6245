import {
  add,
  cat,
  checkOptions,
  DTypeError,
  type Generator,
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
import { linear } from '../functional/linear';
import { uniform } from '../init';
import { checkFloatDType, checkInt, type FloatDType, formatShape, generatorOf } from '../layers/util';
import { Module } from '../module';
import { checkRecurrentInput, gruStep, lstmStep, rnnStep } from './cell-functions';
import type { LSTMOptions, RNNOptions } from './rnn';

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

/** The parameters of one layer and direction (null where absent). */
interface Weights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
  weightHr: Tensor | null;
}

/** The result of {@link RNNBase.run}: the output sequence and the final states. */
export interface RNNRunResult {
  /** The outputs of the last layer at every step, `[seq, batch, numDirections * outSize]` (or batch first / unbatched as the input). */
  output: Tensor;
  /** The final hidden state of every layer and direction, `[numLayers * numDirections, batch, outSize]` (no batch dimension for unbatched input). */
  h: Tensor;
  /** The final cell state (LSTM only), `[numLayers * numDirections, batch, hiddenSize]`, else null. */
  c: Tensor | null;
}

/**
 * Split `x`, `[count * batch, features]`, into its `count` time steps of `[batch, features]` by halving
 * recursively. NOTE: splitting into all steps at once makes the backward pass scatter every step's
 * gradient into a zero tensor of the whole sequence (O(seq²) work); halving costs O(seq log seq).
 */
function splitSteps(x: Tensor, batch: number, count: number, out: Tensor[]): void {
  if (count === 1) {
    out.push(x);
    return;
  }
  const left = Math.ceil(count / 2);
  const [first, second] = split(x, [left * batch, (count - left) * batch], 0);
  splitSteps(first, batch, left, out);
  splitSteps(second, batch, count - left, out);
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
  private readonly weights: Weights[] = [];

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
   * @param input - `[seq, batch, inputSize]`, `[batch, seq, inputSize]` with `batchFirst`, or `[seq, inputSize]` unbatched
   * @param h0 - `[numLayers * numDirections, batch, outSize]` (`[numLayers * numDirections, outSize]` unbatched)
   * @param c0 - LSTM only: `[numLayers * numDirections, batch, hiddenSize]` (no batch dimension unbatched)
   */
  protected run(input: unknown, h0?: unknown, c0?: unknown): RNNRunResult {
    const label = this.label;
    checkRecurrentInput(label, input, this.dtype, this.inputSize, 2);
    const unbatched = input.ndim === 2;
    const seqLen = unbatched ? input.shape[0] : input.shape[this.batchFirst ? 1 : 0];
    const batch = unbatched ? 1 : input.shape[this.batchFirst ? 0 : 1];
    if (seqLen === 0 || batch === 0)
      throw new ShapeError(
        `${label}: input must have a non-empty sequence and batch, got shape ${formatShape(input.shape)}`,
      );
    const states = this.numLayers * this.numDirections;
    const h =
      h0 === undefined || h0 === null ? null : this.checkState('h0', h0, [states, batch, this.outSize], unbatched);
    const c =
      this.mode !== 'LSTM' || c0 === undefined || c0 === null
        ? null
        : this.checkState('c0', c0, [states, batch, this.hiddenSize], unbatched);

    // Time-major [seq, batch, features] inside.
    let x = unbatched ? reshape(input, [seqLen, 1, this.inputSize]) : this.batchFirst ? transpose(input, 0, 1) : input;
    const hInit = this.initialStates(h, states, batch, this.outSize);
    const cInit = this.mode === 'LSTM' ? this.initialStates(c, states, batch, this.hiddenSize) : null;
    const hLast: Tensor[] = [];
    const cLast: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      if (layer > 0 && this.dropout > 0 && this.training) x = dropoutFn(x, this.dropout, true, this.generator);
      const flat = reshape(x, [seqLen * batch, x.shape[2]]);
      const outputs: Tensor[] = [];
      for (let dir = 0; dir < this.numDirections; dir++) {
        const index = layer * this.numDirections + dir;
        const result = this.runDirection(
          flat,
          this.weights[index],
          hInit[index],
          cInit === null ? null : cInit[index],
          seqLen,
          batch,
          dir === 1,
        );
        outputs.push(result.output);
        hLast.push(result.h);
        if (result.c !== null) cLast.push(result.c);
      }
      x = outputs.length === 1 ? outputs[0] : cat(outputs, 2);
    }
    let output = x;
    if (unbatched) output = reshape(output, [seqLen, output.shape[2]]);
    else if (this.batchFirst) output = transpose(output, 0, 1);
    const finalState = (list: Tensor[]): Tensor => {
      const s = stack(list, 0);
      return unbatched ? reshape(s, [s.shape[0], s.shape[2]]) : s;
    };
    return { output, h: finalState(hLast), c: this.mode === 'LSTM' ? finalState(cLast) : null };
  }

  /** The initial state of every layer and direction as `[batch, size]` tensors (zeros when absent). */
  private initialStates(state: Tensor | null, count: number, batch: number, size: number): Tensor[] {
    if (state === null) {
      const zero = zeros([batch, size], { dtype: this.dtype });
      return new Array<Tensor>(count).fill(zero);
    }
    return split(state, 1, 0).map((s) => reshape(s, [batch, size]));
  }

  /** One layer in one direction over the whole sequence; `flat` is the layer input as `[seq * batch, features]`. */
  private runDirection(
    flat: Tensor,
    w: Weights,
    h0: Tensor,
    c0: Tensor | null,
    seqLen: number,
    batch: number,
    reverse: boolean,
  ): { output: Tensor; h: Tensor; c: Tensor | null } {
    // NOTE: RNN and LSTM add b_hh outside the recurrence (summed once with b_ih); GRU cannot, because
    // r multiplies (h W_hnᵀ + b_hn).
    const inputBias =
      this.mode === 'GRU' || w.biasIh === null || w.biasHh === null ? w.biasIh : add(w.biasIh, w.biasHh);
    const projected = linear(flat, w.weightIh, inputBias);
    const steps: Tensor[] = [];
    splitSteps(projected, batch, seqLen, steps);
    const outputs = new Array<Tensor>(seqLen);
    let h = h0;
    let c = c0;
    for (let i = 0; i < seqLen; i++) {
      const t = reverse ? seqLen - 1 - i : i;
      const xg = steps[t];
      if (this.mode === 'LSTM') {
        const next = lstmStep(xg, h, c as Tensor, w.weightHh, w.weightHr, this.hiddenSize);
        h = next.h;
        c = next.c;
      } else if (this.mode === 'GRU') h = gruStep(xg, h, w.weightHh, w.biasHh, this.hiddenSize);
      else h = rnnStep(xg, h, w.weightHh, this.mode === 'RNN_TANH' ? 'tanh' : 'relu');
      outputs[t] = h;
    }
    return { output: stack(outputs, 0), h, c };
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
