import { Generator, logSoftmax, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Module } from '../module';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits } from './binary-cross-entropy';
import { cosineEmbeddingLoss } from './cosine-embedding-loss';
import { crossEntropy, nllLoss } from './cross-entropy';
import { hingeEmbeddingLoss } from './hinge-embedding-loss';
import { klDiv } from './kl-div';
import { l1Loss } from './l1-loss';
import { marginRankingLoss } from './margin-ranking-loss';
import {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  HingeEmbeddingLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MarginRankingLoss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
} from './modules';
import { mseLoss } from './mse-loss';
import { huberLoss, smoothL1Loss } from './smooth-l1-loss';
import { expectValues, intTensor, randomTensor, uniformTensor } from './test-utils';

const gen = new Generator(91);
const f64 = (values: number[]) => tensor(values, { dtype: 'float64' });
const same = (a: Tensor, b: Tensor) => expectValues(a, Array.from(b.data), 0, [...b.shape]);

describe('loss modules', () => {
  const x = randomTensor([4, 3], gen);
  const y = randomTensor([4, 3], gen);
  const probs = uniformTensor([4, 3], gen, 0.05, 0.95);
  const soft = uniformTensor([4, 3], gen, 0, 1);
  const labels = intTensor([4], [2, 0, -100, 1]);
  const signs = f64([1, -1, -1, 1]);

  it('call their loss function with the options given to the constructor', () => {
    same(new MSELoss().forward(x, y), mseLoss(x, y));
    same(new MSELoss({ reduction: 'none' }).forward(x, y), mseLoss(x, y, { reduction: 'none' }));
    same(new L1Loss({ reduction: 'sum' }).forward(x, y), l1Loss(x, y, { reduction: 'sum' }));
    same(new SmoothL1Loss({ beta: 0.3 }).forward(x, y), smoothL1Loss(x, y, { beta: 0.3 }));
    same(
      new HuberLoss({ delta: 0.3, reduction: 'none' }).forward(x, y),
      huberLoss(x, y, { delta: 0.3, reduction: 'none' }),
    );
    const w = f64([1, 2, 0.5]);
    same(
      new CrossEntropyLoss({ weight: w, labelSmoothing: 0.1, ignoreIndex: 1 }).forward(x, intTensor([4], [2, 0, 1, 1])),
      crossEntropy(x, intTensor([4], [2, 0, 1, 1]), { weight: w, labelSmoothing: 0.1, ignoreIndex: 1 }),
    );
    same(new CrossEntropyLoss().forward(x, labels), crossEntropy(x, labels));
    same(
      new NLLLoss({ weight: w }).forward(logSoftmax(x, 1), labels),
      nllLoss(logSoftmax(x, 1), labels, { weight: w }),
    );
    same(new BCELoss({ weight: w }).forward(probs, soft), binaryCrossEntropy(probs, soft, { weight: w }));
    same(
      new BCEWithLogitsLoss({ posWeight: f64([2, 1, 3]), reduction: 'sum' }).forward(x, soft),
      binaryCrossEntropyWithLogits(x, soft, { posWeight: f64([2, 1, 3]), reduction: 'sum' }),
    );
    same(
      new KLDivLoss({ reduction: 'batchmean' }).forward(logSoftmax(x, 1), probs),
      klDiv(logSoftmax(x, 1), probs, { reduction: 'batchmean' }),
    );
    same(new KLDivLoss({ logTarget: true }).forward(x, y), klDiv(x, y, { logTarget: true }));
    same(
      new CosineEmbeddingLoss({ margin: 0.2 }).forward(x, y, signs),
      cosineEmbeddingLoss(x, y, signs, { margin: 0.2 }),
    );
    const s = randomTensor([4], gen);
    const t = randomTensor([4], gen);
    same(new MarginRankingLoss({ margin: 1 }).forward(s, t, signs), marginRankingLoss(s, t, signs, { margin: 1 }));
    same(new HingeEmbeddingLoss({ margin: 2 }).forward(s, signs), hingeEmbeddingLoss(s, signs, { margin: 2 }));
  });

  it('are Modules without parameters, and print their settings', () => {
    const ce = new CrossEntropyLoss({ labelSmoothing: 0.1 });
    expect(ce).toBeInstanceOf(Module);
    expect(ce.parameters()).toEqual([]);
    expect(String(ce)).toBe("CrossEntropyLoss(ignoreIndex=-100, labelSmoothing=0.1, reduction='mean')");
    expect(String(new MSELoss({ reduction: 'sum' }))).toBe("MSELoss(reduction='sum')");
    expect(String(new HuberLoss({ delta: 2 }))).toBe("HuberLoss(delta=2, reduction='mean')");
    expect(String(new KLDivLoss({ reduction: 'batchmean' }))).toBe("KLDivLoss(reduction='batchmean', logTarget=false)");
  });

  it('keep class weights as copied buffers that appear in the state dict', () => {
    const w = f64([1, 2, 3]);
    const ce = new CrossEntropyLoss({ weight: w });
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    expect(Object.keys(new CrossEntropyLoss().stateDict())).toEqual([]);
    expect(Object.keys(new BCEWithLogitsLoss({ posWeight: f64([2]) }).stateDict())).toEqual(['pos_weight']);
    w.data[0] = 100; // the module holds its own copy
    expect(Array.from((ce.weight as Tensor).data)).toEqual([1, 2, 3]);
    ce.loadStateDict({ weight: f64([4, 5, 6]) });
    expect(Array.from((ce.weight as Tensor).data)).toEqual([4, 5, 6]);
    same(ce.forward(x, labels), crossEntropy(x, labels, { weight: f64([4, 5, 6]) }));
  });

  it('support forward hooks', () => {
    const mse = new MSELoss();
    const seen: number[] = [];
    const remove = mse.registerForwardHook((_m, _inputs, out) => {
      seen.push(out.item());
      return undefined;
    });
    const loss = mse.forward(x, y);
    remove();
    mse.forward(x, y);
    expect(seen).toEqual([loss.item()]);
  });

  it('validate their options at construction, naming the class', () => {
    expect(() => new MSELoss({ reduction: 'avg' as never })).toThrow(ValueError);
    expect(() => new MSELoss({ reduction: 'avg' as never })).toThrow(/MSELoss: reduction must be/);
    expect(() => new L1Loss({ reduction: 'batchmean' as never })).toThrow(/L1Loss: reduction/);
    expect(() => new SmoothL1Loss({ beta: -1 })).toThrow('SmoothL1Loss: beta must be >= 0, got -1');
    expect(() => new HuberLoss({ delta: 0 })).toThrow('HuberLoss: delta must be a finite number > 0, got 0');
    expect(() => new CrossEntropyLoss({ labelSmoothing: 2 })).toThrow(
      'CrossEntropyLoss: labelSmoothing must be in [0, 1], got 2',
    );
    expect(() => new CrossEntropyLoss({ weight: intTensor([2], [1, 2]) })).toThrow(
      /CrossEntropyLoss: weight must be a float/,
    );
    expect(() => new NLLLoss({ reduction: 'x' as never })).toThrow(/NLLLoss: reduction/);
    expect(() => new BCELoss({ reduction: 'x' as never })).toThrow(/BCELoss: reduction/);
    expect(() => new BCEWithLogitsLoss({ posWeight: 3 as never })).toThrow(
      /BCEWithLogitsLoss: posWeight must be a Tensor/,
    );
    expect(() => new KLDivLoss({ reduction: 'x' as never })).toThrow(
      /KLDivLoss: reduction must be 'mean', 'batchmean'/,
    );
    expect(() => new CosineEmbeddingLoss({ margin: Number.NaN })).toThrow(/CosineEmbeddingLoss: margin/);
    expect(() => new MarginRankingLoss({ margin: Number.NaN })).toThrow(/MarginRankingLoss: margin/);
    expect(() => new HingeEmbeddingLoss({ reduction: 'x' as never })).toThrow(/HingeEmbeddingLoss: reduction/);
  });

  it('report bad input through the loss function', () => {
    expect(() => new MSELoss().forward(randomTensor([4, 3], gen), randomTensor([4, 2], gen))).toThrow(
      /mseLoss: input has shape \[4,3\] but target has shape \[4,2\]/,
    );
    expect(() => new CrossEntropyLoss().forward(x, intTensor([4], [0, 1, 2, 7]))).toThrow(
      /crossEntropy: target 7 is out of range for 3 classes/,
    );
  });
});
