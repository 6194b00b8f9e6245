// clipGradNorm and the clipByGlobalNorm transform against PyTorch 1.13's clip_grad_norm_ for every norm order
// it takes (0, fractional, negative, ±inf) and for gradients with zeros and NaN
// (test/fixtures/clip-orders.json, from scripts/fixtures/make_clip_orders_fixture.py).
import { Tensor } from '@nablajs/core';
import { clipByGlobalNorm, clipGradNorm } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { loadFixture } from './helpers/fixtures';

type Num = number | 'nan' | 'inf' | '-inf';
interface Encoded {
  shape: number[];
  data: Num[];
}
interface OrderCase {
  id: string;
  max_norm: number;
  norm_type: number | 'inf' | '-inf';
  grads_in: Encoded[];
  grads_out: Encoded[];
  total_norm: Num;
}

const decode = (v: Num): number =>
  v === 'nan' ? Number.NaN : v === 'inf' ? Number.POSITIVE_INFINITY : v === '-inf' ? Number.NEGATIVE_INFINITY : v;

/** `a` equals `b` to 1e-12 relative (NaN where b is NaN, the same infinity where b is infinite). */
function close(a: number, b: number, label: string): void {
  if (Number.isNaN(b) || !Number.isFinite(b)) {
    expect(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `${label}: ${a} vs ${b}`).toBe(true);
    return;
  }
  expect(Math.abs(a - b), `${label}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
}

function paramsOf(grads: Encoded[]): Tensor[] {
  return grads.map((g) => {
    const p = new Tensor(new Float64Array(g.data.length), g.shape, 'float64');
    p.requiresGrad = true;
    p.grad = new Tensor(Float64Array.from(g.data, decode), g.shape, 'float64');
    return p;
  });
}

describe('clipGradNorm vs PyTorch for every norm order', () => {
  const cases = loadFixture<{ cases: OrderCase[] }>('clip-orders.json').cases;
  it('has the 56 cases', () => expect(cases.length).toBe(56));
  for (const c of cases) {
    it(c.id, () => {
      const params = paramsOf(c.grads_in);
      close(clipGradNorm(params, c.max_norm, c.norm_type), decode(c.total_norm), `${c.id}: total norm`);
      c.grads_out.forEach((g, i) => {
        g.data.forEach((v, j) => {
          close(params[i].grad!.values[j], decode(v), `${c.id}: grad ${i}[${j}]`);
        });
      });
    });
  }

  it('clipByGlobalNorm scales the updates as clipGradNorm scales the gradients, for every order', () => {
    for (const c of cases) {
      const updates = c.grads_in.map((g) => Float64Array.from(g.data, decode));
      clipByGlobalNorm(c.max_norm, c.norm_type).update(updates, null, null as never);
      c.grads_out.forEach((g, i) => {
        g.data.forEach((v, j) => {
          close(updates[i][j], decode(v), `${c.id}: update ${i}`);
        });
      });
    }
  });
});
