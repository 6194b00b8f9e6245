import { tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, intTensor } from '../losses/test-utils';
import {
  GaussianNLLLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  PoissonNLLLoss,
  SoftMarginLoss,
  TripletMarginLoss,
} from './loss-modules';

const f64 = (values: number[] | number[][]) => tensor(values, { dtype: 'float64' });

describe('loss modules', () => {
  it('hold PyTorch defaults', () => {
    const poisson = new PoissonNLLLoss();
    expect([poisson.logInput, poisson.full, poisson.eps, poisson.reduction]).toEqual([true, false, 1e-8, 'mean']);
    const mm = new MultiMarginLoss();
    expect([mm.p, mm.margin, mm.weight, mm.reduction]).toEqual([1, 1, null, 'mean']);
    const tm = new TripletMarginLoss();
    expect([tm.margin, tm.p, tm.eps, tm.swap, tm.reduction]).toEqual([1, 2, 1e-6, false, 'mean']);
    const g = new GaussianNLLLoss();
    expect([g.full, g.eps, g.reduction]).toEqual([false, 1e-6, 'mean']);
    expect(new SoftMarginLoss().reduction).toBe('mean');
    expect(new MultiLabelSoftMarginLoss().weight).toBeNull();
  });

  it('register a class weight as a copied buffer named weight', () => {
    const w = f64([1, 2, 3]);
    const mm = new MultiMarginLoss({ weight: w, p: 2 });
    const ml = new MultiLabelSoftMarginLoss({ weight: w });
    for (const m of [mm, ml]) {
      expect(Object.keys(m.stateDict())).toEqual(['weight']);
      expect([...m.namedParameters()]).toEqual([]);
    }
    w.values[0] = 100;
    w.markModified();
    expectValues(mm.weight as never, [1, 2, 3]);
    expect(Object.keys(new MultiMarginLoss().stateDict())).toEqual([]);
  });

  it('forward calls the loss function with the options', () => {
    const x = f64([[0.1, 0.2, 0.4, 0.8]]);
    expectValues(new MultiMarginLoss({ reduction: 'sum' }).forward(x, intTensor([1], [3])), 1.3 / 4);
    expectValues(new SoftMarginLoss({ reduction: 'sum' }).forward(f64([0, 0]), f64([1, -1])), 2 * Math.LN2);
    expectValues(new GaussianNLLLoss().forward(f64([0, 1]), f64([1, 1]), f64([1, 1])), 0.25);
    expectValues(new PoissonNLLLoss({ reduction: 'none' }).forward(f64([0]), f64([1])), [1]);
    expectValues(new TripletMarginLoss({ margin: 6, eps: 0 }).forward(f64([[0, 0]]), f64([[3, 4]]), f64([[6, 8]])), 1);
    expect(String(new TripletMarginLoss({ swap: true }))).toContain('swap=true');
  });

  it('reject invalid options when built', () => {
    expect(() => new MultiMarginLoss({ p: 3 })).toThrow(/MultiMarginLoss: p must be 1 or 2, got 3/);
    expect(() => new MultiMarginLoss({ weight: f64([[1, 2]]) })).toThrow(
      /MultiMarginLoss: weight must be one-dimensional/,
    );
    expect(() => new TripletMarginLoss({ p: -1 })).toThrow(/TripletMarginLoss: p must be a positive number/);
    expect(() => new PoissonNLLLoss({ full: 'yes' as never })).toThrow(/PoissonNLLLoss: full must be a boolean/);
    expect(() => new GaussianNLLLoss({ eps: Number.NaN })).toThrow(ValueError);
    expect(() => new SoftMarginLoss({ reduction: 'avg' as never })).toThrow(/SoftMarginLoss: reduction must be/);
    expect(() => new MultiLabelSoftMarginLoss({ weight: tensor([1], { dtype: 'int32' }) })).toThrow(
      /MultiLabelSoftMarginLoss: weight must be a float32 or float64 tensor/,
    );
  });
});
