import { randn, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues } from '../losses/test-utils';
import { CELU, GLU, Hardsigmoid, Hardswish, Hardtanh, Mish, PReLU, ReLU6, SELU } from './act-layers';

describe('activation layers', () => {
  it('PReLU has one parameter named weight, filled with init, with PyTorch defaults (1, 0.25)', () => {
    const act = new PReLU();
    expect(Object.keys(act.stateDict())).toEqual(['weight']);
    expect(act.weight.shape).toEqual([1]);
    expect(act.weight.dtype).toBe('float32');
    expect(act.weight.requiresGrad).toBe(true);
    expectValues(act.weight, [0.25]);
    const per = new PReLU({ numParameters: 3, init: 0.1, dtype: 'float64' });
    expect(per.weight.shape).toEqual([3]);
    expect(per.weight.dtype).toBe('float64');
    expectValues(per.weight, [0.1, 0.1, 0.1]);
    // channel dim 1: slope c applies to x[:, c, ...]
    per.loadStateDict({ weight: tensor([1, 2, 3], { dtype: 'float64' }) });
    const y = per.forward(
      tensor(
        [
          [
            [-1, -1],
            [-1, 1],
            [-1, -2],
          ],
        ],
        { dtype: 'float64' },
      ),
    );
    expectValues(y, [-1, -1, -2, 1, -3, -6]);
    expect(String(per)).toContain('numParameters=3');
  });

  it('PReLU rejects a bad numParameters or init', () => {
    expect(() => new PReLU({ numParameters: 0 })).toThrow(/PReLU: numParameters must be an integer >= 1, got 0/);
    expect(() => new PReLU({ init: Number.NaN })).toThrow(ValueError);
    expect(() => new PReLU({ numParameters: 4 }).forward(randn([2, 3]))).toThrow(/prelu: weight has 4 parameters/);
  });

  it('Hardtanh has PyTorch defaults and requires maxVal > minVal', () => {
    const h = new Hardtanh();
    expect([h.minVal, h.maxVal]).toEqual([-1, 1]);
    expectValues(h.forward(tensor([-3, 0.5, 3], { dtype: 'float64' })), [-1, 0.5, 1]);
    expect(() => new Hardtanh({ minVal: 1, maxVal: 1 })).toThrow(
      /Hardtanh: maxVal \(1\) must be greater than minVal \(1\)/,
    );
    expect(() => new Hardtanh({ minVal: 2 })).toThrow(ValueError);
  });

  it('CELU and GLU check their options; defaults alpha 1 and dim -1', () => {
    expect(new CELU().alpha).toBe(1);
    expect(() => new CELU({ alpha: 0 })).toThrow(/CELU: alpha must not be 0/);
    expect(new GLU().dim).toBe(-1);
    expect(() => new GLU({ dim: 0.5 })).toThrow(/GLU: dim must be an integer/);
    expect(new GLU({ dim: 0 }).forward(randn([4, 3])).shape).toEqual([2, 3]);
    expect(() => new GLU().forward(randn([4, 3]))).toThrow(/glu: the halved dimension must have an even size/);
  });

  it('the parameterless layers have no state and apply their function', () => {
    const x = tensor([-4, 0, 4], { dtype: 'float64' });
    for (const layer of [new ReLU6(), new Hardswish(), new Hardsigmoid(), new Mish(), new SELU()]) {
      expect(Object.keys(layer.stateDict())).toEqual([]);
      expect(layer.forward(x).shape).toEqual([3]);
    }
    expectValues(new ReLU6().forward(tensor([-1, 7], { dtype: 'float64' })), [0, 6]);
    expectValues(new Hardsigmoid().forward(x), [0, 0.5, 1]);
    expect(() => new Mish().forward(null as never)).toThrow(/Mish: input must be a Tensor/);
  });
});
