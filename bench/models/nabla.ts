/**
 * nabla cases of bench/models.bench.ts, on whichever backend (`setBackend`) and thread count
 * (`setNumThreads`) the caller selected: one train step of examples/char-gpt's GPT and of an LSTM
 * with a linear head, each with `@nablajs/optim-adam`, from the initial parameters of ./common.ts.
 */
import { type Tensor, tidy, zeros } from '@nablajs/core';
import { Linear, LSTM, Module, mseLoss } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { GPT } from '../../examples/char-gpt/model';
import {
  GPT_SIZES,
  gptData,
  gptInit,
  type InitialParameter,
  LSTM_SIZES,
  lstmData,
  lstmInit,
  trainStepsPerSecond,
} from './common';

/** A tensor holding a copy of `values`, allocated by nabla (in wasm memory on the wasm backend). */
function tensorOf(values: Float32Array | Int32Array, shape: number[]): Tensor {
  const t = zeros(shape, { dtype: values instanceof Int32Array ? 'int32' : 'float32' });
  t.values.set(values);
  return t.markModified();
}

/** Writes `init[name]` into each of `model`'s parameters; throws unless the names and shapes match one to one. */
function loadInitial(model: Module, init: Record<string, InitialParameter>): void {
  const names = new Set(Object.keys(init));
  for (const [name, p] of model.namedParameters()) {
    const want = init[name];
    if (want === undefined || want.shape.join(',') !== p.shape.join(','))
      throw new Error(`models.bench: parameter ${name} [${p.shape}] has no initial value of that shape`);
    p.values.set(want.data);
    p.markModified();
    names.delete(name);
  }
  if (names.size > 0) throw new Error(`models.bench: the model has no parameter ${[...names].join(', ')}`);
}

/** One step (zeroGrad, forward, loss, backward, Adam) in a `tidy`, as tfjs's `minimize` runs one; returns the loss. */
function adamStep(model: Module, lr: number, loss: () => Tensor): () => number {
  const opt = adam(model.parameters(), { lr, betas: [0.9, 0.999], eps: 1e-8 });
  return () =>
    tidy(() => {
      opt.zeroGrad();
      const value = loss();
      value.backward();
      opt.step();
      return value.item();
    });
}

/** The GPT of examples/char-gpt (nanoGPT's CPU configuration) with ./common.ts's initial parameters. */
export function nablaGpt(): GPT {
  const { vocab, context, layers, heads, width } = GPT_SIZES;
  const model = new GPT({ vocabSize: vocab, blockSize: context, nLayer: layers, nHead: heads, nEmbd: width });
  loadInitial(model, gptInit);
  return model;
}

/** One train step of the transformer (batch 32, context 64, Adam lr 1e-3): steps per second. */
export function nablaGptStepsPerSecond(what: string): number {
  const { context, batch, lr } = GPT_SIZES;
  const model = nablaGpt();
  const idx = tensorOf(gptData.idx, [batch, context]);
  const targets = tensorOf(gptData.targets, [batch, context]);
  return trainStepsPerSecond(
    what,
    adamStep(model, lr, () => model.loss(idx, targets)),
  );
}

/** The LSTM (64 -> 256, batch first) and its Linear 256 -> 64 head, with ./common.ts's initial parameters. */
class LstmRegressor extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor() {
    super();
    const { input, hidden, output } = LSTM_SIZES;
    this.lstm = this.registerModule('lstm', new LSTM(input, hidden, { batchFirst: true }));
    this.head = this.registerModule('head', new Linear(hidden, output));
    loadInitial(this, {
      'lstm.weight_ih_l0': lstmInit.weightIh,
      'lstm.weight_hh_l0': lstmInit.weightHh,
      'lstm.bias_ih_l0': lstmInit.biasIh,
      'lstm.bias_hh_l0': lstmInit.biasHh,
      'head.weight': lstmInit.headWeight,
      'head.bias': lstmInit.headBias,
    });
  }

  /** The head's prediction at every step of `x` (`[batch, steps, input]`): `[batch, steps, output]`. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.lstm.forward(x).output);
  }
}

/** One train step of the LSTM (batch 32, sequence 64, hidden 256, MSE, Adam lr 1e-3): steps per second. */
export function nablaLstmStepsPerSecond(what: string): number {
  const { batch, steps, input, output, lr } = LSTM_SIZES;
  const model = new LstmRegressor();
  const x = tensorOf(lstmData.x, [batch, steps, input]);
  const target = tensorOf(lstmData.target, [batch, steps, output]);
  return trainStepsPerSecond(
    what,
    adamStep(model, lr, () => mseLoss(model.forward(x), target)),
  );
}
