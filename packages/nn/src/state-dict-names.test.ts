import { readFileSync } from 'node:fs';
import { noGrad, ones, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d } from './layers/batch-norm';
import { Conv2d } from './layers/conv';
import { Linear } from './layers/linear';
import { BCEWithLogitsLoss } from './losses/modules';
import { Module } from './module';
import { expectParity, fromParity, loadParityFixture, type StateDictCase } from './parity-fixture';
import { Sequential } from './sequential';
import { StateDictError } from './state-dict-error';

const fixture = loadParityFixture(readFileSync);
const f64 = (values: number[]) => tensor(values, { dtype: 'float64' });

/** The nabla module of a fixture case, layer for layer. */
function build(c: StateDictCase): Module {
  const dtype = 'float64';
  if (c.id === 'batch_norm1d') return new BatchNorm1d(3, { dtype });
  if (c.id === 'batch_norm1d_ncl_cumulative') return new BatchNorm1d(2, { momentum: null, dtype });
  if (c.id === 'conv_batch_norm2d')
    return new Sequential(new Conv2d(2, 3, 3, { padding: 1, dtype }), new BatchNorm2d(3, { dtype }));
  if (c.kind === 'bce_with_logits')
    return new BCEWithLogitsLoss({
      weight: zeros([3], { dtype }),
      posWeight: zeros([3], { dtype }),
      reduction: c.reduction,
    });
  throw new Error(`unknown case ${c.id}`);
}

function torchStateDict(c: StateDictCase): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(c.state_dict).map(([k, t]) => [k, fromParity(t)]));
}

describe("state dicts saved by PyTorch load strictly (test/fixtures/nn-parity.json, PyTorch's key names)", () => {
  it('names BatchNorm and BCEWithLogitsLoss buffers as PyTorch does, in the same order', () => {
    for (const c of fixture.state_dicts)
      expect(Object.keys(build(c).stateDict()), c.id).toEqual(Object.keys(c.state_dict));
    expect(new BatchNorm2d(2).namedBuffers().map(([n]) => n)).toEqual([
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(Object.keys(new BatchNorm1d(2, { affine: false }).stateDict())).toEqual([
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(Object.keys(new BatchNorm1d(2, { trackRunningStats: false }).stateDict())).toEqual(['weight', 'bias']);
  });

  for (const c of fixture.state_dicts.filter((s) => s.kind === 'batchnorm'))
    it(`${c.id}: gives PyTorch's eval output, then its train output and running statistics`, () => {
      const model = build(c);
      expect(model.loadStateDict(torchStateDict(c))).toEqual({ missingKeys: [], unexpectedKeys: [] });
      const x = fromParity(c.x);
      expectParity(
        noGrad(() => model.eval().forward(x) as Tensor),
        c.eval_out,
        `${c.id} eval`,
      );
      expectParity(
        noGrad(() => model.train().forward(x) as Tensor),
        c.train_out as StateDictCase['eval_out'],
        `${c.id} train`,
      );
      const after = model.stateDict();
      for (const [name, want] of Object.entries(c.state_after ?? {}))
        expectParity(after[name], want, `${c.id} ${name}`);
      expect(after[Object.keys(c.state_after ?? {}).find((k) => k.endsWith('num_batches_tracked')) ?? ''].item()).toBe(
        6,
      );
    });

  for (const c of fixture.state_dicts.filter((s) => s.kind === 'bce_with_logits'))
    it(`${c.id}: loads weight and pos_weight and gives PyTorch's loss`, () => {
      const criterion = build(c) as BCEWithLogitsLoss;
      expect(criterion.loadStateDict(torchStateDict(c))).toEqual({ missingKeys: [], unexpectedKeys: [] });
      expectParity(criterion.eval().forward(fromParity(c.x), fromParity(c.y as StateDictCase['x'])), c.eval_out, c.id);
    });
});

describe('legacy camelCase state-dict names (saved by nabla before it took PyTorch names)', () => {
  /** A state dict as nabla saved it before: the BatchNorm buffers in camelCase. */
  function legacyStateDict(bn: BatchNorm1d, prefix = ''): Record<string, Tensor> {
    const sd = bn.stateDict();
    return {
      [`${prefix}weight`]: sd.weight,
      [`${prefix}bias`]: sd.bias,
      [`${prefix}runningMean`]: f64([0.5, -1]),
      [`${prefix}runningVar`]: f64([2, 3]),
      [`${prefix}numBatchesTracked`]: tensor(7, { dtype: 'int32' }),
    };
  }

  it('loads runningMean, runningVar and numBatchesTracked into the BatchNorm buffers, strictly', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64' });
    expect(bn.loadStateDict(legacyStateDict(bn))).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(bn.runningMean?.values ?? [])).toEqual([0.5, -1]);
    expect(Array.from(bn.runningVar?.values ?? [])).toEqual([2, 3]);
    expect(bn.numBatchesTracked?.item()).toBe(7);
    expect(Object.keys(bn.stateDict())).toEqual([
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
  });

  it('resolves legacy names under a dotted prefix (a BatchNorm inside a Sequential)', () => {
    const model = new Sequential(new Linear(2, 2, { dtype: 'float64' }), new BatchNorm1d(2, { dtype: 'float64' }));
    const bn = model.getSubmodule('1') as BatchNorm1d;
    const sd = { ...model.stateDict() };
    for (const k of ['1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']) delete sd[k];
    Object.assign(sd, legacyStateDict(bn, '1.'));
    expect(model.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(bn.runningVar?.values ?? [])).toEqual([2, 3]);
  });

  it('prefers the current name when both are given, and reports the legacy one as unexpected', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64' });
    const sd = { ...bn.stateDict(), running_mean: f64([1, 1]), runningMean: f64([9, 9]) };
    expect(() => bn.loadStateDict(sd)).toThrow(StateDictError);
    expect(() => bn.loadStateDict(sd)).toThrow(/unexpected.*runningMean/);
    expect(bn.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: [], unexpectedKeys: ['runningMean'] });
    expect(Array.from(bn.runningMean?.values ?? [])).toEqual([1, 1]);
  });

  it('still checks shapes under the legacy name', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64' });
    const sd = { ...legacyStateDict(bn), runningVar: f64([1, 2, 3]) };
    expect(() => bn.loadStateDict(sd, { strict: false })).toThrow(/runningVar/);
  });

  it("loads BCEWithLogitsLoss's posWeight as pos_weight", () => {
    const criterion = new BCEWithLogitsLoss({ posWeight: f64([1, 1]) });
    expect(criterion.loadStateDict({ posWeight: f64([3, 4]) })).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(criterion.posWeight?.values ?? [])).toEqual([3, 4]);
    expect(Object.keys(criterion.stateDict())).toEqual(['pos_weight']);
  });

  it('accepts legacy names registered by any module, and checks them', () => {
    class Scaled extends Module {
      readonly scale = this.registerBuffer('scale', ones([2]), { legacyNames: ['oldScale', 'older'] });
      forward(x: Tensor): Tensor {
        return x.mul(this.scale);
      }
    }
    const m = new Scaled();
    m.loadStateDict({ older: tensor([2, 3]) });
    expect(Array.from(m.scale.values)).toEqual([2, 3]);
    // Registering the buffer again without legacy names drops them.
    m.registerBuffer('scale', ones([2]));
    expect(m.loadStateDict({ oldScale: tensor([2, 3]) }, { strict: false }).unexpectedKeys).toEqual(['oldScale']);
    expect(() => m.registerBuffer('s', ones([1]), { legacyNames: ['a.b'] })).toThrow(ValueError);
    expect(() => m.registerBuffer('s', ones([1]), { legacyNames: ['s'] })).toThrow(
      /Scaled.registerBuffer: legacyNames of "s" must be non-empty names without "." other than the name itself, got "s"/,
    );
  });
});
