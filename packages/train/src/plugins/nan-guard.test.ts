import { type Tensor, tensor } from '@nablajs/core';
import { Linear, Module, mseLoss, parameter } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../batches';
import { fit } from '../fit';
import { nanGuard } from './nan-guard';

/** out = x · sum(a) + sum(sqrt(b)): with b[1][0] = 0 the loss is finite but d/db[1][0] is infinite. */
class SqrtModel extends Module {
  readonly a = this.registerParameter('a', parameter(tensor([0.5, 0.5]))) as Tensor;
  readonly b = this.registerParameter(
    'b',
    parameter(
      tensor([
        [1, 1],
        [0, 4],
      ]),
    ),
  ) as Tensor;
  forward(x: Tensor): Tensor {
    return x.mul(this.a.sum()).add(this.b.sqrt().sum());
  }
}

describe('nanGuard', () => {
  it('skips the step of a batch with a non-finite gradient, naming the parameter and index', async () => {
    const model = new SqrtModel();
    const before = [Array.from(model.a.data), Array.from(model.b.data)];
    const warnings: string[] = [];
    const guard = nanGuard({ warn: (m) => void warnings.push(m) });
    let globalStep = -1;
    const { stopReason } = await fit({
      model,
      data: [[tensor([[1]]), tensor([[0]])]],
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [
        guard,
        {
          name: 'n',
          trainEnd: (c) => {
            globalStep = c.globalStep;
          },
        },
      ],
    });
    expect(stopReason).toBeNull();
    expect(warnings).toEqual([
      "nanGuard: non-finite gradient Infinity in parameter 'b' at index [1, 0] (flat 2) at epoch 0, batch 0; step skipped",
    ]);
    expect([Array.from(model.a.data), Array.from(model.b.data)]).toEqual(before);
    expect(globalStep).toBe(0);
    expect(guard.skippedSteps).toBe(1);
    expect(model.b.grad).toBeNull();
  });

  it("with action 'stop', stops training with the message as the reason", async () => {
    const model = new SqrtModel();
    const before = Array.from(model.b.data);
    const { stopReason, history } = await fit({
      model,
      data: [[tensor([[1]]), tensor([[0]])]],
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.1 }),
      epochs: 5,
      plugins: [nanGuard({ action: 'stop', warn: () => {} })],
    });
    expect(stopReason).toBe(
      "nanGuard: non-finite gradient Infinity in parameter 'b' at index [1, 0] (flat 2) at epoch 0, batch 0",
    );
    expect(history).toHaveLength(1);
    expect(Array.from(model.b.data)).toEqual(before);
  });

  it('skips a batch with a NaN loss and keeps training on the good ones', async () => {
    const model = new Linear(2, 1);
    const warnings: string[] = [];
    const good: Batch = [tensor([[1, 2]]), tensor([[1]])];
    const bad: Batch = [tensor([[Number.NaN, 2]]), tensor([[1]])];
    let globalStep = -1;
    await fit({
      model,
      data: [good, bad, good],
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0.01 }),
      epochs: 1,
      plugins: [
        nanGuard({ warn: (m) => void warnings.push(m) }),
        {
          name: 'n',
          trainEnd: (c) => {
            globalStep = c.globalStep;
          },
        },
      ],
    });
    expect(warnings).toEqual([
      "nanGuard: loss is NaN at epoch 0, batch 1; first non-finite gradient NaN in parameter 'weight' at index [0, 0] (flat 0); step skipped",
    ]);
    expect(globalStep).toBe(2);
    expect(Array.from(model.weight.data).every(Number.isFinite)).toBe(true);
  });

  it('rejects a bad action', () => {
    expect(() => nanGuard({ action: 'ignore' as never })).toThrow(
      /nanGuard: action must be 'skip' or 'stop', got "ignore"/,
    );
  });
});
