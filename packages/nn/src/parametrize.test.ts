import {
  CaptureError,
  capture,
  DTypeError,
  div,
  gradcheck,
  manualSeed,
  mul,
  randn,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ReLU } from './layers/activations';
import { Linear } from './layers/linear';
import { Module } from './module';
import { ParameterDict } from './parameter-dict';
import * as parametrizations from './parametrizations';
import * as parametrize from './parametrize-index';
import { LSTM } from './recurrent/rnn';
import { Sequential } from './sequential';

class Scale extends Module {
  constructor(readonly factor: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return mul(x, this.factor);
  }
  rightInverse(a: Tensor): Tensor {
    return div(a, this.factor);
  }
}

/** Changes the shape: [n, m] -> [n]. */
class RowSums extends Module {
  forward(x: Tensor): Tensor {
    return sum(x, 1);
  }
}

class ToFloat64 extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
  rightInverse(a: Tensor): Tensor {
    return a.double();
  }
}

function listOf(m: Module, name = 'weight'): parametrize.ParametrizationList {
  const dict = parametrize.parametrizationsOf(m);
  if (dict === null) throw new Error('not parametrized');
  return dict.get(name) as parametrize.ParametrizationList;
}

/** `module[name] = value`, as PyTorch writes it (the layers' fields are readonly in their types). */
function assign(m: Module, name: string, value: unknown): void {
  (m as unknown as Record<string, unknown>)[name] = value;
}

function values(m: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.data]]));
}

describe('registerParametrization', () => {
  it('recomputes the weight on every read, with gradients to the original, and reaches the fused forward', () => {
    manualSeed(1);
    const lin = new Linear(3, 4, { dtype: 'float64' });
    const w = lin.weight;
    const model = new Sequential(lin, new ReLU());
    const w0 = [...w.data];
    parametrize.registerParametrization(lin, 'weight', new Scale(3));
    // The right inverse wrote w / 3 into the original: the weight keeps its value.
    for (let i = 0; i < w0.length; i++) expect(w.data[i]).toBeCloseTo(w0[i] / 3, 15);
    expect(parametrize.isParametrized(lin)).toBe(true);
    expect(parametrize.isParametrized(lin, 'weight')).toBe(true);
    expect(parametrize.isParametrized(lin, 'bias')).toBe(false);
    expect([...lin.weight.data]).toEqual([...w.data].map((v) => v * 3));
    expect(lin.weight).not.toBe(lin.weight); // computed on each read
    const x = randn([2, 3], { dtype: 'float64' });
    const manual = mul(x.matmul(mul(w, 3).transpose(0, 1)).add(lin.bias as Tensor), 1).relu();
    expect([...model.forward(x).data]).toEqual([...manual.data]);
    x.requiresGrad = true;
    expect(gradcheck((xi: Tensor) => model.forward(xi), [x, w, lin.bias as Tensor])).toBe(true);
    // The registration check of fields still passes: the accessor is not an enumerable field.
    expect(model.namedModules().map(([n]) => n)).toEqual([
      '',
      '0',
      '0.parametrizations',
      '0.parametrizations.weight',
      '0.parametrizations.weight.0',
      '1',
    ]);
  });

  it('keeps the original tensor object, so an optimizer built before keeps updating it', () => {
    const lin = new Linear(2, 2);
    const w = lin.weight;
    parametrize.registerParametrization(lin, 'weight', new Scale(2));
    const list = listOf(lin);
    expect(list.original).toBe(w);
    expect(lin.parameters()).toContain(w);
    parametrize.removeParametrizations(lin, 'weight');
    expect(lin.weight).toBe(w); // the same object, holding the parametrized value
  });

  it('chains parametrizations, and assignment runs their right inverses last first', () => {
    const lin = new Linear(2, 2, { dtype: 'float64' });
    parametrize.registerParametrization(lin, 'weight', new Scale(2));
    parametrize.registerParametrization(lin, 'weight', new Scale(5));
    assign(
      lin,
      'weight',
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'float64' },
      ),
    );
    const list = listOf(lin);
    expect(list.length).toBe(2);
    expect([...list.original.data]).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect([...lin.weight.data]).toEqual([1, 2, 3, 4]);
  });

  it('parametrizes a buffer, which stays out of parameters()', () => {
    class WithBuffer extends Module {
      readonly scale = this.registerBuffer('scale', tensor([1, 2]));
      forward(x: Tensor): Tensor {
        return mul(x, this.scale);
      }
    }
    const m = new WithBuffer();
    parametrize.registerParametrization(m, 'scale', new Scale(10));
    expect(m.parameters()).toEqual([]);
    expect(Object.keys(m.stateDict())).toEqual(['parametrizations.scale.original']);
    // The right inverse set the original to [0.1, 0.2], so the buffer still reads [1, 2].
    expect([...m.forward(tensor([1, 1])).data].map((v) => Math.fround(v))).toEqual([1, 2]);
    parametrize.removeParametrizations(m, 'scale', { leaveParametrized: false });
    expect(Object.keys(m.stateDict())).toEqual(['scale']);
    expect([...m.scale.data]).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });

  it('refuses bad calls with a named error and leaves the module as it was', () => {
    const lin = new Linear(3, 2, { bias: false });
    const before = values(lin);
    const w = lin.weight;
    expect(() => parametrize.registerParametrization(lin, 'nope', new Scale(2))).toThrow(
      /registerParametrization: Linear has no parameter, buffer or parametrized tensor called "nope"/,
    );
    expect(() => parametrize.registerParametrization(lin, 'bias', new Scale(2))).toThrow(/registered as null/);
    expect(() => parametrize.registerParametrization(lin, 'weight', new RowSums())).toThrow(ShapeError);
    expect(() => parametrize.registerParametrization(lin, 'weight', new ToFloat64())).toThrow(DTypeError);
    expect(() => parametrize.registerParametrization(lin, 'weight', {} as Module)).toThrow(/must be a Module/);
    expect(() =>
      parametrize.registerParametrization(lin, 'weight', new Scale(2), { unsafe: 1 as unknown as boolean }),
    ).toThrow(/unsafe must be a boolean/);
    expect(() =>
      parametrize.registerParametrization(lin, 'weight', new Scale(2), { usafe: true } as unknown as object),
    ).toThrow(/unknown option "usafe"/);
    expect(parametrize.isParametrized(lin)).toBe(false);
    expect(lin.weight).toBe(w);
    expect(values(lin)).toEqual(before);
    expect(() => parametrize.removeParametrizations(lin, 'weight')).toThrow(
      /removeParametrizations: Linear has no parametrization on "weight"/,
    );
  });

  it('refuses a tensor its module keeps inside an array (the recurrent layers), where forward would not see it', () => {
    const lstm = new LSTM(2, 3);
    const before = values(lstm);
    expect(() => parametrize.registerParametrization(lstm, 'weight_hh_l0', new Scale(2))).toThrow(
      /keeps "weight_hh_l0" inside its field "weights\.0\.weightHh"/,
    );
    expect(parametrize.isParametrized(lstm)).toBe(false);
    expect(values(lstm)).toEqual(before);
  });

  it('refuses a tensor kept in a Map or inside a ParameterDict, where forward would read the original', () => {
    class Mapped extends Module {
      readonly w = this.registerParameter('w', tensor([1, 2]));
      readonly lookup = new Map([['w', this.w]]);
      forward(x: Tensor): Tensor {
        return mul(x, this.lookup.get('w') as Tensor);
      }
    }
    expect(() => parametrize.registerParametrization(new Mapped(), 'w', new Scale(2))).toThrow(
      /keeps "w" inside its field "lookup\.w"/,
    );
    const dict = new ParameterDict({ a: tensor([1, 2]) });
    expect(() => parametrize.registerParametrization(dict, 'a', new Scale(2))).toThrow(/inside its field/);
    expect(parametrize.isParametrized(dict)).toBe(false);
  });

  it('with unsafe, allows a change of shape', () => {
    const lin = new Linear(3, 2);
    parametrize.registerParametrization(lin, 'weight', new RowSums(), { unsafe: true });
    expect(lin.weight.shape).toEqual([2]);
  });

  it('checks an assignment before writing anything', () => {
    const lin = new Linear(2, 2);
    parametrize.registerParametrization(lin, 'weight', new Scale(2));
    const before = values(lin);
    expect(() => assign(lin, 'weight', zeros([3, 3]))).toThrow(
      /assigning Linear\.weight: rightInverse returned shape \[3, 3\] for original 0 of shape \[2, 2\]/,
    );
    expect(() => assign(lin, 'weight', 5)).toThrow(/assigning Linear\.weight: the value must be a Tensor, got number/);
    expect(values(lin)).toEqual(before);
  });

  it('removal with several originals: leaves a new parameter, and refuses leaveParametrized: false', () => {
    const lin = parametrizations.weightNorm(new Linear(3, 2, { dtype: 'float64' }));
    const value = [...lin.weight.data];
    expect(() => parametrize.removeParametrizations(lin, 'weight', { leaveParametrized: false })).toThrow(
      /cannot be left unparametrized/,
    );
    parametrize.removeParametrizations(lin, 'weight');
    expect(lin.weight.requiresGrad).toBe(true);
    expect([...lin.weight.data].map((v, i) => Math.abs(v - value[i]) < 1e-15)).toEqual(value.map(() => true));
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['bias', 'weight']);
    expect(lin.stateDictLegacyNames()).toEqual({});
  });

  it('cannot change parametrizations while capture() records a step', () => {
    const lin = new Linear(2, 2);
    expect(() => capture(() => parametrize.registerParametrization(lin, 'weight', new Scale(2)))).toThrow(CaptureError);
  });
});

describe('cached', () => {
  it('computes each parametrized tensor once inside, and again after', () => {
    const lin = new Linear(2, 2);
    parametrize.registerParametrization(lin, 'weight', new Scale(2));
    const [a, b, c] = parametrize.cached(() => {
      const first = lin.weight;
      const inner = parametrize.cached(() => lin.weight);
      return [first, lin.weight, inner];
    });
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(lin.weight).not.toBe(a);
    expect(() => parametrize.cached(() => Promise.resolve(1))).toThrow(/must be synchronous/);
    expect(() => parametrize.cached(1 as unknown as () => void)).toThrow(ValueError);
  });
});

describe('spectralNorm and weightNorm', () => {
  it('spectralNorm brings the largest singular value to 1 and trains through SGD', () => {
    manualSeed(3);
    const lin = parametrizations.spectralNorm(new Linear(6, 4, { dtype: 'float64' }));
    const w = lin.weight;
    // ‖W‖₂ by the power iteration on WᵀW, in plain numbers.
    let v = Array.from({ length: 6 }, (_, i) => 1 + i);
    const rows = [0, 1, 2, 3].map((r) => [...w.data].slice(r * 6, r * 6 + 6));
    let s = 0;
    for (let it = 0; it < 500; it++) {
      const u = rows.map((row) => row.reduce((acc, x, j) => acc + x * v[j], 0));
      const next = v.map((_, j) => rows.reduce((acc, row, r) => acc + row[j] * u[r], 0));
      s = Math.sqrt(Math.sqrt(next.reduce((acc, x) => acc + x * x, 0)));
      const n = Math.sqrt(next.reduce((acc, x) => acc + x * x, 0));
      v = next.map((x) => x / n);
    }
    expect(s).toBeCloseTo(1, 4);
    lin.eval(); // u and v fixed: the weight is a smooth function of the original
    const x = randn([3, 6], { dtype: 'float64', requiresGrad: true });
    const original = listOf(lin).original;
    expect(gradcheck((xi: Tensor) => lin.forward(xi), [x, original])).toBe(true);
  });

  it('weightNorm keeps the weight at registration and splits it into magnitude and direction', () => {
    const lin = new Linear(3, 2, { dtype: 'float64' });
    const w = [...lin.weight.data];
    parametrizations.weightNorm(lin);
    const [g, v] = listOf(lin).originals;
    expect(g.shape).toEqual([2, 1]);
    expect([...v.data]).toEqual(w);
    for (let i = 0; i < w.length; i++) expect(lin.weight.data[i]).toBeCloseTo(w[i], 14);
    expect(lin.stateDictLegacyNames()).toEqual({
      weight_g: 'parametrizations.weight.original0',
      weight_v: 'parametrizations.weight.original1',
    });
    const x = randn([2, 3], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((xi: Tensor) => lin.forward(xi), [x, g, v])).toBe(true);
  });

  it('refuses bad options with named errors', () => {
    expect(() => parametrizations.spectralNorm(new Linear(2, 2), { nPowerIterations: 0 })).toThrow(
      /spectralNorm: nPowerIterations must be a positive integer/,
    );
    expect(() => parametrizations.spectralNorm(new Linear(2, 2), { dim: 2 })).toThrow(
      /spectralNorm: dim 2 is out of range/,
    );
    expect(() => parametrizations.spectralNorm(new Linear(2, 2), { eps: 0 })).toThrow(/eps must be a positive number/);
    expect(() => parametrizations.weightNorm(new Linear(2, 2), { name: 'gamma' })).toThrow(
      /weightNorm: Linear has no tensor called "gamma"/,
    );
    expect(() => parametrizations.weightNorm(new Linear(2, 2), { dim: -3 })).toThrow(
      /weightNorm: dim -3 is out of range/,
    );
    expect(() => parametrizations.weightNorm(new Linear(2, 2), { axis: 0 } as object)).toThrow(/weightNorm/);
  });

  it('follows the module to another dtype', () => {
    const lin = parametrizations.spectralNorm(new Linear(3, 2));
    lin.to('float64');
    expect(lin.weight.dtype).toBe('float64');
    expect(Object.values(lin.stateDict()).map((t) => t.dtype)).toEqual(['float64', 'float64', 'float64', 'float64']);
  });
});
