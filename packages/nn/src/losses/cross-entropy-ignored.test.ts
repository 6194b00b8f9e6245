import { readFileSync } from 'node:fs';
import { Generator, gradients, logSoftmax, noGrad, type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Linear } from '../layers/linear';
import { type ClassIndexLossCase, expectParity, fromParity, loadParityFixture } from '../parity-fixture';
import { crossEntropy, nllLoss } from './cross-entropy';
import { intTensor, REDUCTIONS, randomTensor } from './test-utils';

const fixture = loadParityFixture(readFileSync);

function run(c: ClassIndexLossCase): { loss: Tensor; grad: Tensor } {
  const x = fromParity(c.x);
  x.requiresGrad = true;
  const { weight, ...rest } = c.options;
  const options = { ...rest, weight: weight === undefined ? null : tensor(weight, { dtype: x.dtype }) };
  const loss = (c.fn === 'crossEntropy' ? crossEntropy : nllLoss)(x, fromParity(c.target), options);
  const [grad] = gradients([loss], [x], [fromParity(c.upstream)]);
  return { loss, grad: grad as Tensor };
}

describe('class-index losses with ignored targets or a total weight of 0, as PyTorch (test/fixtures/nn-parity.json)', () => {
  it('covers every reduction', () => {
    for (const r of REDUCTIONS) expect(fixture.class_index_losses.some((c) => c.options.reduction === r)).toBe(true);
  });

  for (const c of fixture.class_index_losses)
    it(`${c.id}: the loss and the input gradient`, () => {
      const { loss, grad } = run(c);
      const rel = c.x.dtype === 'float32' ? 1e-6 : 1e-10;
      expectParity(loss, c.loss, `${c.id} loss`, rel);
      expectParity(grad, c.grad, `${c.id} grad`, rel);
    });
});

describe('a batch made only of ignored targets', () => {
  it('gives a NaN mean (0/0) but a gradient of exactly 0, on every path', () => {
    const gen = new Generator(3);
    for (const dtype of ['float32', 'float64'] as const)
      for (const labelSmoothing of [0, 0.1])
        for (const weight of [null, tensor([1, 2, 0.5, 1], { dtype })])
          for (const shape of [[5, 4], [2, 4, 3], [4]]) {
            const x = randomTensor(shape, gen, { dtype, requiresGrad: true });
            const tShape = shape.length === 1 ? [] : shape.filter((_, d) => d !== 1);
            const target = intTensor(tShape, new Array(tShape.reduce((a, b) => a * b, 1)).fill(-100));
            const loss = crossEntropy(x, target, { weight, labelSmoothing });
            expect(loss.item()).toBeNaN();
            const [g] = gradients([loss], [x]);
            expect(
              Array.from((g as Tensor).values).every((v) => v === 0),
              `${dtype} ${shape} ${labelSmoothing}`,
            ).toBe(true);
          }
  });

  it('leaves the parameters of the model before it with gradients of 0, not NaN', () => {
    const model = new Linear(3, 4, { generator: new Generator(1) });
    const x = randomTensor([6, 3], new Generator(2), { dtype: 'float32' });
    const padding = intTensor([6], new Array(6).fill(-100));
    crossEntropy(model.forward(x), padding).backward();
    for (const [name, p] of model.namedParameters())
      expect(
        Array.from(p.grad?.values ?? []).every((v) => v === 0),
        name,
      ).toBe(true);
  });

  it('gives 0 for the sum and per target, with gradient 0', () => {
    for (const reduction of ['sum', 'none'] as const) {
      const x = tensor(
        [
          [1, 2, 3],
          [0, 0, 1],
        ],
        { dtype: 'float64', requiresGrad: true },
      );
      const loss = crossEntropy(x, intTensor([2], [-100, -100]), { reduction, labelSmoothing: 0.1 });
      expect(Array.from(loss.values)).toEqual(reduction === 'sum' ? [0] : [0, 0]);
      const [g] = gradients(
        [loss],
        [x],
        [reduction === 'sum' ? tensor(1, { dtype: 'float64' }) : tensor([1, 1], { dtype: 'float64' })],
      );
      expect(Array.from((g as Tensor).values)).toEqual([0, 0, 0, 0, 0, 0]);
    }
  });
});

describe('ignored rows whose logits hold -Inf', () => {
  it('contribute exactly 0 (PyTorch skips them) on the fused path, with its values to the bit', () => {
    for (const reduction of REDUCTIONS) {
      const x = tensor(
        [
          [Number.NEGATIVE_INFINITY, 2, 3],
          [0, 0, 1],
        ],
        { dtype: 'float64', requiresGrad: true },
      );
      const target = intTensor([2], [-100, 2]);
      const fused = crossEntropy(x, target, { reduction });
      expect(fused.gradFn?.spec.name).toBe('logSoftmaxNll');
      const plain = noGrad(() => nllLoss(logSoftmax(x, 1), target, { reduction }));
      expect(Array.from(fused.values).every(Number.isFinite)).toBe(true);
      expect(Array.from(fused.values)).toEqual(Array.from(plain.values));
      const [g] = gradients([fused.sum()], [x]);
      expect(Array.from((g as Tensor).values).slice(0, 3)).toEqual([0, 0, 0]);
    }
  });

  it('take the ops path when an ignored row has no finite logit, still 0', () => {
    const x = tensor(
      [
        [Number.NaN, 2, 3],
        [0, 0, 1],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const loss = crossEntropy(x, intTensor([2], [-100, 2]), { reduction: 'none' });
    expect(loss.gradFn?.spec.name).not.toBe('logSoftmaxNll');
    expect(loss.values[0]).toBe(0);
  });
});
