import { gradients, type Tensor } from '@nablajs/core';
import {
  F,
  LayerNorm,
  type Module,
  MultiheadAttention,
  type MultiheadAttentionOptions,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerLayerOptions,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture, type Tolerance } from './helpers/fixtures';

// PyTorch 1.13.1 reference values for attention (see test/fixtures/README-nn-attention.md): scaled
// dot-product attention (reference written in the generator from its definition, since 1.13 lacks
// F.scaled_dot_product_attention), MultiheadAttention and the Transformer layers in eval mode: forward
// values, and the gradients of the inputs and of every parameter (loaded by PyTorch's state-dict names).

type Kind = 'sdpa' | 'mha' | 'encoder_layer' | 'decoder_layer' | 'encoder' | 'decoder' | 'transformer';

interface Case {
  id: string;
  kind: Kind;
  dtype: 'float64' | 'float32';
  options: Record<string, unknown>;
  forward_options: Record<string, unknown>;
  state_dict: Record<string, FixtureTensor>;
  inputs: Record<string, FixtureTensor>;
  masks: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  upstream: Record<string, FixtureTensor>;
  grads: { inputs: Record<string, FixtureTensor>; params: Record<string, FixtureTensor> };
}

const fixture = loadFixture<{ torch_version: string; cases: Case[] }>('nn-attention.json');

function tolerance(dtype: Case['dtype']): Tolerance {
  return { rel: dtype === 'float32' ? 1e-5 : 1e-10 };
}

function layerOptions(c: Case): TransformerLayerOptions {
  const o = c.options;
  return {
    dimFeedforward: o.dimFeedforward as number,
    dropout: (o.dropout as number | undefined) ?? 0.1,
    activation: (o.activation as 'relu' | 'gelu' | undefined) ?? 'relu',
    layerNormEps: (o.layerNormEps as number | undefined) ?? 1e-5,
    batchFirst: (o.batchFirst as boolean | undefined) ?? false,
    normFirst: (o.normFirst as boolean | undefined) ?? false,
    dtype: c.dtype,
  };
}

/** Build the nabla module of a case, with PyTorch's weights loaded by state-dict name, in eval mode. */
function buildModule(c: Case): Module {
  const o = c.options;
  let m: Module;
  if (c.kind === 'mha') {
    const { embedDim, numHeads, ...rest } = o as unknown as {
      embedDim: number;
      numHeads: number;
    } & MultiheadAttentionOptions;
    m = new MultiheadAttention(embedDim, numHeads, { ...rest, dtype: c.dtype });
  } else if (c.kind === 'encoder_layer')
    m = new TransformerEncoderLayer(o.dModel as number, o.nhead as number, layerOptions(c));
  else if (c.kind === 'decoder_layer')
    m = new TransformerDecoderLayer(o.dModel as number, o.nhead as number, layerOptions(c));
  else if (c.kind === 'decoder') {
    const layer = new TransformerDecoderLayer(o.dModel as number, o.nhead as number, layerOptions(c));
    const norm = o.norm ? new LayerNorm(o.dModel as number, { dtype: c.dtype }) : null;
    m = new TransformerDecoder(layer, o.numLayers as number, { norm });
  } else if (c.kind === 'transformer')
    m = new Transformer(o.dModel as number, o.nhead as number, {
      ...layerOptions(c),
      numEncoderLayers: o.numEncoderLayers as number,
      numDecoderLayers: o.numDecoderLayers as number,
    });
  else {
    const layer = new TransformerEncoderLayer(o.dModel as number, o.nhead as number, layerOptions(c));
    const norm = o.norm ? new LayerNorm(o.dModel as number, { dtype: c.dtype }) : null;
    m = new TransformerEncoder(layer, o.numLayers as number, { norm });
  }
  const state: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(c.state_dict)) state[name] = fromFixture(t);
  m.loadStateDict(state); // strict: every PyTorch key exists in nabla and vice versa
  return m.eval();
}

function run(
  c: Case,
  m: Module | null,
  x: Record<string, Tensor>,
  masks: Record<string, Tensor>,
): Record<string, Tensor> {
  switch (c.kind) {
    case 'sdpa':
      return {
        output: F.scaledDotProductAttention(x.q, x.k, x.v, {
          ...(c.options as { isCausal: boolean; scale?: number }),
          attnMask: x.attnMask ?? masks.attnMask ?? null,
        }),
      };
    case 'mha': {
      const { output, weights } = (m as MultiheadAttention).forward(x.query, x.key, x.value, {
        ...c.forward_options,
        keyPaddingMask: masks.keyPaddingMask ?? null,
        attnMask: masks.attnMask ?? null,
      });
      return weights === null ? { output } : { output, weights };
    }
    case 'encoder_layer':
      return { output: (m as TransformerEncoderLayer).forward(x.src, masks) };
    case 'decoder_layer':
      return { output: (m as TransformerDecoderLayer).forward(x.tgt, x.memory, masks) };
    case 'encoder':
      return { output: (m as TransformerEncoder).forward(x.src, masks) };
    case 'decoder':
      return { output: (m as TransformerDecoder).forward(x.tgt, x.memory, masks) };
    case 'transformer':
      return { output: (m as Transformer).forward(x.src, x.tgt, masks) };
  }
}

describe('golden nn attention fixture', () => {
  it('was generated by PyTorch 1.13 and covers every kind', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    const kinds = new Set(fixture.cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual([
      'decoder',
      'decoder_layer',
      'encoder',
      'encoder_layer',
      'mha',
      'sdpa',
      'transformer',
    ]);
    expect(fixture.cases.some((c) => c.dtype === 'float32')).toBe(true);
  });
});

describe('golden nn attention: forward and gradients vs PyTorch 1.13', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      const tol = tolerance(c.dtype);
      const m = c.kind === 'sdpa' ? null : buildModule(c);
      const inputs: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(c.inputs)) inputs[name] = fromFixture(t, { requiresGrad: true });
      const masks: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(c.masks)) masks[name] = fromFixture(t);

      const outs = run(c, m, inputs, masks);
      expect(Object.keys(outs).sort(), 'outputs').toEqual(Object.keys(c.outputs).sort());
      for (const [name, want] of Object.entries(c.outputs)) {
        expect(outs[name].dtype).toBe(c.dtype);
        closeTo(outs[name], want, tol, `${c.id} ${name}`);
      }

      const params = m === null ? [] : m.namedParameters();
      expect(params.map(([n]) => n).sort(), 'parameter names').toEqual(Object.keys(c.grads.params).sort());
      const inputNames = Object.keys(c.grads.inputs);
      const wrt = [...inputNames.map((n) => inputs[n]), ...params.map(([, p]) => p)];
      const names = Object.keys(outs);
      const grads = gradients(
        names.map((n) => outs[n]),
        wrt,
        names.map((n) => fromFixture(c.upstream[n])),
        { allowUnused: true },
      );
      inputNames.forEach((name, i) => {
        closeTo(grads[i] as Tensor, c.grads.inputs[name], tol, `${c.id} grad ${name}`);
      });
      params.forEach(([name], j) => {
        const g = grads[inputNames.length + j];
        expect(g, `${c.id} grad ${name}`).not.toBeNull();
        closeTo(g as Tensor, c.grads.params[name], tol, `${c.id} grad ${name}`);
      });
    });
  }
});
