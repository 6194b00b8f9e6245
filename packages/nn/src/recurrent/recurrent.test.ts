import {
  cat,
  DTypeError,
  Generator,
  gradcheck,
  noGrad,
  randn,
  ShapeError,
  stack,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { gruCell, lstmCell, rnnReluCell, rnnTanhCell } from './functional';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell } from './index';

const f64 = { dtype: 'float64' } as const;

function rand(shape: number[], seed: number, requiresGrad = false): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });
}

function flat(...ts: Tensor[]): Tensor {
  return cat(
    ts.map((t) => t.reshape([-1])),
    0,
  );
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.values[i] - b.values[i]));
  return m;
}

describe('recurrent parameters', () => {
  it('uses PyTorch state-dict names, order and shapes', () => {
    const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2, ...f64 });
    const shapes = Object.fromEntries(lstm.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(Object.keys(shapes)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_hr_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'bias_ih_l0_reverse',
      'bias_hh_l0_reverse',
      'weight_hr_l0_reverse',
      'weight_ih_l1',
      'weight_hh_l1',
      'bias_ih_l1',
      'bias_hh_l1',
      'weight_hr_l1',
      'weight_ih_l1_reverse',
      'weight_hh_l1_reverse',
      'bias_ih_l1_reverse',
      'bias_hh_l1_reverse',
      'weight_hr_l1_reverse',
    ]);
    expect(shapes.weight_ih_l0).toEqual([20, 3]);
    expect(shapes.weight_hh_l0).toEqual([20, 2]);
    expect(shapes.weight_hr_l0).toEqual([2, 5]);
    expect(shapes.weight_ih_l1_reverse).toEqual([20, 4]);
    expect(shapes.bias_hh_l1).toEqual([20]);

    const gru = new GRU(3, 4, { numLayers: 2, bias: false });
    expect(gru.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight_ih_l0', [12, 3]],
      ['weight_hh_l0', [12, 4]],
      ['weight_ih_l1', [12, 4]],
      ['weight_hh_l1', [12, 4]],
    ]);
    expect(new RNN(3, 4).namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight_ih_l0', [4, 3]],
      ['weight_hh_l0', [4, 4]],
      ['bias_ih_l0', [4]],
      ['bias_hh_l0', [4]],
    ]);
    for (const [cell, gates] of [
      [new RNNCell(3, 4), 1],
      [new LSTMCell(3, 4), 4],
      [new GRUCell(3, 4), 3],
    ] as const)
      expect(cell.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
        ['weight_ih', [gates * 4, 3]],
        ['weight_hh', [gates * 4, 4]],
        ['bias_ih', [gates * 4]],
        ['bias_hh', [gates * 4]],
      ]);
    expect(new LSTMCell(3, 4, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight_ih', 'weight_hh']);
  });

  it('initialises every parameter from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), reproducibly', () => {
    const hidden = 16;
    const bound = 1 / Math.sqrt(hidden);
    for (const m of [
      new LSTM(8, hidden, { numLayers: 2, projSize: 4, generator: new Generator(1) }),
      new GRU(8, hidden, { bidirectional: true, generator: new Generator(1) }),
      new RNNCell(8, hidden, { generator: new Generator(1) }),
    ]) {
      const all = m.parameters().flatMap((p) => Array.from(p.values));
      expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(bound);
      // The spread of a uniform sample fills most of the interval.
      expect(Math.max(...all)).toBeGreaterThan(0.9 * bound);
      expect(Math.min(...all)).toBeLessThan(-0.9 * bound);
    }
    const a = new GRU(3, 4, { generator: new Generator(7) }).stateDict();
    const b = new GRU(3, 4, { generator: new Generator(7) }).stateDict();
    for (const k of Object.keys(a)) expect(Array.from(a[k].values)).toEqual(Array.from(b[k].values));
  });

  it('prints its non-default options', () => {
    expect(new LSTM(3, 5, { numLayers: 2, projSize: 2, bidirectional: true }).extraRepr()).toBe(
      '3, 5, projSize=2, numLayers=2, bidirectional=true',
    );
    expect(new RNN(3, 5, { nonlinearity: 'relu', batchFirst: true }).extraRepr()).toBe(
      "3, 5, nonlinearity='relu', batchFirst=true",
    );
  });
});

describe('recurrent forward', () => {
  it('a one-layer LSTM equals LSTMCell stepped over the sequence (both directions)', () => {
    const lstm = new LSTM(3, 4, { bidirectional: true, ...f64, generator: new Generator(2) });
    const fwd = new LSTMCell(3, 4, f64);
    const bwd = new LSTMCell(3, 4, f64);
    const sd = lstm.stateDict();
    fwd.loadStateDict({
      weight_ih: sd.weight_ih_l0,
      weight_hh: sd.weight_hh_l0,
      bias_ih: sd.bias_ih_l0,
      bias_hh: sd.bias_hh_l0,
    });
    bwd.loadStateDict({
      weight_ih: sd.weight_ih_l0_reverse,
      weight_hh: sd.weight_hh_l0_reverse,
      bias_ih: sd.bias_ih_l0_reverse,
      bias_hh: sd.bias_hh_l0_reverse,
    });
    const x = rand([5, 2, 3], 3);
    const h0 = rand([2, 2, 4], 4);
    const c0 = rand([2, 2, 4], 5);
    const { output, h, c } = lstm.forward(x, { h: h0, c: c0 });
    const steps = x.split(1, 0).map((s) => s.reshape([2, 3]));
    let sf = { h: h0.split(1, 0)[0].reshape([2, 4]), c: c0.split(1, 0)[0].reshape([2, 4]) };
    let sb = { h: h0.split(1, 0)[1].reshape([2, 4]), c: c0.split(1, 0)[1].reshape([2, 4]) };
    const outF: Tensor[] = [];
    const outB: Tensor[] = new Array(5);
    for (let t = 0; t < 5; t++) {
      sf = fwd.forward(steps[t], sf);
      outF.push(sf.h);
      sb = bwd.forward(steps[4 - t], sb);
      outB[4 - t] = sb.h;
    }
    expect(maxAbsDiff(output, cat([stack(outF, 0), stack(outB, 0)], 2))).toBeLessThan(1e-14);
    expect(maxAbsDiff(h, stack([sf.h, sb.h], 0))).toBeLessThan(1e-14);
    expect(maxAbsDiff(c, stack([sf.c, sb.c], 0))).toBeLessThan(1e-14);
  });

  it('GRU and RNN cells agree with the functional cells', () => {
    const x = rand([2, 3], 1);
    const hx = rand([2, 4], 2);
    const gru = new GRUCell(3, 4, { ...f64, generator: new Generator(3) });
    expect(
      maxAbsDiff(gru.forward(x, hx), gruCell(x, hx, gru.weightIh, gru.weightHh, gru.biasIh, gru.biasHh)),
    ).toBeLessThan(1e-15);
    const relu = new RNNCell(3, 4, { nonlinearity: 'relu', ...f64, generator: new Generator(4) });
    expect(
      maxAbsDiff(relu.forward(x, hx), rnnReluCell(x, hx, relu.weightIh, relu.weightHh, relu.biasIh, relu.biasHh)),
    ).toBeLessThan(1e-15);
  });

  it('unbatched and batch-first inputs give the batched time-major results', () => {
    const gru = new GRU(3, 4, { numLayers: 2, bidirectional: true, ...f64, generator: new Generator(5) });
    const x = rand([6, 3], 6);
    const h0 = rand([4, 4], 7);
    const un = gru.forward(x, h0);
    const batched = gru.forward(x.reshape([6, 1, 3]), h0.reshape([4, 1, 4]));
    expect(un.output.shape).toEqual([6, 8]);
    expect(un.h.shape).toEqual([4, 4]);
    expect(maxAbsDiff(un.output, batched.output.reshape([6, 8]))).toBe(0);
    expect(maxAbsDiff(un.h, batched.h.reshape([4, 4]))).toBe(0);

    const bf = new GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, ...f64 });
    bf.loadStateDict(gru.stateDict());
    const xb = rand([5, 2, 3], 8); // [seq, batch, feature]
    const tm = gru.forward(xb);
    const first = bf.forward(xb.transpose(0, 1));
    expect(first.output.shape).toEqual([2, 5, 8]);
    expect(maxAbsDiff(first.output.transpose(0, 1), tm.output)).toBe(0);
    expect(maxAbsDiff(first.h, tm.h)).toBe(0);
  });

  it('applies inter-layer dropout in training only, never after the last layer', () => {
    const g = new Generator(9);
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 1, ...f64, generator: g });
    const x1 = rand([4, 2, 3], 10);
    const x2 = rand([4, 2, 3], 11);
    // dropout = 1 zeroes the second layer's input: the output no longer depends on the input.
    const a = lstm.forward(x1);
    const b = lstm.forward(x2);
    expect(maxAbsDiff(a.output, b.output)).toBe(0);
    expect(a.output.values.some((v) => v !== 0)).toBe(true);
    // The first layer's final state is not dropped.
    expect(maxAbsDiff(a.h.split(1, 0)[0], b.h.split(1, 0)[0])).toBeGreaterThan(1e-3);
    // In eval mode it is the network without dropout.
    const plain = new LSTM(3, 4, { numLayers: 2, ...f64 });
    plain.loadStateDict(lstm.stateDict());
    lstm.eval();
    expect(maxAbsDiff(lstm.forward(x1).output, plain.forward(x1).output)).toBe(0);
    // One layer: nothing to drop, even in training.
    const one = new GRU(3, 4, { dropout: 1, ...f64 });
    const onePlain = new GRU(3, 4, f64);
    onePlain.loadStateDict(one.stateDict());
    expect(maxAbsDiff(one.forward(x1).output, onePlain.forward(x1).output)).toBe(0);
  });

  it('trains a sequence of 64 steps with hidden size 256', () => {
    const lstm = new LSTM(8, 256, { generator: new Generator(12) });
    const x = randn([64, 2, 8], { generator: new Generator(13) });
    const loss = () => lstm.forward(x).output.square().mean();
    const before = loss();
    before.backward();
    for (const [name, p] of lstm.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect(
        Array.from((p.grad as Tensor).values).every((v) => Number.isFinite(v)),
        name,
      ).toBe(true);
    }
    noGrad(() => {
      for (const p of lstm.parameters()) p.sub_((p.grad as Tensor).mul(0.5));
    });
    expect(loss().item()).toBeLessThan(before.item());
  });
});

describe('recurrent gradcheck (float64)', () => {
  it('LSTM with projections, two layers, bidirectional: input, states and every parameter', () => {
    const lstm = new LSTM(2, 3, {
      numLayers: 2,
      bidirectional: true,
      projSize: 2,
      ...f64,
      generator: new Generator(1),
    });
    const x = rand([3, 2, 2], 2, true);
    const h0 = rand([4, 2, 2], 3, true);
    const c0 = rand([4, 2, 3], 4, true);
    const params = lstm.parameters();
    const f = (xi: Tensor, hi: Tensor, ci: Tensor) => {
      const { output, h, c } = lstm.forward(xi, { h: hi, c: ci });
      return flat(output, h, c);
    };
    expect(gradcheck(f as (...t: Tensor[]) => Tensor, [x, h0, c0, ...params])).toBe(true);
  });

  it('GRU, bidirectional, batch first, and RNN with tanh', () => {
    const gru = new GRU(2, 3, { bidirectional: true, batchFirst: true, ...f64, generator: new Generator(5) });
    const x = rand([2, 3, 2], 6, true);
    const h0 = rand([2, 2, 3], 7, true);
    const g = (xi: Tensor, hi: Tensor) => {
      const { output, h } = gru.forward(xi, hi);
      return flat(output, h);
    };
    expect(gradcheck(g as (...t: Tensor[]) => Tensor, [x, h0, ...gru.parameters()])).toBe(true);
    const rnn = new RNN(2, 3, { numLayers: 2, ...f64, generator: new Generator(8) });
    const r = (xi: Tensor) => flat(...Object.values(rnn.forward(xi)));
    expect(gradcheck(r as (...t: Tensor[]) => Tensor, [x, ...rnn.parameters()])).toBe(true);
  });

  it('the functional cells', () => {
    const x = rand([2, 3], 1, true);
    const h = rand([2, 4], 2, true);
    const c = rand([2, 4], 3, true);
    const w = (rows: number, cols: number, seed: number) => rand([rows, cols], seed, true).mul(0.5).detach();
    const leaf = (t: Tensor) => {
      t.requiresGrad = true;
      return t;
    };
    const wIh4 = leaf(w(16, 3, 4));
    const wHh4 = leaf(w(16, 4, 5));
    const b4 = rand([16], 6, true);
    expect(
      gradcheck(
        (...t: Tensor[]) => flat(...Object.values(lstmCell(t[0], { h: t[1], c: t[2] }, t[3], t[4], t[5]))),
        [x, h, c, wIh4, wHh4, b4],
      ),
    ).toBe(true);
    const wIh3 = leaf(w(12, 3, 7));
    const wHh3 = leaf(w(12, 4, 8));
    const bi = rand([12], 9, true);
    const bh = rand([12], 10, true);
    expect(gradcheck((...t: Tensor[]) => gruCell(t[0], t[1], t[2], t[3], t[4], t[5]), [x, h, wIh3, wHh3, bi, bh])).toBe(
      true,
    );
    const wIh1 = leaf(w(4, 3, 11));
    const wHh1 = leaf(w(4, 4, 12));
    expect(gradcheck((...t: Tensor[]) => rnnTanhCell(t[0], t[1], t[2], t[3]), [x, h, wIh1, wHh1])).toBe(true);
  });
});

describe('recurrent bad input', () => {
  it('rejects invalid options with a ValueError naming the option', () => {
    expect(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(ValueError);
    expect(() => new RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(/nonlinearity/);
    expect(() => new RNNCell(3, 4, { nonlinearity: 'gelu' as 'relu' })).toThrow(/RNNCell: nonlinearity/);
    expect(() => new LSTM(3, 4, { projSize: 4 })).toThrow(/LSTM: projSize must be smaller than hiddenSize/);
    expect(() => new LSTM(3, 4, { projSize: -1 })).toThrow(ValueError);
    expect(() => new GRU(3, 4, { projSize: 2 } as object)).toThrow(/GRU: projSize is only supported by LSTM/);
    for (const dropout of [-0.1, 1.5, Number.NaN, true as unknown as number])
      expect(() => new GRU(3, 4, { dropout })).toThrow(/GRU: dropout must be a number in \[0, 1\]/);
    expect(() => new LSTM(3, 4, { numLayers: 0 })).toThrow(/numLayers/);
    expect(() => new LSTM(3, 0)).toThrow(/hiddenSize/);
    expect(() => new RNN(3.5, 4)).toThrow(/inputSize/);
    expect(() => new RNN(3, 4, { bidirectional: 'yes' as unknown as boolean })).toThrow(/bidirectional/);
  });

  it('rejects inputs of the wrong rank, feature size or dtype before computing', () => {
    const g = new Generator(1);
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.5, ...f64, generator: g });
    const state = g.getState();
    expect(() => lstm.forward(rand([5], 1))).toThrow(ShapeError);
    expect(() => lstm.forward(rand([5, 2, 3, 1], 1))).toThrow(/LSTM\(3, 4\): expected a 2-D \(unbatched\) or 3-D/);
    expect(() => lstm.forward(rand([5, 2, 7], 1))).toThrow(
      'LSTM(3, 4): input has 7 features in its last dimension, expected inputSize 3 (input shape [5,2,7])',
    );
    expect(() => lstm.forward(randn([5, 2, 3]))).toThrow(DTypeError);
    expect(() => lstm.forward(rand([0, 2, 3], 1))).toThrow(ShapeError);
    // No dropout mask was drawn by the failed calls.
    expect(g.getState()).toEqual(state);
    const cell = new GRUCell(3, 4, f64);
    expect(() => cell.forward(rand([2, 2, 3], 1))).toThrow(/GRUCell\(3, 4\): expected a 1-D \(unbatched\) or 2-D/);
    expect(() => cell.forward(rand([2, 5], 1))).toThrow(/GRUCell\(3, 4\): input has 5 features/);
  });

  it('rejects hidden states of the wrong shape with a ShapeError naming both shapes', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2, ...f64 });
    const x = rand([5, 2, 3], 1);
    const ok = { h: rand([4, 2, 2], 2), c: rand([4, 2, 4], 3) };
    expect(lstm.forward(x, ok).h.shape).toEqual([4, 2, 2]);
    expect(() => lstm.forward(x, { h: rand([2, 2, 2], 2), c: ok.c })).toThrow(
      /LSTM\(3, 4\): h0 has shape \[2,2,2\] but expected \[4,2,2\]/,
    );
    expect(() => lstm.forward(x, { h: ok.h, c: rand([4, 2, 2], 3) })).toThrow(
      /LSTM\(3, 4\): c0 has shape \[4,2,2\] but expected \[4,2,4\]/,
    );
    expect(() => lstm.forward(x, { h: ok.h } as never)).toThrow(/hx must hold both h and c/);
    // Unbatched input wants 2-D states.
    expect(() => lstm.forward(rand([5, 3], 1), ok)).toThrow(/h0 has shape \[4,2,2\] but expected \[4,2\]/);
    const gru = new GRU(3, 4, f64);
    expect(() => gru.forward(x, rand([1, 3, 4], 4))).toThrow(
      /GRU\(3, 4\): h0 has shape \[1,3,4\] but expected \[1,2,4\]/,
    );
    expect(() => gru.forward(x, randn([1, 2, 4]))).toThrow(DTypeError);
    const cell = new LSTMCell(3, 4, f64);
    expect(() => cell.forward(rand([2, 3], 1), { h: rand([2, 4], 1), c: rand([3, 4], 1) })).toThrow(
      /LSTMCell\(3, 4\): c has shape \[3,4\] but expected \[2,4\]/,
    );
    expect(() => new RNNCell(3, 4, f64).forward(rand([3], 1), rand([1, 4], 1))).toThrow(
      /RNNCell\(3, 4\): hx has shape \[1,4\] but expected \[4\] for input shape \[3\]/,
    );
    expect(() => gruCell(rand([2, 3], 1), rand([2, 5], 1), rand([12, 3], 1), rand([12, 4], 1))).toThrow(
      /gruCell: hx must be \[2, 4\]/,
    );
    expect(() =>
      lstmCell(rand([2, 3], 1), { h: rand([2, 4], 1), c: rand([2, 4], 1) }, rand([15, 3], 1), rand([16, 4], 1)),
    ).toThrow(/lstmCell: weightIh must be \[4 \* hiddenSize, inputSize\]/);
  });
});
