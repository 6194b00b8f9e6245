import { Generator, tensor } from '@nablajs/core';
import { CrossEntropyLoss, crossEntropy, Linear } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate';
import { fit } from './fit';
import { Trainer } from './trainer';

const x = tensor([
  [1, 2],
  [3, -1],
  [0.5, 0.5],
  [-2, 1],
]);
const y = tensor([0, 1, 2, 1], { dtype: 'int32' });

async function run(loss: Parameters<typeof fit>[0]['loss']): Promise<{ losses: number[]; weight: number[] }> {
  const model = new Linear(2, 3, { generator: new Generator(7) });
  const { history } = await fit({
    model,
    data: { x, y },
    loss,
    optimizer: sgd(model.parameters(), { lr: 0.1 }),
    epochs: 3,
    batchSize: 2,
    shuffle: false,
    log: () => {},
  });
  return { losses: history.map((h) => h.loss), weight: Array.from(model.weight.values) };
}

describe('a loss module as the loss', () => {
  it('trains as its function does (PyTorch passes criterion = nn.CrossEntropyLoss(...))', async () => {
    const byModule = await run(new CrossEntropyLoss({ labelSmoothing: 0.1 }));
    const byFunction = await run((o, t) => crossEntropy(o, t, { labelSmoothing: 0.1 }));
    expect(byModule).toEqual(byFunction);
    // and the smoothing is taken into account: a plain cross-entropy trains differently
    expect((await run(crossEntropy)).losses).not.toEqual(byModule.losses);
  });

  it('is taken by evaluate and Trainer too, and anything else is refused by name', () => {
    const model = new Linear(2, 3, { generator: new Generator(7) });
    const criterion = new CrossEntropyLoss();
    expect(evaluate({ model, data: { x, y }, loss: criterion }).loss).toBe(
      evaluate({ model, data: { x, y }, loss: crossEntropy }).loss,
    );
    expect(() => new Trainer({ model, loss: criterion, optimizer: null })).not.toThrow();
    expect(() => evaluate({ model, data: { x, y }, loss: { forward: 1 } as never })).toThrow(
      /^evaluate: loss must be a function \(output, targets\) => scalar tensor, like crossEntropy or mseLoss, or a loss module/,
    );
  });
});
