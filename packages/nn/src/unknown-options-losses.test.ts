// (Continued from unknown-options.test.ts: losses, init, state dicts and safetensors.) Every options object of @nablajs/nn rejects a key it does not know (core's checkOptions), naming the
// function or layer as its other errors do and suggesting the option that was meant.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, ones, randn, tensor, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  F,
  GaussianNLLLoss,
  HingeEmbeddingLoss,
  HuberLoss,
  init,
  KLDivLoss,
  L1Loss,
  Linear,
  loadSafetensors,
  MarginRankingLoss,
  MSELoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  NLLLoss,
  PoissonNLLLoss,
  SmoothL1Loss,
  SoftMarginLoss,
  saveSafetensors,
  summary,
  TripletMarginLoss,
} from './index';
import { loadFile, saveFile } from './safetensors-node';
import { check, o } from './unknown-options-table';

describe('losses reject unknown options', () => {
  const x = randn([2, 3]);
  const p = F.sigmoid(x);
  const labels = tensor([0, 2], { dtype: 'int32' });
  const sign = tensor([1, -1]);
  check([
    ['F.mseLoss', () => F.mseLoss(x, x, o({ reducton: 'sum' })), 'mseLoss', 'reducton', 'reduction'],
    ['F.l1Loss', () => F.l1Loss(x, x, o({ Reduction: 'sum' })), 'l1Loss', 'Reduction', 'reduction'],
    ['F.smoothL1Loss', () => F.smoothL1Loss(x, x, o({ beat: 0.5 })), 'smoothL1Loss', 'beat', 'beta'],
    ['F.huberLoss', () => F.huberLoss(x, x, o({ delat: 1 })), 'huberLoss', 'delat', 'delta'],
    [
      'F.crossEntropy',
      () => F.crossEntropy(x, labels, o({ label_smoothing: 0.1 })),
      'crossEntropy',
      'label_smoothing',
      'labelSmoothing',
    ],
    ['F.nllLoss', () => F.nllLoss(x, labels, o({ ignore_index: -1 })), 'nllLoss', 'ignore_index', 'ignoreIndex'],
    [
      'F.binaryCrossEntropy',
      () => F.binaryCrossEntropy(p, p, o({ weights: x })),
      'binaryCrossEntropy',
      'weights',
      'weight',
    ],
    [
      'F.binaryCrossEntropyWithLogits',
      () => F.binaryCrossEntropyWithLogits(x, p, o({ pos_weight: x })),
      'binaryCrossEntropyWithLogits',
      'pos_weight',
      'posWeight',
    ],
    ['F.klDiv', () => F.klDiv(x, p, o({ log_target: true })), 'klDiv', 'log_target', 'logTarget'],
    [
      'F.cosineEmbeddingLoss',
      () => F.cosineEmbeddingLoss(x, x, sign, o({ margn: 0 })),
      'cosineEmbeddingLoss',
      'margn',
      'margin',
    ],
    [
      'F.hingeEmbeddingLoss',
      () => F.hingeEmbeddingLoss(sign, sign, o({ marjin: 1 })),
      'hingeEmbeddingLoss',
      'marjin',
      'margin',
    ],
    [
      'F.marginRankingLoss',
      () => F.marginRankingLoss(sign, sign, sign, o({ Margin: 1 })),
      'marginRankingLoss',
      'Margin',
      'margin',
    ],
    ['F.gaussianNllLoss', () => F.gaussianNllLoss(x, x, p, o({ ful: true })), 'gaussianNllLoss', 'ful', 'full'],
    [
      'F.multiMarginLoss',
      () => F.multiMarginLoss(x, labels, o({ margins: 1 })),
      'multiMarginLoss',
      'margins',
      'margin',
    ],
    [
      'F.poissonNllLoss',
      () => F.poissonNllLoss(x, p, o({ log_input: false })),
      'poissonNllLoss',
      'log_input',
      'logInput',
    ],
    [
      'F.softMarginLoss',
      () => F.softMarginLoss(x, x, o({ reducton: 'sum' })),
      'softMarginLoss',
      'reducton',
      'reduction',
    ],
    [
      'F.multilabelSoftMarginLoss',
      () => F.multilabelSoftMarginLoss(x, p, o({ weigth: x })),
      'multilabelSoftMarginLoss',
      'weigth',
      'weight',
    ],
    [
      'F.tripletMarginLoss',
      () => F.tripletMarginLoss(x, x, x, o({ swapp: true })),
      'tripletMarginLoss',
      'swapp',
      'swap',
    ],
  ]);

  check([
    ['MSELoss', () => new MSELoss(o({ reducton: 'sum' })), 'MSELoss', 'reducton', 'reduction'],
    ['L1Loss', () => new L1Loss(o({ reducton: 'sum' })), 'L1Loss', 'reducton', 'reduction'],
    ['SmoothL1Loss', () => new SmoothL1Loss(o({ beat: 1 })), 'SmoothL1Loss', 'beat', 'beta'],
    ['HuberLoss', () => new HuberLoss(o({ delat: 1 })), 'HuberLoss', 'delat', 'delta'],
    [
      'CrossEntropyLoss',
      () => new CrossEntropyLoss(o({ label_smoothing: 0.1 })),
      'CrossEntropyLoss',
      'label_smoothing',
      'labelSmoothing',
    ],
    ['NLLLoss', () => new NLLLoss(o({ ignore_index: 0 })), 'NLLLoss', 'ignore_index', 'ignoreIndex'],
    ['BCELoss', () => new BCELoss(o({ pos_weight: x })), 'BCELoss', 'pos_weight', null],
    [
      'BCEWithLogitsLoss',
      () => new BCEWithLogitsLoss(o({ pos_weight: x })),
      'BCEWithLogitsLoss',
      'pos_weight',
      'posWeight',
    ],
    ['KLDivLoss', () => new KLDivLoss(o({ log_target: true })), 'KLDivLoss', 'log_target', 'logTarget'],
    ['CosineEmbeddingLoss', () => new CosineEmbeddingLoss(o({ margn: 0 })), 'CosineEmbeddingLoss', 'margn', 'margin'],
    ['MarginRankingLoss', () => new MarginRankingLoss(o({ margn: 0 })), 'MarginRankingLoss', 'margn', 'margin'],
    ['HingeEmbeddingLoss', () => new HingeEmbeddingLoss(o({ margn: 1 })), 'HingeEmbeddingLoss', 'margn', 'margin'],
    ['PoissonNLLLoss', () => new PoissonNLLLoss(o({ log_input: true })), 'PoissonNLLLoss', 'log_input', 'logInput'],
    ['SoftMarginLoss', () => new SoftMarginLoss(o({ reducton: 'sum' })), 'SoftMarginLoss', 'reducton', 'reduction'],
    [
      'MultiLabelSoftMarginLoss',
      () => new MultiLabelSoftMarginLoss(o({ weigth: x })),
      'MultiLabelSoftMarginLoss',
      'weigth',
      'weight',
    ],
    ['MultiMarginLoss', () => new MultiMarginLoss(o({ P: 2 })), 'MultiMarginLoss', 'P', 'p'],
    ['TripletMarginLoss', () => new TripletMarginLoss(o({ swapp: true })), 'TripletMarginLoss', 'swapp', 'swap'],
    ['GaussianNLLLoss', () => new GaussianNLLLoss(o({ epsilon: 1e-6 })), 'GaussianNLLLoss', 'epsilon', null],
  ]);

  it('accept every option they document', () => {
    const w = ones([3]);
    expect(F.mseLoss(x, x, { reduction: 'sum' }).item()).toBe(0);
    expect(F.smoothL1Loss(x, x, { reduction: 'mean', beta: 0.5 }).item()).toBe(0);
    expect(F.huberLoss(x, x, { delta: 2 }).item()).toBe(0);
    expect(F.crossEntropy(x, labels, { weight: w, ignoreIndex: 1, reduction: 'sum', labelSmoothing: 0.1 }).ndim).toBe(
      0,
    );
    expect(F.nllLoss(x, labels, { weight: w, ignoreIndex: -1, reduction: 'none' }).shape).toEqual([2]);
    expect(F.binaryCrossEntropy(p, p, { weight: x, reduction: 'none' }).shape).toEqual([2, 3]);
    expect(F.binaryCrossEntropyWithLogits(x, p, { weight: x, posWeight: w, reduction: 'sum' }).ndim).toBe(0);
    expect(F.klDiv(x, x, { logTarget: true, reduction: 'batchmean' }).ndim).toBe(0);
    expect(F.cosineEmbeddingLoss(x, x, sign, { margin: 0.1, reduction: 'sum' }).ndim).toBe(0);
    expect(F.gaussianNllLoss(x, x, p, { full: true, eps: 1e-3, reduction: 'sum' }).ndim).toBe(0);
    expect(F.multiMarginLoss(x, labels, { p: 2, margin: 0.5, weight: w, reduction: 'sum' }).ndim).toBe(0);
    expect(F.poissonNllLoss(x, p, { logInput: true, full: true, eps: 1e-6 }).ndim).toBe(0);
    expect(F.multilabelSoftMarginLoss(x, p, { weight: w, reduction: 'none' }).shape).toEqual([2]);
    expect(F.tripletMarginLoss(x, x, x, { margin: 1, p: 1, eps: 1e-6, swap: true }).item()).toBeCloseTo(1);
    expect(new CrossEntropyLoss({ weight: w, ignoreIndex: 0, reduction: 'sum', labelSmoothing: 0.1 }).weight).not.toBe(
      null,
    );
    expect(new BCEWithLogitsLoss({ weight: w, posWeight: w, reduction: 'none' }).reduction).toBe('none');
    expect(new KLDivLoss({ reduction: 'batchmean', logTarget: true }).reduction).toBe('batchmean');
    expect(new TripletMarginLoss({ margin: 2, p: 1, eps: 0, swap: true, reduction: 'sum' }).swap).toBe(true);
    expect(new GaussianNLLLoss({ full: true, eps: 1e-3 }).full).toBe(true);
  });
});

describe('init functions reject unknown options', () => {
  const w = () => zeros([3, 4]);
  check([
    ['uniform', () => init.uniform(w(), 0, 1, o({ generater: null })), 'uniform', 'generater', 'generator'],
    ['normal', () => init.normal(w(), 0, 1, o({ Generator: null })), 'normal', 'Generator', 'generator'],
    ['xavierUniform', () => init.xavierUniform(w(), 1, o({ gain: 2 })), 'xavierUniform', 'gain', null],
    ['xavierNormal', () => init.xavierNormal(w(), 1, o({ generater: null })), 'xavierNormal', 'generater', 'generator'],
    [
      'kaimingUniform',
      () => init.kaimingUniform(w(), o({ non_linearity: 'relu' })),
      'kaimingUniform',
      'non_linearity',
      'nonlinearity',
    ],
    ['kaimingNormal', () => init.kaimingNormal(w(), o({ mod: 'fanOut' })), 'kaimingNormal', 'mod', 'mode'],
    ['truncNormal', () => init.truncNormal(w(), 0, 1, -2, 2, o({ seed: 0 })), 'truncNormal', 'seed', null],
    ['orthogonal', () => init.orthogonal(w(), 1, o({ generater: null })), 'orthogonal', 'generater', 'generator'],
  ]);

  it('accept every option they document, and draw from the given generator', () => {
    const drawn = (f: (t: ReturnType<typeof w>, g: Generator) => unknown) => {
      const t = w();
      f(t, new Generator(3));
      return t.toArray();
    };
    const kaiming = { a: 1, mode: 'fanOut', nonlinearity: 'leakyRelu' } as const;
    expect(drawn((t, generator) => init.kaimingUniform(t, { ...kaiming, generator }))).toEqual(
      drawn((t, generator) => init.kaimingUniform(t, { ...kaiming, generator })),
    );
    expect(drawn((t, generator) => init.kaimingNormal(t, { ...kaiming, generator }))).not.toEqual(w().toArray());
    expect(drawn((t, generator) => init.xavierUniform(t, 1, { generator }))).not.toEqual(w().toArray());
    expect(drawn((t, generator) => init.xavierNormal(t, 1, { generator }))).not.toEqual(w().toArray());
    expect(drawn((t, generator) => init.truncNormal(t, 0, 1, -2, 2, { generator }))).not.toEqual(w().toArray());
    expect(drawn((t, generator) => init.orthogonal(t, 1, { generator }))).not.toEqual(w().toArray());
  });
});

describe('module, state-dict and safetensors functions reject unknown options', () => {
  const bytes = saveSafetensors({ w: ones([2]) });
  const missing = join(tmpdir(), `nabla-unknown-options-${process.pid}.safetensors`);
  check([
    [
      'Module.registerBuffer',
      () => new Linear(2, 3).registerBuffer('b', ones([1]), o({ persistant: false })),
      'Linear.registerBuffer',
      'persistant',
      'persistent',
    ],
    [
      'Module.loadStateDict',
      () => new Linear(2, 3).loadStateDict({}, o({ Strict: false })),
      'Linear.loadStateDict',
      'Strict',
      'strict',
    ],
    [
      'loadSafetensors',
      () => loadSafetensors(bytes, o({ max_entries: 10 })),
      'loadSafetensors',
      'max_entries',
      'maxEntries',
    ],
    [
      'loadFile',
      () => loadFile(missing, o({ keep_half: true })),
      `loadFile(${JSON.stringify(missing)})`,
      'keep_half',
      'keepHalf',
    ],
    ['saveFile', () => saveFile(missing, { w: ones([2]) }, undefined, o({ fss: null })), 'saveFile', 'fss', 'fs'],
    ['summary', () => summary(new Linear(2, 3), [1, 2], o({ dtyp: 'float32' })), 'summary', 'dtyp', 'dtype'],
  ]);

  it('accept every option they document', () => {
    const m = new Linear(2, 3);
    m.registerBuffer('b', ones([1]), { persistent: true, legacyNames: ['old_b'] });
    expect(m.loadStateDict({}, { strict: false }).missingKeys).toEqual(['weight', 'bias', 'b']);
    const { tensors } = loadSafetensors(bytes, { maxHeaderBytes: 1000, maxEntries: 10, keepHalf: true });
    expect(tensors.w.toArray()).toEqual([1, 1]);
    expect(summary(m, [1, 2], { dtype: 'float32' })).toContain('Linear');
  });
});
