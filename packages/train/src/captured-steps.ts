import { type CapturedStep, CaptureError, capture, keep, kernelsOnHost, type Tensor, ValueError } from '@nablajs/core';
import { checkLossTensor, type LossFn } from './evaluate';
import type { Trainable } from './types';

/** The most batch shapes whose captured steps fit keeps at once (a dataset's last, smaller batch is a second). */
const MAX_SHAPES = 4;

/** A train step's results, as a replay leaves them. */
export interface StepTensors {
  readonly output: Tensor;
  readonly loss: Tensor;
}

/**
 * The captured train steps of `fit({ capture: true })`: for each shape of a batch (inputs and targets), its
 * forward, loss and backward recorded once by `capture()` and replayed for the next batches of that shape
 * (the least recently used of more than {@link MAX_SHAPES} shapes is freed).
 */
export class CapturedSteps {
  private readonly steps = new Map<string, CapturedStep<StepTensors>>();

  constructor(
    private readonly fn: string,
    private readonly model: Trainable,
    private readonly loss: LossFn,
    private readonly zeroGrads: () => void,
  ) {
    if (!kernelsOnHost())
      throw new ValueError(`${fn}: capture runs on the cpu and wasm backends, not where tensors live on the GPU`);
  }

  /** Run the batch: replay its shape's step, capturing it first (that run computes the batch). */
  run(inputs: Tensor, targets: Tensor): StepTensors {
    const key = `${inputs.dtype}[${inputs.shape}] ${targets.dtype}[${targets.shape}]`;
    const known = this.steps.get(key);
    if (known !== undefined) {
      this.steps.delete(key);
      this.steps.set(key, known); // the most recently used last
      return known.replay(inputs, targets);
    }
    if (this.steps.size >= MAX_SHAPES) {
      const [oldest, step] = this.steps.entries().next().value as [string, CapturedStep<StepTensors>];
      step.dispose();
      this.steps.delete(oldest);
    }
    // The capture's static inputs are copies, kept out of the batch's scope: the batches fit frees at the end of
    // each batch stay the data's.
    const step = this.capture(keep(inputs.clone()), keep(targets.clone()));
    this.steps.set(key, step);
    return step.outputs;
  }

  private capture(inputs: Tensor, targets: Tensor): CapturedStep<StepTensors> {
    try {
      return capture(
        (x, y) => {
          this.zeroGrads();
          const output = this.model.forward(x);
          const loss = checkLossTensor(this.fn, this.loss(output, y));
          loss.backward();
          return { output, loss };
        },
        [inputs, targets],
      );
    } catch (e) {
      if (e instanceof CaptureError) throw new CaptureError(`${this.fn}: capture: ${e.message}`);
      throw e;
    }
  }

  /** Free every captured step. */
  dispose(): void {
    for (const step of this.steps.values()) step.dispose();
    this.steps.clear();
  }
}
