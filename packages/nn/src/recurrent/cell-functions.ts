import {
  add,
  DTypeError,
  matmulTransposed,
  mul,
  relu,
  ShapeError,
  sigmoid,
  split,
  sub,
  Tensor,
  tanh,
  ValueError,
} from '@nablajs/core';
import { checkFloating, describeShape } from '../functional/check';
import { linear } from '../functional/linear';
import { formatShape } from '../layers/util';

/**
 * The state of an LSTM: the hidden state `h` and the cell state `c` (PyTorch's tuple `(h, c)`).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html
 *
 * @example
 * ```ts
 * const state: LSTMState = { h: zeros([2, 8]), c: zeros([2, 8]) };
 * ```
 */
export interface LSTMState {
  /** The hidden state (the output of the last step). */
  h: Tensor;
  /** The cell state. */
  c: Tensor;
}

// ---- single steps over precomputed input projections (shared by the cells and the layers) ----------
//
// `xg` is the input projection of one step, `x W_ihᵀ + b_ih` (plus `b_hh` for RNN and LSTM, where the
// two biases can be summed once), of shape [batch, gates]; `h` and `c` are [batch, ·].

/** One Elman step: `act(xg + h W_hhᵀ)`. */
export function rnnStep(xg: Tensor, h: Tensor, weightHh: Tensor, nonlinearity: 'tanh' | 'relu'): Tensor {
  const pre = add(xg, matmulTransposed(h, weightHh, { transB: true }));
  return nonlinearity === 'tanh' ? tanh(pre) : relu(pre);
}

/** One LSTM step (gates i, f, g, o), with the optional projection `h = W_hr (o ⊙ tanh c)`. */
export function lstmStep(
  xg: Tensor,
  h: Tensor,
  c: Tensor,
  weightHh: Tensor,
  weightHr: Tensor | null,
  hiddenSize: number,
): LSTMState {
  const gates = add(xg, matmulTransposed(h, weightHh, { transB: true }));
  const [gi, gf, gg, go] = split(gates, hiddenSize, 1);
  const cNext = add(mul(sigmoid(gf), c), mul(sigmoid(gi), tanh(gg)));
  const hNext = mul(sigmoid(go), tanh(cNext));
  return { h: weightHr === null ? hNext : matmulTransposed(hNext, weightHr, { transB: true }), c: cNext };
}

/** One GRU step (gates r, z, n) with PyTorch's `n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))`. */
export function gruStep(xg: Tensor, h: Tensor, weightHh: Tensor, biasHh: Tensor | null, hiddenSize: number): Tensor {
  const hp = matmulTransposed(h, weightHh, { transB: true });
  const hg = biasHh === null ? hp : add(hp, biasHh);
  const [xrz, xn] = split(xg, [2 * hiddenSize, hiddenSize], 1);
  const [hrz, hn] = split(hg, [2 * hiddenSize, hiddenSize], 1);
  const [r, z] = split(sigmoid(add(xrz, hrz)), hiddenSize, 1);
  const n = tanh(add(xn, mul(r, hn)));
  // (1 - z) ⊙ n + z ⊙ h, written with one multiplication.
  return add(n, mul(z, sub(h, n)));
}

// ---- the public functional cells -------------------------------------------------------------------

function checkCellArgs(
  fn: string,
  gates: number,
  input: Tensor,
  hx: readonly [string, Tensor][],
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh: Tensor | null | undefined,
  biasHh: Tensor | null | undefined,
): number {
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'weightIh', weightIh);
  checkFloating(fn, 'weightHh', weightHh);
  if (weightIh.ndim !== 2 || weightIh.shape[0] % gates !== 0 || weightIh.shape[0] === 0)
    throw new ShapeError(
      `${fn}: weightIh must be [${gates} * hiddenSize, inputSize], got shape ${describeShape(weightIh.shape)}`,
    );
  const hiddenSize = weightIh.shape[0] / gates;
  const inputSize = weightIh.shape[1];
  if (input.ndim !== 2 || input.shape[1] !== inputSize)
    throw new ShapeError(
      `${fn}: input must be [batch, ${inputSize}] to match weightIh ${describeShape(weightIh.shape)}, got shape ${describeShape(input.shape)}`,
    );
  const batch = input.shape[0];
  if (weightHh.ndim !== 2 || weightHh.shape[0] !== gates * hiddenSize || weightHh.shape[1] !== hiddenSize)
    throw new ShapeError(
      `${fn}: weightHh must be [${gates * hiddenSize}, ${hiddenSize}] to match weightIh ${describeShape(weightIh.shape)}, got shape ${describeShape(weightHh.shape)}`,
    );
  for (const [name, b] of [
    ['biasIh', biasIh],
    ['biasHh', biasHh],
  ] as const)
    if (b !== null && b !== undefined) {
      checkFloating(fn, name, b);
      if (b.ndim !== 1 || b.shape[0] !== gates * hiddenSize)
        throw new ShapeError(`${fn}: ${name} must be [${gates * hiddenSize}], got shape ${describeShape(b.shape)}`);
    }
  for (const [name, t] of hx) {
    checkFloating(fn, name, t);
    if (t.ndim !== 2 || t.shape[0] !== batch || t.shape[1] !== hiddenSize)
      throw new ShapeError(
        `${fn}: ${name} must be [${batch}, ${hiddenSize}] for input ${describeShape(input.shape)}, got shape ${describeShape(t.shape)}`,
      );
  }
  const all = [input, weightIh, weightHh, ...hx.map(([, t]) => t)];
  if (biasIh) all.push(biasIh);
  if (biasHh) all.push(biasHh);
  if (all.some((t) => t.dtype !== input.dtype))
    throw new DTypeError(
      `${fn}: input, states, weights and biases must share one dtype, got ${all.map((t) => t.dtype).join(', ')}`,
    );
  return hiddenSize;
}

/**
 * Check a recurrent module's `input`: a Tensor of the module's `dtype` with `unbatchedNdim` dims (or one more,
 * batched) and `inputSize` features in its last dimension. `label` names the module in errors.
 */
export function checkRecurrentInput(
  label: string,
  input: unknown,
  dtype: string,
  inputSize: number,
  unbatchedNdim: number,
): asserts input is Tensor {
  if (!(input instanceof Tensor))
    throw new ValueError(`${label}: input must be a Tensor, got ${input === null ? 'null' : typeof input}`);
  if (input.dtype !== dtype)
    throw new DTypeError(`${label}: input has dtype ${input.dtype} but the module's parameters are ${dtype}`);
  if (input.ndim !== unbatchedNdim && input.ndim !== unbatchedNdim + 1)
    throw new ShapeError(
      `${label}: expected a ${unbatchedNdim}-D (unbatched) or ${unbatchedNdim + 1}-D (batched) input, got shape ${formatShape(input.shape)}`,
    );
  if (input.shape[input.ndim - 1] !== inputSize)
    throw new ShapeError(
      `${label}: input has ${input.shape[input.ndim - 1]} features in its last dimension, expected inputSize ${inputSize} (input shape ${formatShape(input.shape)})`,
    );
}

/**
 * The `[h, c]` of an LSTM layer's or cell's `hx`, given as `{ h, c }` or PyTorch's pair `[h, c]`
 * (`[undefined, undefined]` when absent), checked to hold both.
 */
export function lstmStateParts(label: string, hx: unknown): [unknown, unknown] {
  if (hx === undefined || hx === null) return [undefined, undefined];
  let h0: unknown;
  let c0: unknown;
  if (Array.isArray(hx) && hx.length === 2) [h0, c0] = hx;
  else if (typeof hx === 'object' && !Array.isArray(hx)) ({ h: h0, c: c0 } = hx as LSTMState);
  else throw new ValueError(`${label}: hx must be { h, c } or [h, c], got ${String(hx)}`);
  if (h0 === undefined || h0 === null || c0 === undefined || c0 === null)
    throw new ValueError(`${label}: hx must hold both h and c`);
  return [h0, c0];
}

/** `biasIh + biasHh`, or the one given, or null. */
export function summedBias(biasIh: Tensor | null | undefined, biasHh: Tensor | null | undefined): Tensor | null {
  const a = biasIh ?? null;
  const b = biasHh ?? null;
  if (a === null) return b;
  return b === null ? a : add(a, b);
}

function elmanCell(
  fn: string,
  nonlinearity: 'tanh' | 'relu',
  input: Tensor,
  hx: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh?: Tensor | null,
  biasHh?: Tensor | null,
): Tensor {
  checkCellArgs(fn, 1, input, [['hx', hx]], weightIh, weightHh, biasIh, biasHh);
  return rnnStep(linear(input, weightIh, summedBias(biasIh, biasHh)), hx, weightHh, nonlinearity);
}

/**
 * One step of an Elman RNN with tanh, like `torch.rnn_tanh_cell` (the function behind
 * `torch.nn.RNNCell`): `h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`. `input` is `[batch, inputSize]`,
 * `hx` is `[batch, hiddenSize]`, `weightIh` is `[hiddenSize, inputSize]`, `weightHh` is
 * `[hiddenSize, hiddenSize]`, the biases (default none) are `[hiddenSize]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RNNCell.html
 *
 * @example
 * ```ts
 * const h = rnnTanhCell(randn([2, 3]), zeros([2, 4]), randn([4, 3]), randn([4, 4])); // [2, 4]
 * ```
 */
export function rnnTanhCell(
  input: Tensor,
  hx: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh?: Tensor | null,
  biasHh?: Tensor | null,
): Tensor {
  return elmanCell('rnnTanhCell', 'tanh', input, hx, weightIh, weightHh, biasIh, biasHh);
}

/**
 * One step of an Elman RNN with ReLU, like `torch.rnn_relu_cell` (behind `torch.nn.RNNCell` with
 * `nonlinearity='relu'`): `h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)`; shapes as {@link rnnTanhCell}
 * (biases default to none).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RNNCell.html
 *
 * @example
 * ```ts
 * const h = rnnReluCell(randn([2, 3]), zeros([2, 4]), randn([4, 3]), randn([4, 4])); // [2, 4], >= 0
 * ```
 */
export function rnnReluCell(
  input: Tensor,
  hx: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh?: Tensor | null,
  biasHh?: Tensor | null,
): Tensor {
  return elmanCell('rnnReluCell', 'relu', input, hx, weightIh, weightHh, biasIh, biasHh);
}

/**
 * One LSTM step, like `torch.lstm_cell` (behind `torch.nn.LSTMCell`), with the gates in PyTorch's order
 * i, f, g, o:
 * `[i, f, g, o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh`, `c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g)`,
 * `h' = σ(o) ⊙ tanh(c')`. `input` is `[batch, inputSize]`, `hx.h` and `hx.c` are `[batch, hiddenSize]`,
 * `weightIh` is `[4 * hiddenSize, inputSize]`, `weightHh` is `[4 * hiddenSize, hiddenSize]`, the biases
 * (default none) are `[4 * hiddenSize]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LSTMCell.html
 *
 * @example
 * ```ts
 * const { h, c } = lstmCell(randn([2, 3]), { h: zeros([2, 4]), c: zeros([2, 4]) }, randn([16, 3]), randn([16, 4]));
 * ```
 */
export function lstmCell(
  input: Tensor,
  hx: LSTMState,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh?: Tensor | null,
  biasHh?: Tensor | null,
): LSTMState {
  if (hx === null || typeof hx !== 'object')
    throw new ValueError(`lstmCell: hx must be an object { h, c } of two tensors, got ${String(hx)}`);
  const hiddenSize = checkCellArgs(
    'lstmCell',
    4,
    input,
    [
      ['hx.h', hx.h],
      ['hx.c', hx.c],
    ],
    weightIh,
    weightHh,
    biasIh,
    biasHh,
  );
  return lstmStep(linear(input, weightIh, summedBias(biasIh, biasHh)), hx.h, hx.c, weightHh, null, hiddenSize);
}

/**
 * One GRU step, like `torch.gru_cell` (behind `torch.nn.GRUCell`), with the gates in PyTorch's order
 * r, z, n: `r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)`, `z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)`,
 * `n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))`, `h' = (1 - z) ⊙ n + z ⊙ h`. `input` is
 * `[batch, inputSize]`, `hx` is `[batch, hiddenSize]`, `weightIh` is `[3 * hiddenSize, inputSize]`,
 * `weightHh` is `[3 * hiddenSize, hiddenSize]`, the biases (default none) are `[3 * hiddenSize]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.GRUCell.html
 *
 * @example
 * ```ts
 * const h = gruCell(randn([2, 3]), zeros([2, 4]), randn([12, 3]), randn([12, 4])); // [2, 4]
 * ```
 */
export function gruCell(
  input: Tensor,
  hx: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh?: Tensor | null,
  biasHh?: Tensor | null,
): Tensor {
  const hiddenSize = checkCellArgs('gruCell', 3, input, [['hx', hx]], weightIh, weightHh, biasIh, biasHh);
  return gruStep(linear(input, weightIh, biasIh ?? null), hx, weightHh, biasHh ?? null, hiddenSize);
}
