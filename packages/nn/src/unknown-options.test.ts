import { Generator, ones, randn, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveMaxPool2d,
  AvgPool1d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  CELU,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  Dropout,
  Embedding,
  F,
  GLU,
  GRU,
  GRUCell,
  GroupNorm,
  Hardtanh,
  InstanceNorm1d,
  InstanceNorm2d,
  LayerNorm,
  Linear,
  LSTM,
  LSTMCell,
  MaxPool1d,
  MaxPool2d,
  MaxUnpool2d,
  MultiheadAttention,
  PReLU,
  RMSNorm,
  RNN,
  RNNCell,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  Upsample,
} from './index';
import { check, o } from './unknown-options-table';

describe('layers reject unknown options', () => {
  const g = () => new Generator(0);
  check([
    ['Linear', () => new Linear(2, 3, o({ bais: false })), 'Linear(2, 3)', 'bais', 'bias'],
    ['Conv2d', () => new Conv2d(1, 2, 3, o({ paddin: 1 })), 'Conv2d(1, 2, kernelSize=3)', 'paddin', 'padding'],
    [
      'Conv1d',
      () => new Conv1d(1, 2, 3, o({ padding_mode: 'reflect' })),
      'Conv1d(1, 2, kernelSize=3)',
      'padding_mode',
      'paddingMode',
    ],
    ['BatchNorm1d', () => new BatchNorm1d(3, o({ moment: 0.2 })), 'BatchNorm1d(3)', 'moment', 'momentum'],
    [
      'BatchNorm2d',
      () => new BatchNorm2d(3, o({ track_running_stats: false })),
      'BatchNorm2d(3)',
      'track_running_stats',
      'trackRunningStats',
    ],
    [
      'LayerNorm',
      () => new LayerNorm(4, o({ elementwise_affine: false })),
      'LayerNorm([4])',
      'elementwise_affine',
      'elementwiseAffine',
    ],
    ['Embedding', () => new Embedding(10, 3, o({ padding_idx: 0 })), 'Embedding(10, 3)', 'padding_idx', 'paddingIdx'],
    [
      'Embedding.fromPretrained',
      () => Embedding.fromPretrained(ones([2, 3]), o({ freze: false })),
      'Embedding.fromPretrained',
      'freze',
      'freeze',
    ],
    ['Dropout', () => new Dropout(0.5, o({ generater: g() })), 'Dropout', 'generater', 'generator'],
    [
      'MaxPool2d',
      () => new MaxPool2d(2, o({ return_indices: true })),
      'MaxPool2d(2)',
      'return_indices',
      'returnIndices',
    ],
    [
      'AvgPool2d',
      () => new AvgPool2d(2, o({ count_include_pad: false })),
      'AvgPool2d(2)',
      'count_include_pad',
      'countIncludePad',
    ],
    ['MaxPool1d', () => new MaxPool1d(2, o({ ceil_mode: true })), 'MaxPool1d(2)', 'ceil_mode', 'ceilMode'],
    ['AvgPool1d', () => new AvgPool1d(2, o({ strid: 1 })), 'AvgPool1d(2)', 'strid', 'stride'],
    [
      'AdaptiveMaxPool2d',
      () => new AdaptiveMaxPool2d(1, o({ return_indices: true })),
      'AdaptiveMaxPool2d',
      'return_indices',
      'returnIndices',
    ],
    ['MaxUnpool2d', () => new MaxUnpool2d(2, o({ paddng: 0 })), 'MaxUnpool2d(2)', 'paddng', 'padding'],
    ['GroupNorm', () => new GroupNorm(2, 4, o({ afine: false })), 'GroupNorm(2, 4)', 'afine', 'affine'],
    ['InstanceNorm1d', () => new InstanceNorm1d(3, o({ Affine: true })), 'InstanceNorm1d(3)', 'Affine', 'affine'],
    ['InstanceNorm2d', () => new InstanceNorm2d(3, o({ momentun: 0.1 })), 'InstanceNorm2d(3)', 'momentun', 'momentum'],
    ['RMSNorm', () => new RMSNorm(4, o({ esp: 1e-6 })), 'RMSNorm([4])', 'esp', 'eps'],
    [
      'ConvTranspose2d',
      () => new ConvTranspose2d(2, 3, 3, o({ output_padding: 1 })),
      'ConvTranspose2d(2, 3, kernelSize=3)',
      'output_padding',
      'outputPadding',
    ],
    [
      'ConvTranspose2d.forward',
      () => new ConvTranspose2d(2, 3, 3).forward(randn([1, 2, 4, 4]), o({ output_size: [6, 6] })),
      'ConvTranspose2d(2, 3, kernelSize=[3,3])',
      'output_size',
      'outputSize',
    ],
    [
      'ConvTranspose1d',
      () => new ConvTranspose1d(2, 3, 3, o({ dilaton: 1 })),
      'ConvTranspose1d(2, 3, kernelSize=3)',
      'dilaton',
      'dilation',
    ],
    [
      'ConvTranspose1d.forward',
      () => new ConvTranspose1d(2, 3, 3).forward(randn([1, 2, 4]), o({ outputsize: [6] })),
      'ConvTranspose1d(2, 3, kernelSize=3)',
      'outputsize',
      'outputSize',
    ],
    ['Upsample', () => new Upsample(o({ scale_factor: 2 })), 'Upsample', 'scale_factor', 'scaleFactor'],
    ['PReLU', () => new PReLU(o({ num_parameters: 3 })), 'PReLU', 'num_parameters', 'numParameters'],
    ['Hardtanh', () => new Hardtanh(o({ min_val: -2 })), 'Hardtanh', 'min_val', 'minVal'],
    ['CELU', () => new CELU(o({ alpah: 2 })), 'CELU', 'alpah', 'alpha'],
    ['GLU', () => new GLU(o({ axis: 1 })), 'GLU', 'axis', null],
  ]);

  it('accept every option they document', () => {
    expect(new Linear(2, 3, { bias: false, dtype: 'float64', generator: g() }).bias).toBeNull();
    const conv = { stride: 1, padding: 1, dilation: 1, groups: 1, bias: true, generator: g() } as const;
    expect(new Conv2d(1, 2, 3, { ...conv, dtype: 'float32', paddingMode: 'reflect' }).paddingMode).toBe('reflect');
    expect(new Conv1d(1, 2, 3, { ...conv, paddingMode: 'circular' }).padding).toBe(1);
    const bn = { eps: 1e-3, momentum: null, affine: false, trackRunningStats: true, dtype: 'float64' } as const;
    expect(new BatchNorm1d(3, bn).eps).toBe(1e-3);
    expect(new BatchNorm2d(3, bn).eps).toBe(1e-3);
    expect(new LayerNorm(4, { eps: 1e-3, elementwiseAffine: true, bias: false, dtype: 'float32' }).bias).toBeNull();
    const emb = new Embedding(10, 3, { paddingIdx: 0, maxNorm: 1, normType: 2, dtype: 'float32', generator: g() });
    expect(emb.paddingIdx).toBe(0);
    const pre = Embedding.fromPretrained(ones([2, 3]), { freeze: false, paddingIdx: 1, maxNorm: null, normType: 1 });
    expect(pre.weight.requiresGrad).toBe(true);
    expect(new Dropout(0.5, { generator: g() }).p).toBe(0.5);
    new MaxPool2d(3, { returnIndices: true, stride: 2, padding: 1, dilation: 1, ceilMode: true });
    new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false, divisorOverride: 2 });
    new MaxPool1d(3, { stride: 2, padding: 1, dilation: 1, returnIndices: true, ceilMode: true });
    new AvgPool1d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
    new AdaptiveMaxPool2d(1, { returnIndices: true });
    new MaxUnpool2d(2, { stride: 2, padding: 0 });
    new GroupNorm(2, 4, { eps: 1e-3, affine: false, dtype: 'float64' });
    const inorm = { eps: 1e-3, momentum: 0.2, affine: true, trackRunningStats: true, dtype: 'float32' } as const;
    new InstanceNorm1d(3, inorm);
    new InstanceNorm2d(3, inorm);
    new RMSNorm(4, { eps: null, elementwiseAffine: false, dtype: 'float64' });
    const ct = { stride: 2, padding: 1, outputPadding: 1, groups: 1, bias: false, dilation: 1, generator: g() };
    expect(new ConvTranspose2d(2, 3, 3, ct).forward(randn([1, 2, 4, 4]), { outputSize: [8, 8] }).shape).toEqual([
      1, 3, 8, 8,
    ]);
    expect(new ConvTranspose1d(2, 3, 3, { ...ct, dtype: 'float32' }).forward(randn([1, 2, 4]), {}).shape).toEqual([
      1, 3, 8,
    ]);
    new Upsample({ size: null, scaleFactor: 2, mode: 'bilinear', alignCorners: true, recomputeScaleFactor: null });
    new PReLU({ numParameters: 3, init: 0.1, dtype: 'float64' });
    new Hardtanh({ minVal: -2, maxVal: 2 });
    new CELU({ alpha: 2 });
    new GLU({ dim: 1 });
  });
});

describe('functional forms reject unknown options', () => {
  const x = randn([1, 2, 5]);
  check([
    [
      'F.convTranspose1d',
      () => F.convTranspose1d(x, randn([2, 3, 3]), null, o({ strides: 2 })),
      'convTranspose1d',
      'strides',
      'stride',
    ],
    ['F.pad', () => F.pad(x, [1, 1], o({ mod: 'reflect' })), 'pad', 'mod', 'mode'],
    [
      'F.embedding',
      () => F.embedding(tensor([0, 1], { dtype: 'int32' }), ones([2, 3]), o({ max_norm: 1 })),
      'embedding',
      'max_norm',
      'maxNorm',
    ],
  ]);

  it('accept every option they document', () => {
    expect(F.convTranspose1d(x, randn([2, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 }).shape).toEqual([
      1, 3, 10,
    ]);
    expect(F.convTranspose1d(x, randn([2, 3, 3]), null, { groups: 1, dilation: 1 }).shape).toEqual([1, 3, 7]);
    expect(F.pad(x, [1, 1], { mode: 'constant', value: 2 }).shape).toEqual([1, 2, 7]);
    const rows = F.embedding(tensor([0, 1], { dtype: 'int32' }), ones([2, 3]), {
      paddingIdx: 0,
      maxNorm: 1,
      normType: 2,
    });
    expect(rows.shape).toEqual([2, 3]);
    expect(F.embedding(tensor([1], { dtype: 'int32' }), ones([2, 3]), 0).shape).toEqual([1, 3]);
  });
});

describe('recurrent layers reject unknown options', () => {
  check([
    ['RNN', () => new RNN(3, 4, o({ num_layers: 2 })), 'RNN', 'num_layers', 'numLayers'],
    ['LSTM', () => new LSTM(3, 4, o({ proj_size: 2 })), 'LSTM', 'proj_size', 'projSize'],
    ['LSTM (an RNN option)', () => new LSTM(3, 4, o({ nonlinearity: 'relu' })), 'LSTM', 'nonlinearity', null],
    ['GRU', () => new GRU(3, 4, o({ batch_first: true })), 'GRU', 'batch_first', 'batchFirst'],
    ['RNNCell', () => new RNNCell(3, 4, o({ nonlinearty: 'relu' })), 'RNNCell', 'nonlinearty', 'nonlinearity'],
    ['LSTMCell', () => new LSTMCell(3, 4, o({ nonlinearity: 'relu' })), 'LSTMCell', 'nonlinearity', null],
    ['GRUCell', () => new GRUCell(3, 4, o({ bais: false })), 'GRUCell', 'bais', 'bias'],
  ]);

  it('accept every option they document', () => {
    const base = { numLayers: 2, bias: false, batchFirst: true, dropout: 0.1, bidirectional: true } as const;
    expect(new RNN(3, 4, { ...base, nonlinearity: 'relu', dtype: 'float64', generator: new Generator(0) }).bias).toBe(
      false,
    );
    expect(new LSTM(3, 4, { ...base, projSize: 2 }).projSize).toBe(2);
    expect(new GRU(3, 4, base).numLayers).toBe(2);
    // PyTorch's message for a projection on RNN or GRU, not an unknown option.
    expect(() => new GRU(3, 4, o({ projSize: 2 }))).toThrow(/GRU: projSize is only supported by LSTM/);
    expect(new RNNCell(3, 4, { nonlinearity: 'relu', bias: false, dtype: 'float64' }).biasIh).toBeNull();
    expect(new LSTMCell(3, 4, { bias: true, generator: new Generator(0) }).biasIh).not.toBeNull();
    expect(new GRUCell(3, 4, { dtype: 'float64' }).dtype).toBe('float64');
  });
});

describe('attention layers reject unknown options', () => {
  const enc = () => new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
  const dec = () => new TransformerDecoderLayer(4, 2, { dimFeedforward: 8 });
  const x = randn([3, 1, 4]);
  check([
    [
      'MultiheadAttention',
      () => new MultiheadAttention(4, 2, o({ batch_first: true })),
      'MultiheadAttention',
      'batch_first',
      'batchFirst',
    ],
    [
      'MultiheadAttention.forward',
      () => new MultiheadAttention(4, 2).forward(x, x, x, o({ need_weights: false })),
      'MultiheadAttention',
      'need_weights',
      'needWeights',
    ],
    [
      'TransformerEncoderLayer',
      () => new TransformerEncoderLayer(4, 2, o({ dim_feedforward: 8 })),
      'TransformerEncoderLayer',
      'dim_feedforward',
      'dimFeedforward',
    ],
    [
      'TransformerEncoderLayer.forward',
      () => enc().forward(x, o({ src_mask: null })),
      'TransformerEncoderLayer',
      'src_mask',
      'srcMask',
    ],
    [
      'TransformerDecoderLayer',
      () => new TransformerDecoderLayer(4, 2, o({ norm_first: true })),
      'TransformerDecoderLayer',
      'norm_first',
      'normFirst',
    ],
    [
      'TransformerDecoderLayer.forward',
      () => dec().forward(x, x, o({ tgt_mask: null })),
      'TransformerDecoderLayer',
      'tgt_mask',
      'tgtMask',
    ],
    [
      'TransformerEncoder',
      () => new TransformerEncoder(enc(), 1, o({ normm: null })),
      'TransformerEncoder',
      'normm',
      'norm',
    ],
    [
      'TransformerEncoder.forward',
      () => new TransformerEncoder(enc(), 1).forward(x, o({ src_key_padding_mask: null })),
      'TransformerEncoder',
      'src_key_padding_mask',
      'srcKeyPaddingMask',
    ],
    [
      'TransformerDecoder',
      () => new TransformerDecoder(dec(), 1, o({ Norm: null })),
      'TransformerDecoder',
      'Norm',
      'norm',
    ],
    [
      'TransformerDecoder.forward',
      () => new TransformerDecoder(dec(), 1).forward(x, x, o({ memory_mask: null })),
      'TransformerDecoder',
      'memory_mask',
      'memoryMask',
    ],
  ]);

  it('accept every option they document', () => {
    const mha = new MultiheadAttention(4, 2, {
      dropout: 0,
      bias: true,
      addBiasKv: false,
      addZeroAttn: false,
      kdim: 4,
      vdim: 4,
      batchFirst: false,
      dtype: 'float32',
      generator: new Generator(0),
    });
    const forward = { keyPaddingMask: null, needWeights: true, attnMask: null, averageAttnWeights: false };
    expect(mha.forward(x, x, x, { ...forward, isCausal: true }).weights?.shape).toEqual([1, 2, 3, 3]);
    const layer = {
      dimFeedforward: 8,
      dropout: 0,
      activation: 'gelu',
      layerNormEps: 1e-5,
      batchFirst: false,
      normFirst: true,
      dtype: 'float32',
      generator: new Generator(0),
    } as const;
    const encoder = new TransformerEncoder(new TransformerEncoderLayer(4, 2, layer), 2, { norm: new LayerNorm(4) });
    expect(encoder.forward(x, { mask: null, srcKeyPaddingMask: null }).shape).toEqual([3, 1, 4]);
    const encoderLayer = new TransformerEncoderLayer(4, 2, layer);
    expect(encoderLayer.forward(x, { srcMask: null, srcKeyPaddingMask: null }).shape).toEqual([3, 1, 4]);
    const decoder = new TransformerDecoder(new TransformerDecoderLayer(4, 2, layer), 2, { norm: null });
    const masks = { tgtMask: null, memoryMask: null, tgtKeyPaddingMask: null, memoryKeyPaddingMask: null };
    expect(decoder.forward(x, x, masks).shape).toEqual([3, 1, 4]);
  });
});
