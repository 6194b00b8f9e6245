// clipGradNorm / clipGradValue against PyTorch's clip_grad_norm_ / clip_grad_value_
// (test/fixtures/clipping.json): gradients after the in-place call and the returned total norm.
import { Tensor } from '@nablajs/core';
import { clipGradNorm, clipGradValue } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { type FixtureTensor, fixtureValues, fromFixture, loadFixture } from './helpers/fixtures';
import { closeNumbers } from './helpers/optim-golden';

interface ClippingCase {
  id: string;
  function: 'clip_grad_norm_' | 'clip_grad_value_';
  kwargs: { max_norm?: number; norm_type?: number | 'inf'; clip_value?: number };
  grads_in: FixtureTensor[];
  grads_out: FixtureTensor[];
  total_norm?: number;
}

const TOL = 1e-12;

describe('clipping vs PyTorch', () => {
  const cases = loadFixture<{ cases: ClippingCase[] }>('clipping.json').cases;
  it('has the 18 clipping cases', () => expect(cases.length).toBe(18));
  for (const c of cases) {
    it(c.id, () => {
      const params = c.grads_in.map((g) => {
        const grad = fromFixture(g);
        const p = new Tensor(new Float64Array(grad.size), grad.shape, 'float64');
        p.requiresGrad = true;
        p.grad = grad;
        return p;
      });
      if (c.function === 'clip_grad_norm_') {
        const normType = c.kwargs.norm_type === 'inf' ? Number.POSITIVE_INFINITY : (c.kwargs.norm_type as number);
        const total = clipGradNorm(params, c.kwargs.max_norm as number, normType);
        closeNumbers([total], [c.total_norm as number], TOL, `${c.id}: total norm`);
      } else {
        expect(clipGradValue(params, c.kwargs.clip_value as number)).toBeUndefined();
      }
      c.grads_out.forEach((g, i) => {
        expect(params[i].grad?.shape).toEqual(g.shape);
        closeNumbers(params[i].grad!.data, fixtureValues(g), TOL, `${c.id}: grad ${i}`);
      });
    });
  }
});
