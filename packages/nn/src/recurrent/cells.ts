import {
  checkOptions,
  DTypeError,
  type Generator,
  optionNames,
  reshape,
  ShapeError,
  Tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { linear } from '../functional/linear';
import { uniform } from '../init';
import { checkFloatDType, checkInt, type FloatDType, formatShape, generatorOf } from '../layers/util';
import { Module } from '../module';
import {
  checkRecurrentInput,
  gruStep,
  type LSTMState,
  lstmStateParts,
  lstmStep,
  rnnStep,
  summedBias,
} from './cell-functions';

/** Options of {@link LSTMCell} and {@link GRUCell} (PyTorch's keyword arguments). */
export interface RNNCellBaseOptions {
  /** Learn the biases `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
}

/** Options of {@link RNNCell}: the shared ones and the nonlinearity. */
export interface RNNCellOptions extends RNNCellBaseOptions {
  /** The nonlinearity, 'tanh' or 'relu' (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
}

const RNN_CELL_BASE_OPTIONS = optionNames<RNNCellBaseOptions>({ bias: true, dtype: true, generator: true });
const RNN_CELL_OPTIONS = [
  ...RNN_CELL_BASE_OPTIONS,
  ...optionNames<Omit<RNNCellOptions, keyof RNNCellBaseOptions>>({ nonlinearity: true }),
];

/**
 * The parameters and checks shared by {@link RNNCell}, {@link LSTMCell} and {@link GRUCell}, like
 * `torch.nn.RNNCellBase`: `weight_ih` `[gates * hiddenSize, inputSize]`, `weight_hh`
 * `[gates * hiddenSize, hiddenSize]`, `bias_ih` and `bias_hh` `[gates * hiddenSize]` (gates: 1 for
 * RNNCell, 4 for LSTMCell, 3 for GRUCell), all initialised from `U(-1/√hiddenSize, 1/√hiddenSize)` as
 * in PyTorch. Inputs are `[batch, inputSize]` or unbatched `[inputSize]`, states `[batch, hiddenSize]`
 * or `[hiddenSize]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RNNCell.html
 *
 * @example
 * ```ts
 * Object.keys(new GRUCell(3, 4).stateDict()); // ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']
 * ```
 */
export abstract class RNNCellBase extends Module {
  /** The number of features of the input. */
  readonly inputSize: number;
  /** The number of features of the hidden state. */
  readonly hiddenSize: number;
  /** `weight_ih`, `[gates * hiddenSize, inputSize]`. */
  readonly weightIh: Tensor;
  /** `weight_hh`, `[gates * hiddenSize, hiddenSize]`. */
  readonly weightHh: Tensor;
  /** `bias_ih`, `[gates * hiddenSize]`, or null without biases. */
  readonly biasIh: Tensor | null;
  /** `bias_hh`, `[gates * hiddenSize]`, or null without biases. */
  readonly biasHh: Tensor | null;
  /** The parameters' dtype. */
  readonly dtype: FloatDType;
  private readonly name: string;

  /**
   * Check the options and create the parameters of a cell with `gates` gates.
   *
   * @param known - the option names the cell takes (default: those of {@link RNNCellBaseOptions})
   */
  protected constructor(
    name: string,
    gates: number,
    inputSize: number,
    hiddenSize: number,
    options: RNNCellBaseOptions,
    known: readonly string[] = RNN_CELL_BASE_OPTIONS,
  ) {
    super();
    if (options === null || typeof options !== 'object')
      throw new ValueError(`${name}: options must be an object, got ${String(options)}`);
    checkOptions(name, options, known);
    this.name = name;
    this.inputSize = checkInt(name, 'inputSize', inputSize, 1);
    this.hiddenSize = checkInt(name, 'hiddenSize', hiddenSize, 1);
    const bias = options.bias ?? true;
    if (typeof bias !== 'boolean') throw new ValueError(`${name}: bias must be a boolean, got ${JSON.stringify(bias)}`);
    const dtype = checkFloatDType(name, options.dtype);
    this.dtype = dtype;
    const generator = generatorOf(options);
    const bound = 1 / Math.sqrt(hiddenSize);
    const make = (param: string, shape: number[]): Tensor =>
      this.registerParameter(param, uniform(zeros(shape, { dtype }), -bound, bound, { generator }));
    this.weightIh = make('weight_ih', [gates * hiddenSize, inputSize]);
    this.weightHh = make('weight_hh', [gates * hiddenSize, hiddenSize]);
    this.biasIh = bias ? make('bias_ih', [gates * hiddenSize]) : this.registerParameter('bias_ih', null);
    this.biasHh = bias ? make('bias_hh', [gates * hiddenSize]) : this.registerParameter('bias_hh', null);
  }

  /** The cell's name in messages, e.g. `LSTMCell(3, 4)`. */
  protected get label(): string {
    return `${this.name}(${this.inputSize}, ${this.hiddenSize})`;
  }

  /**
   * Check `input` and the given states (null or undefined: zeros), then return them all as
   * `[batch, ·]` tensors with whether the input was unbatched. Nothing is computed before every check passed.
   *
   * @internal
   */
  protected prepare(
    input: unknown,
    states: ReadonlyArray<readonly [string, unknown]>,
  ): { x: Tensor; states: Tensor[]; unbatched: boolean } {
    const label = this.label;
    checkRecurrentInput(label, input, this.dtype, this.inputSize, 1);
    const unbatched = input.ndim === 1;
    const batch = unbatched ? 1 : input.shape[0];
    const want = unbatched ? [this.hiddenSize] : [batch, this.hiddenSize];
    for (const [name, state] of states) {
      if (state === undefined || state === null) continue;
      if (!(state instanceof Tensor)) throw new ValueError(`${label}: ${name} must be a Tensor, got ${typeof state}`);
      if (state.dtype !== this.dtype)
        throw new DTypeError(
          `${label}: ${name} has dtype ${state.dtype} but the module's parameters are ${this.dtype}`,
        );
      if (state.ndim !== want.length || state.shape.some((d, i) => d !== want[i]))
        throw new ShapeError(
          `${label}: ${name} has shape ${formatShape(state.shape)} but expected ${formatShape(want)} for input shape ${formatShape(input.shape)}`,
        );
    }
    const x = unbatched ? reshape(input, [1, this.inputSize]) : input;
    const ready = states.map(([, state]) =>
      state instanceof Tensor
        ? unbatched
          ? reshape(state, [1, this.hiddenSize])
          : state
        : zeros([batch, this.hiddenSize], { dtype: this.dtype }),
    );
    return { x, states: ready, unbatched };
  }

  /**
   * Undo the batch dimension added to an unbatched input.
   *
   * @internal
   */
  protected unbatch(t: Tensor, unbatched: boolean): Tensor {
    return unbatched ? reshape(t, [this.hiddenSize]) : t;
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.biasIh === null ? ', bias=false' : ''}`;
  }
}

/**
 * An Elman RNN cell, like `torch.nn.RNNCell`: `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` with `act`
 * tanh (default) or ReLU. Defaults: `bias = true`, `nonlinearity = 'tanh'`, dtype float32, `h` zeros.
 * Parameters `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` from `U(-1/√hiddenSize, 1/√hiddenSize)`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RNNCell.html
 *
 * @example
 * ```ts
 * const cell = new RNNCell(10, 20);
 * let h = cell.forward(randn([3, 10])); // [3, 20]
 * h = cell.forward(randn([3, 10]), h);
 * ```
 */
export class RNNCell extends RNNCellBase {
  /** The nonlinearity, 'tanh' or 'relu'. */
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const nonlinearity = options?.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu')
      throw new ValueError(`RNNCell: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nonlinearity)}`);
    super('RNNCell', 1, inputSize, hiddenSize, options, RNN_CELL_OPTIONS);
    this.nonlinearity = nonlinearity;
  }

  /** One step from `input` (`[batch, inputSize]` or `[inputSize]`) and `hx` (same batch, zeros by default). */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const {
      x,
      states: [h],
      unbatched,
    } = this.prepare(input, [['hx', hx]]);
    const bias = summedBias(this.biasIh, this.biasHh);
    return this.unbatch(rnnStep(linear(x, this.weightIh, bias), h, this.weightHh, this.nonlinearity), unbatched);
  }

  override extraRepr(): string {
    return `${super.extraRepr()}${this.nonlinearity === 'relu' ? `, nonlinearity='relu'` : ''}`;
  }
}

/**
 * A long short-term memory cell, like `torch.nn.LSTMCell`, gates in PyTorch's order i, f, g, o:
 * `[i, f, g, o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh`, `c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g)`,
 * `h' = σ(o) ⊙ tanh(c')`. Defaults: `bias = true`, dtype float32, `h` and `c` zeros. Parameters
 * `weight_ih` `[4 * hiddenSize, inputSize]`, `weight_hh`, `bias_ih`, `bias_hh` from
 * `U(-1/√hiddenSize, 1/√hiddenSize)`. `forward` returns `{ h, c }`, PyTorch's `(h_1, c_1)`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LSTMCell.html
 *
 * @example
 * ```ts
 * const cell = new LSTMCell(10, 20);
 * let state = cell.forward(randn([3, 10])); // { h: [3, 20], c: [3, 20] }
 * state = cell.forward(randn([3, 10]), state);
 * ```
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellBaseOptions = {}) {
    super('LSTMCell', 4, inputSize, hiddenSize, options);
  }

  /** One step from `input` (`[batch, inputSize]` or `[inputSize]`) and `hx = { h, c }` (or `[h, c]`; zeros by default). */
  forward(input: Tensor, hx?: LSTMState | readonly [Tensor, Tensor] | null): LSTMState {
    const [h0, c0] = lstmStateParts(this.label, hx);
    const {
      x,
      states: [h, c],
      unbatched,
    } = this.prepare(input, [
      ['h', h0],
      ['c', c0],
    ]);
    const bias = summedBias(this.biasIh, this.biasHh);
    const next = lstmStep(linear(x, this.weightIh, bias), h, c, this.weightHh, null, this.hiddenSize);
    return { h: this.unbatch(next.h, unbatched), c: this.unbatch(next.c, unbatched) };
  }
}

/**
 * A gated recurrent unit cell, like `torch.nn.GRUCell`, gates in PyTorch's order r, z, n:
 * `r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)`, `z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)`,
 * `n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))`, `h' = (1 - z) ⊙ n + z ⊙ h`. Defaults:
 * `bias = true`, dtype float32, `h` zeros. Parameters `weight_ih` `[3 * hiddenSize, inputSize]`,
 * `weight_hh`, `bias_ih`, `bias_hh` from `U(-1/√hiddenSize, 1/√hiddenSize)`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.GRUCell.html
 *
 * @example
 * ```ts
 * const cell = new GRUCell(10, 20);
 * const h = cell.forward(randn([3, 10])); // [3, 20]
 * ```
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellBaseOptions = {}) {
    super('GRUCell', 3, inputSize, hiddenSize, options);
  }

  /** One step from `input` (`[batch, inputSize]` or `[inputSize]`) and `hx` (same batch, zeros by default). */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const {
      x,
      states: [h],
      unbatched,
    } = this.prepare(input, [['hx', hx]]);
    const next = gruStep(linear(x, this.weightIh, this.biasIh), h, this.weightHh, this.biasHh, this.hiddenSize);
    return this.unbatch(next, unbatched);
  }
}
