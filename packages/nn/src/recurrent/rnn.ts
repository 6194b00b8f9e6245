import { type Tensor, ValueError } from '@nablajs/core';
import { type LSTMState, lstmStateParts } from './cell-functions';
import type { PackedSequence } from './packed-sequence';
import { RNNBase, type RNNBaseOptions } from './rnn-base';

// A caller without types may still pass projSize to RNN or GRU; RNNBase rejects it as PyTorch does.
function projSizeOf(options: unknown): unknown {
  return (options as { projSize?: unknown } | null)?.projSize ?? 0;
}

/** Options of {@link RNN}: the shared ones and the nonlinearity. */
export interface RNNOptions extends RNNBaseOptions {
  /** The nonlinearity, 'tanh' or 'relu' (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
}

/** Options of {@link LSTM}: the shared ones and the projection size. */
export interface LSTMOptions extends RNNBaseOptions {
  /** Project each hidden state to this size with `weight_hr_l{k}` (default 0: no projection); must be < hiddenSize. */
  projSize?: number;
}

/** Options of {@link GRU} (the shared ones). */
export interface GRUOptions extends RNNBaseOptions {}

/**
 * What {@link RNN} and {@link GRU} return: PyTorch's tuple `(output, h_n)` as `{ output, h }`.
 */
export interface RNNOutput<O extends Tensor | PackedSequence = Tensor> {
  /** The last layer's hidden state at every step (both directions concatenated): `[seq, batch, numDirections * hiddenSize]`, `[batch, seq, ·]` with batchFirst, `[seq, ·]` unbatched; a {@link PackedSequence} for a packed input. */
  output: O;
  /** PyTorch's `h_n`: the final hidden state of each layer and direction (index `layer * numDirections + direction`), `[numLayers * numDirections, batch, hiddenSize]` (no batch dimension unbatched). */
  h: Tensor;
}

/**
 * What {@link LSTM} returns: PyTorch's `(output, (h_n, c_n))` as `{ output, h, c }`.
 */
export interface LSTMOutput<O extends Tensor | PackedSequence = Tensor> extends RNNOutput<O> {
  /** PyTorch's `c_n`: the final cell state of each layer and direction, `[numLayers * numDirections, batch, hiddenSize]` (no batch dimension unbatched). */
  c: Tensor;
}

/**
 * A multi-layer Elman RNN, like `torch.nn.RNN`: for each layer and time step
 * `h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)` with `act` tanh or ReLU; the input of layer
 * `k > 0` is the output of layer `k - 1` (with dropout in training when `dropout > 0`).
 *
 * Defaults as in PyTorch: `numLayers = 1`, `nonlinearity = 'tanh'`, `bias = true`, `batchFirst = false`,
 * `dropout = 0`, `bidirectional = false`, dtype float32. Parameters `weight_ih_l{k}`, `weight_hh_l{k}`,
 * `bias_ih_l{k}`, `bias_hh_l{k}` (and `..._reverse`), all initialised from `U(-1/√hiddenSize, 1/√hiddenSize)`.
 * `forward(input, h0?)` returns `{ output, h }`, PyTorch's `(output, h_n)`; `h0` defaults to zeros.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RNN.html
 *
 * @example
 * ```ts
 * const rnn = new RNN(10, 20, { numLayers: 2 });
 * const { output, h } = rnn.forward(randn([5, 3, 10])); // output [5, 3, 20], h [2, 3, 20]
 * ```
 */
export class RNN extends RNNBase {
  /** The nonlinearity, 'tanh' or 'relu'. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = options?.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu')
      throw new ValueError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nonlinearity)}`);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options, projSizeOf(options));
    this.nonlinearity = nonlinearity;
  }

  /**
   * Run the RNN over `input` (`[seq, batch, inputSize]`, batch first with `batchFirst`, `[seq, inputSize]`, or a
   * {@link PackedSequence}, whose output is packed too) from `h0` (`[numLayers * numDirections, batch,
   * hiddenSize]`, zeros by default).
   */
  forward(input: Tensor, h0?: Tensor | null): RNNOutput;
  forward(input: PackedSequence, h0?: Tensor | null): RNNOutput<PackedSequence>;
  forward(input: Tensor | PackedSequence, h0?: Tensor | null): RNNOutput<Tensor | PackedSequence> {
    const { output, h } = this.run(input, h0);
    return { output, h };
  }
}

/**
 * A multi-layer long short-term memory network, like `torch.nn.LSTM`: for each layer and time step,
 * with the gates in PyTorch's order i, f, g, o,
 * `[i, f, g, o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh`, `c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)`,
 * `h_t = σ(o) ⊙ tanh(c_t)`, and with `projSize > 0` `h_t ← h_t W_hrᵀ`.
 *
 * Defaults as in PyTorch: `numLayers = 1`, `bias = true`, `batchFirst = false`, `dropout = 0`,
 * `bidirectional = false`, `projSize = 0`, dtype float32; parameters `weight_ih_l{k}`, `weight_hh_l{k}`,
 * `bias_ih_l{k}`, `bias_hh_l{k}`, `weight_hr_l{k}` (with projections) and `..._reverse`, all from
 * `U(-1/√hiddenSize, 1/√hiddenSize)`. `forward(input, { h, c }?)` returns `{ output, h, c }`, PyTorch's
 * `(output, (h_n, c_n))`; the initial states default to zeros.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html
 *
 * @example
 * ```ts
 * const lstm = new LSTM(10, 20, { numLayers: 2, bidirectional: true });
 * const { output, h, c } = lstm.forward(randn([5, 3, 10])); // [5, 3, 40], [4, 3, 20], [4, 3, 20]
 * ```
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options, options?.projSize ?? 0);
  }

  /**
   * Run the LSTM over `input` (`[seq, batch, inputSize]`, batch first with `batchFirst`, `[seq, inputSize]`, or a
   * {@link PackedSequence}, whose output is packed too) from `hx = { h, c }` (or PyTorch's pair `[h, c]`): `h` is `[numLayers * numDirections, batch, outSize]`,
   * `c` is `[numLayers * numDirections, batch, hiddenSize]`; both zeros by default.
   */
  forward(input: Tensor, hx?: LSTMState | readonly [Tensor, Tensor] | null): LSTMOutput;
  forward(input: PackedSequence, hx?: LSTMState | readonly [Tensor, Tensor] | null): LSTMOutput<PackedSequence>;
  forward(
    input: Tensor | PackedSequence,
    hx?: LSTMState | readonly [Tensor, Tensor] | null,
  ): LSTMOutput<Tensor | PackedSequence> {
    const [h0, c0] = lstmStateParts(this.label, hx);
    const { output, h, c } = this.run(input, h0, c0);
    return { output, h, c: c as Tensor };
  }
}

/**
 * A multi-layer gated recurrent unit network, like `torch.nn.GRU`: for each layer and time step, with
 * the gates in PyTorch's order r, z, n, `r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)`,
 * `z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)`, `n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))`,
 * `h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}`.
 *
 * Defaults as in PyTorch: `numLayers = 1`, `bias = true`, `batchFirst = false`, `dropout = 0`,
 * `bidirectional = false`, dtype float32; parameters `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
 * `bias_hh_l{k}` (and `..._reverse`), all from `U(-1/√hiddenSize, 1/√hiddenSize)`.
 * `forward(input, h0?)` returns `{ output, h }`, PyTorch's `(output, h_n)`; `h0` defaults to zeros.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.GRU.html
 *
 * @example
 * ```ts
 * const gru = new GRU(10, 20, { batchFirst: true });
 * const { output, h } = gru.forward(randn([3, 5, 10])); // output [3, 5, 20], h [1, 3, 20]
 * ```
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    super('GRU', inputSize, hiddenSize, options, projSizeOf(options));
  }

  /**
   * Run the GRU over `input` (`[seq, batch, inputSize]`, batch first with `batchFirst`, `[seq, inputSize]`, or a
   * {@link PackedSequence}, whose output is packed too) from `h0` (`[numLayers * numDirections, batch,
   * hiddenSize]`, zeros by default).
   */
  forward(input: Tensor, h0?: Tensor | null): RNNOutput;
  forward(input: PackedSequence, h0?: Tensor | null): RNNOutput<PackedSequence>;
  forward(input: Tensor | PackedSequence, h0?: Tensor | null): RNNOutput<Tensor | PackedSequence> {
    const { output, h } = this.run(input, h0);
    return { output, h };
  }
}
