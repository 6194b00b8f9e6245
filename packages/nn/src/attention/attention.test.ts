import {
  DTypeError,
  defaultGenerator,
  Generator,
  gradcheck,
  gradgradcheck,
  manualSeed,
  randn,
  ShapeError,
  scaledDotProductAttention,
  type Tensor,
  tensor,
  transpose,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import * as F from '../functional/index';
import { LayerNorm } from '../layers/layer-norm';
import { MultiheadAttention } from './multihead-attention';
import {
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from './transformer';

const f64 = (shape: number[], seed: number, requiresGrad = false): Tensor =>
  randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });

function expectClose(actual: Tensor, expected: Tensor, tol = 1e-12): void {
  expect(actual.shape).toEqual(expected.shape);
  for (let i = 0; i < expected.size; i++) {
    const a = actual.values[i];
    const b = expected.values[i];
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) throw new Error(`element ${i}: got ${a}, expected ${b}`);
  }
}

describe('F.scaledDotProductAttention', () => {
  it('is core scaledDotProductAttention', () => {
    expect(F.scaledDotProductAttention).toBe(scaledDotProductAttention);
  });
});

describe('MultiheadAttention: construction', () => {
  it('names and shapes its parameters as PyTorch (packed projection)', () => {
    const mha = new MultiheadAttention(8, 2, { generator: new Generator(0) });
    expect(mha.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['in_proj_weight', [24, 8]],
      ['in_proj_bias', [24]],
      ['out_proj.weight', [8, 8]],
      ['out_proj.bias', [8]],
    ]);
    expect(mha.headDim).toBe(4);
  });

  it('uses separate projections when kdim or vdim differ, and bias_k/bias_v with addBiasKv', () => {
    const mha = new MultiheadAttention(8, 2, { kdim: 5, vdim: 3, addBiasKv: true, generator: new Generator(0) });
    expect(Object.fromEntries(mha.namedParameters().map(([n, p]) => [n, p.shape]))).toEqual({
      q_proj_weight: [8, 8],
      k_proj_weight: [8, 5],
      v_proj_weight: [8, 3],
      in_proj_bias: [24],
      'out_proj.weight': [8, 8],
      'out_proj.bias': [8],
      bias_k: [1, 1, 8],
      bias_v: [1, 1, 8],
    });
    const noBias = new MultiheadAttention(8, 2, { bias: false });
    expect(noBias.namedParameters().map(([n]) => n)).toEqual(['in_proj_weight', 'out_proj.weight']);
  });

  it('initialises as PyTorch: Xavier-uniform projection, zero biases, a Linear out_proj weight', () => {
    const mha = new MultiheadAttention(32, 4, { dtype: 'float64', generator: new Generator(1) });
    const w = mha.in_proj_weight as Tensor;
    const bound = Math.sqrt(6 / (32 + 96));
    const vals = [...w.values];
    expect(Math.max(...vals.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...vals.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect([...(mha.in_proj_bias as Tensor).values].every((v) => v === 0)).toBe(true);
    expect([...(mha.out_proj.bias as Tensor).values].every((v) => v === 0)).toBe(true);
    const outBound = 1 / Math.sqrt(32);
    const out = [...mha.out_proj.weight.values];
    expect(Math.max(...out.map(Math.abs))).toBeLessThanOrEqual(outBound);
    expect(Math.max(...out.map(Math.abs))).toBeGreaterThan(0.9 * outBound);
  });

  it('draws bias_k and bias_v from Xavier-normal (std √(2 / (E + E)))', () => {
    const mha = new MultiheadAttention(400, 4, { addBiasKv: true, dtype: 'float64', generator: new Generator(2) });
    const v = [...(mha.bias_k as Tensor).values, ...(mha.bias_v as Tensor).values];
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(std - Math.sqrt(2 / 800)) / Math.sqrt(2 / 800)).toBeLessThan(0.1);
  });

  it('rejects numHeads not dividing embedDim and bad options, naming them', () => {
    expect(() => new MultiheadAttention(10, 3)).toThrow(ValueError);
    expect(() => new MultiheadAttention(10, 3)).toThrow(
      'MultiheadAttention: embedDim 10 must be divisible by numHeads 3',
    );
    expect(() => new MultiheadAttention(8, 0)).toThrow(/numHeads/);
    expect(() => new MultiheadAttention(8, 2, { dropout: 2 })).toThrow(/dropout/);
    expect(() => new MultiheadAttention(8, 2, { kdim: 0 })).toThrow(/kdim/);
  });
});

describe('MultiheadAttention: forward', () => {
  const mha = new MultiheadAttention(8, 2, { dtype: 'float64', generator: new Generator(3) });

  it('equals a hand-written composition of the projections and core attention', () => {
    const q = f64([4, 2, 8], 1);
    const k = f64([5, 2, 8], 2);
    const { output, weights } = mha.forward(q, k, k);
    expect(output.shape).toEqual([4, 2, 8]);
    expect(weights?.shape).toEqual([2, 4, 5]);
    const w = mha.in_proj_weight as Tensor;
    const b = mha.in_proj_bias as Tensor;
    const proj = (x: Tensor, i: number) =>
      F.linear(transpose(x, 0, 1), w.slice([[8 * i, 8 * i + 8]]), b.slice([[8 * i, 8 * i + 8]]));
    const heads = (x: Tensor) => x.reshape([2, -1, 2, 4]).permute([0, 2, 1, 3]);
    const att = scaledDotProductAttention(heads(proj(q, 0)), heads(proj(k, 1)), heads(proj(k, 2)));
    const merged = att.permute([0, 2, 1, 3]).reshape([2, 4, 8]);
    expectClose(output, transpose(mha.out_proj.forward(merged), 0, 1));
  });

  it('gives the same result with batchFirst on transposed inputs, and for unbatched inputs', () => {
    const bf = new MultiheadAttention(8, 2, { dtype: 'float64', batchFirst: true });
    bf.loadStateDict(mha.stateDict());
    const q = f64([3, 2, 8], 4);
    const k = f64([5, 2, 8], 5);
    const seq = mha.forward(q, k, k, { averageAttnWeights: false });
    const batch = bf.forward(transpose(q, 0, 1), transpose(k, 0, 1), transpose(k, 0, 1), { averageAttnWeights: false });
    expectClose(batch.output, transpose(seq.output, 0, 1));
    expectClose(batch.weights as Tensor, seq.weights as Tensor);
    const q0 = q.slice([null, [0, 1]]).reshape([3, 8]);
    const k0 = k.slice([null, [0, 1]]).reshape([5, 8]);
    const one = mha.forward(q0, k0, k0, { averageAttnWeights: false });
    expect(one.output.shape).toEqual([3, 8]);
    expect(one.weights?.shape).toEqual([2, 3, 5]);
    expectClose(one.output, seq.output.slice([null, [0, 1]]).reshape([3, 8]));
  });

  it('returns null weights without needWeights; a masked key gets zero weight', () => {
    const q = f64([3, 2, 8], 6);
    const k = f64([4, 2, 8], 7);
    expect(mha.forward(q, k, k, { needWeights: false }).weights).toBeNull();
    const kpm = tensor(
      [
        [0, 0, 1, 0],
        [0, 1, 1, 0],
      ],
      { dtype: 'int32' },
    );
    const w = mha.forward(q, k, k, { keyPaddingMask: kpm }).weights as Tensor;
    for (let l = 0; l < 3; l++) {
      expect(w.values[l * 4 + 2]).toBe(0);
      expect(w.values[12 + l * 4 + 1]).toBe(0);
      expect(w.values[12 + l * 4 + 2]).toBe(0);
    }
  });

  it('isCausal without attnMask builds the causal mask', () => {
    const x = f64([4, 1, 8], 8);
    const causal = tensor(
      [
        [0, 1, 1, 1],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
        [0, 0, 0, 0],
      ],
      { dtype: 'int32' },
    );
    expectClose(mha.forward(x, x, x, { isCausal: true }).output, mha.forward(x, x, x, { attnMask: causal }).output);
  });

  it('gives NaN for a query whose every key is masked, as PyTorch', () => {
    const x = f64([2, 1, 8], 9);
    const { output } = mha.forward(x, x, x, { keyPaddingMask: tensor([[1, 1]], { dtype: 'int32' }) });
    expect([...output.values].every(Number.isNaN)).toBe(true);
  });

  it('applies dropout to the weights in training mode only', () => {
    const drop = new MultiheadAttention(8, 2, { dtype: 'float64', dropout: 0.5, generator: new Generator(4) });
    drop.loadStateDict(mha.stateDict());
    const x = f64([5, 2, 8], 10);
    const evalOut = drop.eval().forward(x, x, x);
    expectClose(evalOut.output, mha.forward(x, x, x).output);
    const trainOut = drop.train().forward(x, x, x);
    expect([...(trainOut.weights as Tensor).values].some((v) => v === 0)).toBe(true);
  });

  it('passes gradcheck in query, key, value and the parameters (float64)', () => {
    const m = new MultiheadAttention(4, 2, {
      dtype: 'float64',
      kdim: 3,
      vdim: 2,
      addBiasKv: true,
      addZeroAttn: true,
      generator: new Generator(5),
    });
    const q = f64([3, 2, 4], 11, true);
    const k = f64([2, 2, 3], 12, true);
    const v = f64([2, 2, 2], 13, true);
    const params = m.parameters();
    const f = (a: Tensor, b: Tensor, c: Tensor) => {
      const { output, weights } = m.forward(a, b, c, { averageAttnWeights: false });
      return output.sum().add((weights as Tensor).mul(weights as Tensor).sum());
    };
    expect(gradcheck((a, b, c) => f(a, b, c), [q, k, v, ...params])).toBe(true);
    expect(gradgradcheck((a, b, c) => m.forward(a, b, c).output, [q, k, v])).toBe(true);
  });
});

describe('MultiheadAttention: bad input', () => {
  const mha = new MultiheadAttention(16, 4);
  const x = randn([3, 2, 16]);

  it('names the embedDim mismatch and other shape errors before computing', () => {
    expect(() => mha.forward(randn([3, 2, 8]), x, x)).toThrow(
      'MultiheadAttention: query has embedDim 8 but the module was built with 16 (query shape [3,2,8])',
    );
    expect(() => mha.forward(x, randn([3, 2, 8]), x)).toThrow(
      /key has 8 features but the module was built with kdim 16/,
    );
    expect(() => mha.forward(x, x, randn([4, 2, 16]))).toThrow(/same sequence and batch sizes/);
    expect(() => mha.forward(x, randn([3, 5, 16]), randn([3, 5, 16]))).toThrow(/same batch size/);
    expect(() => mha.forward(randn([16]), x, x)).toThrow(ShapeError);
    expect(() => mha.forward(x, randn([3, 16]), x)).toThrow(/must be 3-D too/);
  });

  it('rejects masks of the wrong shape or dtype', () => {
    expect(() => mha.forward(x, x, x, { attnMask: randn([3, 4]) })).toThrow(
      /attnMask has shape \[3,4\] but should be \[3,3\] or \[8,3,3\]/,
    );
    expect(() => mha.forward(x, x, x, { keyPaddingMask: tensor([[0, 1, 0]], { dtype: 'int32' }) })).toThrow(
      /keyPaddingMask has shape \[1,3\] but should be \[2,3\]/,
    );
    expect(() => mha.forward(x, x, x, { attnMask: randn([3, 3], { dtype: 'float64' }) })).toThrow(DTypeError);
    expect(() => mha.forward(x, x, x, { attnMask: tensor([[2, 0, 0]], { dtype: 'int32' }).expand([3, 3]) })).toThrow(
      /only 0 and 1/,
    );
    expect(() => mha.forward(x.double(), x.double(), x.double())).toThrow(DTypeError);
  });
});

describe('Transformer layers', () => {
  it('register PyTorch submodule names', () => {
    const enc = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(enc.namedChildren().map(([n]) => n)).toEqual([
      'self_attn',
      'linear1',
      'dropout',
      'linear2',
      'norm1',
      'norm2',
      'dropout1',
      'dropout2',
    ]);
    const dec = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    expect(dec.namedChildren().map(([n]) => n)).toEqual([
      'self_attn',
      'multihead_attn',
      'linear1',
      'dropout',
      'linear2',
      'norm1',
      'norm2',
      'norm3',
      'dropout1',
      'dropout2',
      'dropout3',
    ]);
    expect(Object.keys(enc.stateDict())).toContain('self_attn.in_proj_weight');
    expect(enc.linear1.weight.shape).toEqual([16, 8]);
  });

  it('use PyTorch defaults: dimFeedforward 2048, dropout 0.1, eps 1e-5, post-LN', () => {
    const enc = new TransformerEncoderLayer(8, 2);
    expect(enc.linear1.outFeatures).toBe(2048);
    expect(enc.dropout.p).toBe(0.1);
    expect(enc.self_attn.dropout).toBe(0.1);
    expect(enc.norm1.eps).toBe(1e-5);
    expect(enc.normFirst).toBe(false);
    expect(enc.self_attn.batchFirst).toBe(false);
  });

  it('post-LN encoder layer equals its formula', () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 12, dtype: 'float64' }).eval();
    const x = f64([4, 2, 8], 20);
    const sa = layer.self_attn.forward(x, x, x).output;
    const h = layer.norm1.forward(x.add(sa));
    const ff = layer.linear2.forward(layer.linear1.forward(h).relu());
    expectClose(layer.forward(x), layer.norm2.forward(h.add(ff)));
  });

  it('rejects bad sizes and options before computing', () => {
    expect(() => new TransformerEncoderLayer(10, 4)).toThrow(
      'TransformerEncoderLayer: dModel 10 must be divisible by nhead 4',
    );
    expect(() => new TransformerEncoderLayer(8, 2, { activation: 'tanh' as 'relu' })).toThrow(/activation/);
    expect(() => new TransformerDecoderLayer(8, 2, { dropout: -1 })).toThrow(/dropout/);
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 4 });
    expect(() => layer.forward(randn([3, 2, 6]))).toThrow(/TransformerEncoderLayer: src must be/);
    const dec = new TransformerDecoderLayer(8, 2, { dimFeedforward: 4 });
    expect(() => dec.forward(randn([3, 2, 8]), randn([3, 8]))).toThrow(/both be batched/);
  });
});

describe('TransformerEncoder and TransformerDecoder', () => {
  it('hold independent copies of the layer under layers.i, with an optional norm', () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, generator: new Generator(0) });
    const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(8) });
    const names = Object.keys(encoder.stateDict());
    expect(names).toContain('layers.0.self_attn.in_proj_weight');
    expect(names).toContain('layers.1.linear2.bias');
    expect(names).toContain('norm.weight');
    const l0 = encoder.layers.at(0) as TransformerEncoderLayer;
    const l1 = encoder.layers.at(1) as TransformerEncoderLayer;
    expect(l0).not.toBe(layer);
    expect([...l0.linear1.weight.values]).toEqual([...layer.linear1.weight.values]);
    expect(l0.linear1.weight).not.toBe(l1.linear1.weight);
    expect(l0.linear1.weight.values).not.toBe(l1.linear1.weight.values);
    expect(encoder.parameters()).not.toContain(layer.linear1.weight);
  });

  it('does not draw from the caller’s generator when copying', () => {
    manualSeed(7);
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    const before = defaultGenerator().getState();
    new TransformerEncoder(layer, 3);
    expect(defaultGenerator().getState()).toEqual(before);
  });

  it('runs the layers in turn, then the norm', () => {
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dtype: 'float64' });
    const norm = new LayerNorm(8, { dtype: 'float64' });
    const decoder = new TransformerDecoder(layer, 2, { norm }).eval();
    const tgt = f64([3, 2, 8], 30);
    const mem = f64([4, 2, 8], 31);
    let want = tgt;
    for (const l of decoder.layers) want = (l as TransformerDecoderLayer).forward(want, mem);
    expectClose(decoder.forward(tgt, mem), norm.forward(want));
    expect(() => new TransformerEncoder(layer as unknown as TransformerEncoderLayer, 2)).toThrow(
      /must be a TransformerEncoderLayer/,
    );
    expect(() => new TransformerDecoder(layer, 0)).toThrow(/numLayers/);
  });
});
