import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { asgd, asgdAverages, sgd } from './index';

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};

/** ASGD by hand, in the README's order: eta and mu of step t are those computed at the end of step t-1. */
function reference(p0: number, grads: number[], hp: { lr: number; lambd: number; alpha: number; t0: number }) {
  let p = p0;
  let eta = hp.lr;
  let mu = 1;
  let ax = 0;
  grads.forEach((g, k) => {
    const t = k + 1;
    p = p * (1 - hp.lambd * eta) - eta * g;
    ax = mu === 1 ? p : ax + mu * (p - ax);
    eta = hp.lr / (1 + hp.lambd * hp.lr * t) ** hp.alpha;
    mu = 1 / Math.max(1, t - hp.t0);
  });
  return { p, ax, eta, mu };
}

describe('asgd', () => {
  it("has PyTorch's defaults", () => {
    expect({ ...asgd([param([1])]).defaults }).toEqual({
      lr: 0.01,
      lambd: 1e-4,
      alpha: 0.75,
      t0: 1e6,
      weightDecay: 0,
      maximize: false,
    });
  });

  it('step 1 uses eta = lr and copies p into ax', () => {
    const p = param([1]);
    const opt = asgd([p], { lr: 0.1, lambd: 0.5 });
    setGrad(p, [2]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(1 * (1 - 0.05) - 0.2, 15);
    expect(asgdAverages(opt)[0].data[0]).toBe(p.data[0]);
  });

  it('averages from step t0 + 3 on, with eta and mu lagging one step (integer t0)', () => {
    const hp = { lr: 0.1, lambd: 0.01, alpha: 0.75, t0: 2 };
    const grads = [1, -0.5, 2, 0.25, -1, 0.5, 1.5];
    const p = param([1]);
    const opt = asgd([p], hp);
    const seen: number[] = [];
    for (const g of grads) {
      setGrad(p, [g]);
      opt.step();
      seen.push(asgdAverages(opt)[0].data[0] - p.data[0]);
    }
    // up to step t0 + 2 = 4, ax is a copy of p; from step 5 it is an average
    expect(seen.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(seen[4]).not.toBe(0);
    const want = reference(1, grads, hp);
    expect(p.data[0]).toBeCloseTo(want.p, 14);
    expect(asgdAverages(opt)[0].data[0]).toBeCloseTo(want.ax, 14);
    const s = (opt.stateDict().state[0] as { eta: number[]; mu: number[]; step: number[] }[])[2];
    expect(s.step).toEqual([7]);
    expect(s.eta[0]).toBeCloseTo(want.eta, 15);
    expect(s.mu[0]).toBeCloseTo(want.mu, 15);
  });

  it('reads lr, lambd, alpha and t0 at every step', () => {
    const p = param([1]);
    const opt = asgd([p], { lr: 0.1, lambd: 0.01, t0: 0 });
    setGrad(p, [1]);
    opt.step();
    opt.paramGroups[0].lr = 0.2;
    opt.paramGroups[0].lambd = 0;
    setGrad(p, [1]);
    opt.step(); // eta was computed with the old lr and lambd; the new eta is exactly the new lr (lambd 0)
    const s = (opt.stateDict().state[0] as { eta: number[] }[])[2];
    expect(s.eta[0]).toBe(0.2);
  });

  it('maximize and weight decay, per parameter group', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = asgd(
      [
        { params: [a], maximize: true },
        { params: [b], weightDecay: 1 },
      ],
      { lr: 0.1, lambd: 0 },
    );
    setGrad(a, [1]);
    setGrad(b, [1]);
    opt.step();
    expect(a.data[0]).toBeCloseTo(1.1, 15);
    expect(b.data[0]).toBeCloseTo(0.8, 15);
  });

  it('asgdAverages returns copies in parameter order, current values for parameters not yet updated', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = asgd([{ params: [a] }, { params: [b] }]);
    setGrad(a, [1, 1]);
    opt.step();
    const [ax, bx] = asgdAverages(opt);
    expect(Array.from(ax.data)).toEqual(Array.from(a.data));
    expect(ax.shape).toEqual([2]);
    expect(ax.data).not.toBe(a.data);
    expect(Array.from(bx.data)).toEqual([3]);
  });

  it('asgdAverages rejects other optimizers', () => {
    expect(() => asgdAverages(sgd([param([1])]))).toThrow('asgdAverages: expected an asgd optimizer, got "sgd"');
  });

  it('round-trips stateDict and continues bit for bit', () => {
    const run = (split: boolean) => {
      const p = param([1, -1]);
      let opt = asgd([p], { lr: 0.05, t0: 2, lambd: 0.01 });
      for (let k = 0; k < 8; k++) {
        if (split && k === 4) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = asgd([p]);
          opt.loadStateDict(saved);
        }
        setGrad(p, [Math.sin(k + p.data[0]), p.data[1]]);
        opt.step();
      }
      return [...Array.from(p.data), ...Array.from(asgdAverages(opt)[0].data)];
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects invalid options with messages naming asgd and the option', () => {
    const p = [param([1])];
    expect(() => asgd(p, { lr: -1 })).toThrow('asgd: lr must be in [0, inf), got -1');
    expect(() => asgd(p, { lambd: -1 })).toThrow('asgd: lambd must be in [0, inf), got -1');
    expect(() => asgd(p, { alpha: -1 })).toThrow('asgd: alpha must be in [0, inf), got -1');
    expect(() => asgd(p, { t0: -1 })).toThrow('asgd: t0 must be in [0, inf), got -1');
    expect(() => asgd(p, { weightDecay: -1 })).toThrow('asgd: weightDecay must be in [0, inf), got -1');
    expect(() => asgd(p, { maximize: 0 as unknown as boolean })).toThrow('asgd: maximize must be true or false, got 0');
  });
});
