import { Generator, noGrad, type Tensor, tensor } from '@nablajs/core';
import { BatchNorm1d, Linear, Sequential } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { captureCheckpoint } from './capture-checkpoint';
import { type Checkpoint, CheckpointError } from './checkpoint';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-format';
import { restoreCheckpoint } from './restore-checkpoint';

const LEGACY: Record<string, string> = {
  running_mean: 'runningMean',
  running_var: 'runningVar',
  num_batches_tracked: 'numBatchesTracked',
};

/** The checkpoint as nabla wrote it before BatchNorm took PyTorch's buffer names (`1.runningMean`, ...). */
function withLegacyNames(ckpt: Checkpoint): Checkpoint {
  const rename = (name: string) => name.replace(/[a-z_]+$/, (last) => LEGACY[last] ?? last);
  return {
    ...ckpt,
    signature: ckpt.signature.map((s) => ({ ...s, name: rename(s.name) })),
    model: Object.fromEntries(Object.entries(ckpt.model).map(([k, t]) => [rename(k), t])),
  };
}

function makeModel(seed: number): Sequential {
  return new Sequential(new Linear(3, 2, { generator: new Generator(seed) }), new BatchNorm1d(2));
}

describe('restoreCheckpoint: checkpoints saved under legacy state-dict names', () => {
  it('restores a BatchNorm saved as runningMean, runningVar and numBatchesTracked', () => {
    const model = makeModel(1);
    model.forward(
      tensor([
        [1, 2, 3],
        [0, -1, 2],
        [4, 0, 1],
      ]),
    );
    const old = decodeCheckpoint(
      encodeCheckpoint(withLegacyNames(captureCheckpoint({ model }, { epoch: 1, globalStep: 1 }))),
    );
    expect(old.signature.map((s) => s.name)).toContain('1.runningMean');

    const fresh = makeModel(2);
    restoreCheckpoint(old, { model: fresh });
    const bn = fresh.getSubmodule('1') as BatchNorm1d;
    expect(bn.numBatchesTracked?.item()).toBe(1);
    const x = tensor([[0.5, 1, -1]]);
    model.eval();
    fresh.eval();
    const a = noGrad(() => model.forward(x) as Tensor);
    const b = noGrad(() => fresh.forward(x) as Tensor);
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
  });

  it('still rejects a checkpoint of a different model', () => {
    const ckpt = withLegacyNames(captureCheckpoint({ model: makeModel(1) }, { epoch: 0, globalStep: 0 }));
    const other = new Sequential(new Linear(3, 2), new BatchNorm1d(2, { trackRunningStats: false }));
    expect(() => restoreCheckpoint(ckpt, { model: other })).toThrow(CheckpointError);
    expect(() => restoreCheckpoint(ckpt, { model: other })).toThrow(/the model lacks "1.runningMean"/);
  });
});
