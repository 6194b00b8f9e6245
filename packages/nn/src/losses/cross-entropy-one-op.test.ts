import { Generator, gradients, logSoftmax, type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { crossEntropy, nllLoss } from './cross-entropy';
import { intTensor, REDUCTIONS, randomTensor } from './test-utils';

describe('crossEntropy as one op (core logSoftmaxNll)', () => {
  it('runs class indices on [N, C] logits as one op, with the composite ops’ values and gradients to the bit', () => {
    const gen = new Generator(17);
    for (const dtype of ['float32', 'float64'] as const)
      for (const reduction of REDUCTIONS)
        for (const withWeight of [false, true]) {
          const x = randomTensor([12, 7], gen, { dtype, requiresGrad: true, scale: 3 });
          // Some targets ignored (-100), one class weight 0.
          const target = intTensor(
            [12],
            Array.from({ length: 12 }, (_, i) => (i % 5 === 2 ? -100 : (i * 3) % 7)),
          );
          const weight = withWeight ? tensor([1, 0.5, 2, 0, 1.5, 1, 0.25], { dtype }) : null;
          const fused = crossEntropy(x, target, { weight, reduction });
          expect(fused.gradFn?.spec.name).toBe('logSoftmaxNll');
          // nllLoss of logSoftmax: the ops crossEntropy composed before.
          const composite = nllLoss(logSoftmax(x, 1), target, { weight, reduction });
          expect(composite.gradFn?.spec.name).not.toBe('logSoftmaxNll');
          expect(Array.from(fused.values)).toEqual(Array.from(composite.values));
          const seed = reduction === 'none' ? randomTensor([12], gen, { dtype }) : tensor(1.5, { dtype });
          const [gFused] = gradients([fused], [x], [seed]);
          const [gComposite] = gradients([composite], [x], [seed]);
          expect(Array.from((gFused as Tensor).values), `${dtype} ${reduction} weight ${withWeight}`).toEqual(
            Array.from((gComposite as Tensor).values),
          );
        }
  });
});
