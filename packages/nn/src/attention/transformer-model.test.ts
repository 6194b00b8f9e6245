import { Generator, gradcheck, randn, ShapeError, type Tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Module } from '../module';
import {
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from './transformer';
import { Transformer } from './transformer-model';

const small = (generator = new Generator(7)) =>
  new Transformer(8, 2, { numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 16, generator });

describe('Transformer', () => {
  it('builds the two stacks with final norms and re-draws every matrix from Xavier uniform, as PyTorch does', () => {
    const model = small();
    expect(model.encoder).toBeInstanceOf(TransformerEncoder);
    expect(model.decoder).toBeInstanceOf(TransformerDecoder);
    const named = new Map(model.namedParameters());
    expect(named.has('encoder.norm.weight') && named.has('decoder.norm.bias')).toBe(true);
    expect([...named.keys()].filter((n) => n.startsWith('encoder.layers.')).length).toBe(2 * 12);
    for (const [name, p] of named) {
      if (p.ndim < 2) continue;
      const [fanOut, fanIn] = p.shape;
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      const values = Array.from(p.values);
      expect(
        values.every((v) => Math.abs(v) <= bound),
        name,
      ).toBe(true);
      // a uniform draw fills the range: its largest magnitude is near the bound (not a layer's own, smaller init)
      expect(Math.max(...values.map(Math.abs)), name).toBeGreaterThan(0.8 * bound);
    }
    // the copies of one layer were re-drawn one by one, so they differ
    expect(Array.from(named.get('encoder.layers.0.linear1.weight')?.values ?? [])).not.toEqual(
      Array.from(named.get('encoder.layers.1.linear1.weight')?.values ?? []),
    );
    // the attention's input bias stays 0 and the norms at 1 and 0, as in PyTorch
    expect(Array.from(named.get('decoder.layers.0.self_attn.in_proj_bias')?.values ?? []).every((v) => v === 0)).toBe(
      true,
    );
    expect(Array.from(named.get('encoder.norm.weight')?.values ?? []).every((v) => v === 1)).toBe(true);
  });

  it('is reproducible from its generator', () => {
    const a = small(new Generator(3)).stateDict();
    const b = small(new Generator(3)).stateDict();
    for (const [name, t] of Object.entries(a)) expect(Array.from(t.values), name).toEqual(Array.from(b[name].values));
  });

  it('encodes src and decodes tgt against it: the same as running its encoder and decoder', () => {
    const model = small().eval();
    const src = randn([5, 3, 8], { generator: new Generator(1) });
    const tgt = randn([4, 3, 8], { generator: new Generator(2) });
    const tgtMask = Transformer.generateSquareSubsequentMask(4);
    const out = model.forward(src, tgt, { tgtMask });
    expect(out.shape).toEqual([4, 3, 8]);
    const memory = (model.encoder as TransformerEncoder).forward(src);
    const expected = (model.decoder as TransformerDecoder).forward(tgt, memory, { tgtMask });
    expect(Array.from(out.values)).toEqual(Array.from(expected.values));
    // the causal mask: changing the last target position leaves the earlier outputs as they were
    const tgt2 = tgt.clone();
    tgt2.values.fill(5, 3 * 3 * 8);
    tgt2.markModified();
    const out2 = model.forward(src, tgt2, { tgtMask });
    expect(Array.from(out2.values.slice(0, 3 * 3 * 8))).toEqual(Array.from(out.values.slice(0, 3 * 3 * 8)));
    expect(Array.from(out2.values.slice(3 * 3 * 8))).not.toEqual(Array.from(out.values.slice(3 * 3 * 8)));
  });

  it('has gradients in src and tgt that match finite differences (float64, batch first, unbatched too)', () => {
    const model = new Transformer(4, 2, {
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 6,
      batchFirst: true,
      dtype: 'float64',
      generator: new Generator(4),
    }).eval();
    const src = randn([2, 3, 4], { dtype: 'float64', generator: new Generator(5), requiresGrad: true });
    const tgt = randn([2, 2, 4], { dtype: 'float64', generator: new Generator(6), requiresGrad: true });
    expect(gradcheck((s: Tensor, t: Tensor) => model.forward(s, t).tanh(), [src, tgt])).toBe(true);
    const s1 = randn([3, 4], { dtype: 'float64', generator: new Generator(7), requiresGrad: true });
    const t1 = randn([2, 4], { dtype: 'float64', generator: new Generator(8), requiresGrad: true });
    expect(model.forward(s1, t1).shape).toEqual([2, 4]);
    expect(gradcheck((s: Tensor, t: Tensor) => model.forward(s, t).tanh(), [s1, t1])).toBe(true);
  });

  it('takes a custom encoder and decoder, and re-draws their matrices too', () => {
    class Identity extends Module {
      forward(src: Tensor): Tensor {
        return src;
      }
    }
    const decoder = new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 1);
    const before = Array.from(decoder.parameters()[0].values);
    const model = new Transformer(8, 2, { customEncoder: new Identity(), customDecoder: decoder });
    expect(model.decoder).toBe(decoder);
    expect(model.namedParameters().every(([n]) => n.startsWith('decoder.'))).toBe(true);
    expect(Array.from(decoder.parameters()[0].values)).not.toEqual(before);
    const src = randn([5, 2, 8]);
    const tgt = randn([3, 2, 8]);
    const out = model.eval().forward(src, tgt);
    expect(Array.from(out.values)).toEqual(Array.from(decoder.forward(tgt, src).values));
  });

  it('refuses bad arguments with errors that name them', () => {
    expect(() => new Transformer(8, 3)).toThrow(/dModel 8 must be divisible by nhead 3/);
    expect(() => new Transformer(8, 2, { numEncoderLayers: 0 })).toThrow(/Transformer: numEncoderLayers/);
    expect(() => new Transformer(8, 2, { customDecoder: {} as Module })).toThrow(
      /Transformer: customDecoder must be a Module or null/,
    );
    expect(() => new Transformer(8, 2, { layers: 2 } as never)).toThrow(/Transformer/);
    const model = small();
    expect(() => model.forward(zeros([5, 2, 8]), zeros([4, 3, 8]))).toThrow(ShapeError);
    expect(() => model.forward(zeros([5, 2, 8]), zeros([4, 3, 8]))).toThrow(
      /Transformer.forward: src and tgt must have the same batch size \(axis 1\), got 2 and 3/,
    );
    expect(() => model.forward(zeros([5, 2, 6]), zeros([4, 2, 8]))).toThrow(/Transformer.forward: src must be/);
    expect(() => model.forward(zeros([5, 8]), zeros([4, 2, 8]))).toThrow(/both be batched/);
    expect(() => model.forward(zeros([5, 2, 8]), zeros([4, 2, 8]), { mask: null } as never)).toThrow(
      /Transformer.forward/,
    );
  });

  it("TransformerEncoder takes PyTorch's enableNestedTensor and maskCheck flags, which change nothing", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, generator: new Generator(3) });
    const plain = new TransformerEncoder(layer, 2).eval();
    const flagged = new TransformerEncoder(layer, 2, { enableNestedTensor: true, maskCheck: false }).eval();
    const src = randn([5, 2, 8], { generator: new Generator(4) });
    const pad = zeros([2, 5], { dtype: 'int32' });
    pad.values[4] = 1; // the last position of the first sequence is padding
    pad.markModified();
    const a = plain.forward(src, { srcKeyPaddingMask: pad });
    const b = flagged.forward(src, { srcKeyPaddingMask: pad });
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
    // the padded position is computed, not zeroed as PyTorch's nested-tensor path would
    expect(Array.from(b.values.subarray(4 * 16, 4 * 16 + 8)).some((v) => v !== 0)).toBe(true);
    expect(() => new TransformerEncoder(layer, 2, { enableNestedTensor: 'no' } as never)).toThrow(
      'TransformerEncoder: options.enableNestedTensor must be a boolean, got no',
    );
    expect(() => new TransformerEncoder(layer, 2, { enable_nested_tensor: false } as never)).toThrow(
      /TransformerEncoder.*enable_nested_tensor/,
    );
  });

  it('generateSquareSubsequentMask: -Infinity above the diagonal, 0 elsewhere', () => {
    const m = Transformer.generateSquareSubsequentMask(3, { dtype: 'float64' });
    expect(m.dtype).toBe('float64');
    expect(m.toArray()).toEqual([
      [0, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      [0, 0, Number.NEGATIVE_INFINITY],
      [0, 0, 0],
    ]);
    expect(Transformer.generateSquareSubsequentMask(0).shape).toEqual([0, 0]);
    expect(() => Transformer.generateSquareSubsequentMask(-1)).toThrow(/generateSquareSubsequentMask: size/);
    expect(() => Transformer.generateSquareSubsequentMask(2, { dtype: 'int32' })).toThrow(ValueError);
  });

  it('its encoder layers are the TransformerEncoderLayer of the options', () => {
    const model = new Transformer(8, 2, {
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      normFirst: true,
      batchFirst: true,
    });
    const layer = (model.encoder as TransformerEncoder).layers.at(0) as TransformerEncoderLayer;
    expect(layer).toBeInstanceOf(TransformerEncoderLayer);
    expect(model.batchFirst).toBe(true);
    expect(model.toString()).toContain('dModel=8, nhead=2, batchFirst=true');
  });
});
