// Stochastic weight averaging against PyTorch 1.13's torch.optim.swa_utils (test/fixtures/optim-swa.json, from
// scripts/fixtures/make_optim_swa_fixture.py): swaLR's learning rates (SWALR: both strategies, annealEpochs
// 0/1/3/10, per-group and shared swaLr, a state round trip, after cosine annealing and inside sequentialLR),
// swaWeights' averages (AveragedModel, bit for bit on PyTorch's iterates, and along nabla's own SGD run), and
// updateBn's running statistics (update_bn on a model with BatchNorm2d and BatchNorm1d).
import { type Tensor, tensor } from '@nablajs/core';
import { BatchNorm1d, BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential, updateBn } from '@nablajs/nn';
import { cosineAnnealingLR, type Optimizer, sequentialLR, swaLR, swaWeights } from '@nablajs/optim';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture, opsTolerance } from './helpers/fixtures';

type Strategy = 'cos' | 'linear';
interface SwalrCase {
  id: string;
  strategy: Strategy;
  anneal_epochs: number;
  lrs: number[];
  swa_lr: number | number[];
  steps: number;
  save_at: number;
  lr: number[][];
  resumed: number[][];
}
interface AfterCase {
  id: string;
  strategy: Strategy;
  anneal_epochs: number;
  swa_lr: number | number[];
  t_max: number;
  swa_start?: number;
  milestone?: number;
  steps: number;
  lrs: number[];
  lr: number[][];
}
type Pair = { W: FixtureTensor; b: FixtureTensor };
interface AveragedCase {
  id: string;
  dtype: 'float32' | 'float64';
  avg: 'default' | 'ema';
  steps: number;
  swa_start: number;
  X: FixtureTensor;
  Y: FixtureTensor;
  init: Pair;
  params: Pair[];
  averages: (Pair | null)[];
  n_averaged: number[];
}
interface BnState {
  running_mean: FixtureTensor;
  running_var: FixtureTensor;
  num_batches_tracked: number;
  momentum: number | null;
}
interface UpdateBnCase {
  id: string;
  dtype: 'float32' | 'float64';
  weights: Record<string, FixtureTensor>;
  batches: { kind: 'tensor' | 'list'; x: FixtureTensor }[];
  before: { bn1: BnState; bn2: BnState };
  after: { bn1: BnState; bn2: BnState };
  training_after: boolean;
  probe: FixtureTensor;
  probe_output: FixtureTensor;
}
interface SwaFixture {
  swalr: SwalrCase[];
  after: AfterCase[];
  sequential: AfterCase[];
  averaged: AveragedCase[];
  update_bn: UpdateBnCase[];
}

const fixture = loadFixture<SwaFixture>('optim-swa.json');

const optimizer = (lrs: number[]) =>
  sgd(
    lrs.map((lr) => ({ params: [tensor([0], { requiresGrad: true })], lr })),
    { lr: lrs[0], momentum: 0.9 },
  );
const lrsOf = (opt: Optimizer) => opt.paramGroups.map((g) => g.lr as number);

function close(actual: number[], expected: number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(Math.abs(a - expected[i]), `${label}[${i}]: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(
      1e-12 * Math.max(1, Math.abs(expected[i])),
    );
  });
}

describe('swaLR vs PyTorch SWALR', () => {
  it('has the 10 cases', () => expect(fixture.swalr.length).toBe(10));
  for (const c of fixture.swalr) {
    it(c.id, () => {
      const options = { swaLr: c.swa_lr, annealEpochs: c.anneal_epochs, annealStrategy: c.strategy };
      const opt = optimizer(c.lrs);
      const s = swaLR(opt, options);
      close(lrsOf(opt), c.lr[0], `${c.id} construction`);
      let resumed: { opt: Optimizer; s: typeof s } | null = null;
      for (let t = 1; t <= c.steps; t++) {
        opt.step();
        s.step();
        close(lrsOf(opt), c.lr[t], `${c.id} step ${t}`);
        expect(s.getLastLr()).toEqual(lrsOf(opt));
        if (t === c.save_at) {
          const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), s: s.stateDict() }));
          const opt2 = optimizer(c.lrs);
          const s2 = swaLR(opt2, options);
          opt2.loadStateDict(saved.opt);
          s2.loadStateDict(saved.s);
          resumed = { opt: opt2, s: s2 };
        }
      }
      const r = resumed as unknown as { opt: Optimizer; s: typeof s };
      c.resumed.forEach((row, k) => {
        r.opt.step();
        r.s.step();
        close(lrsOf(r.opt), row, `${c.id} resumed step ${c.save_at + 1 + k}`);
      });
    });
  }

  for (const c of fixture.after) {
    it(c.id, () => {
      const opt = optimizer(c.lrs);
      const cosine = cosineAnnealingLR(opt, { tMax: c.t_max });
      const swa = swaLR(opt, { swaLr: c.swa_lr, annealEpochs: c.anneal_epochs, annealStrategy: c.strategy });
      close(lrsOf(opt), c.lr[0], `${c.id} construction`);
      for (let i = 0; i < c.steps; i++) {
        opt.step();
        if (i >= (c.swa_start as number)) swa.step();
        else cosine.step();
        close(lrsOf(opt), c.lr[i + 1], `${c.id} epoch ${i}`);
      }
    });
  }

  for (const c of fixture.sequential) {
    it(c.id, () => {
      const opt = optimizer(c.lrs);
      const cosine = cosineAnnealingLR(opt, { tMax: c.t_max });
      const swa = swaLR(opt, { swaLr: c.swa_lr, annealEpochs: c.anneal_epochs, annealStrategy: c.strategy });
      const seq = sequentialLR(opt, { schedulers: [cosine, swa], milestones: [c.milestone as number] });
      close(lrsOf(opt), c.lr[0], `${c.id} construction`);
      for (let t = 1; t <= c.steps; t++) {
        opt.step();
        seq.step();
        close(lrsOf(opt), c.lr[t], `${c.id} step ${t}`);
      }
    });
  }
});

const emaFn = (a: number, p: number) => 0.1 * a + 0.9 * p;

describe('swaWeights vs PyTorch AveragedModel', () => {
  it('has the 3 cases', () => expect(fixture.averaged.length).toBe(3));
  for (const c of fixture.averaged) {
    const options = c.avg === 'ema' ? { avgFn: emaFn } : {};

    it(`${c.id}: bit for bit on PyTorch's iterates, with n_averaged`, () => {
      const ps = [fromFixture(c.init.W), fromFixture(c.init.b)];
      const swa = swaWeights(ps, options);
      for (let k = 1; k <= c.steps; k++) {
        ps[0].data.set(fromFixture(c.params[k - 1].W).data);
        ps[1].data.set(fromFixture(c.params[k - 1].b).data);
        if (k >= c.swa_start) swa.update();
        expect(swa.numAveraged, `${c.id} n_averaged after step ${k}`).toBe(c.n_averaged[k - 1]);
        const want = c.averages[k - 1];
        if (want === null) continue;
        const [W, b] = swa.averages();
        expect(W.dtype).toBe(c.dtype);
        expect(Array.from(W.data), `${c.id} W after step ${k}`).toEqual(Array.from(fromFixture(want.W).data));
        expect(Array.from(b.data), `${c.id} b after step ${k}`).toEqual(Array.from(fromFixture(want.b).data));
      }
    });

    it(`${c.id}: along nabla's own SGD run`, () => {
      const X = fromFixture(c.X);
      const Y = fromFixture(c.Y);
      const ps = [fromFixture(c.init.W, { requiresGrad: true }), fromFixture(c.init.b, { requiresGrad: true })];
      const opt = sgd(ps, { lr: 0.05, momentum: 0.9 });
      const swa = swaWeights(ps, options);
      const tol = { rel: c.dtype === 'float32' ? 1e-5 : 1e-11 };
      for (let k = 1; k <= c.steps; k++) {
        opt.zeroGrad();
        (X.matmul(ps[0]).add(ps[1]).sub(Y).square().mean() as Tensor).backward();
        opt.step();
        if (k >= c.swa_start) swa.update();
        closeTo(ps[0], c.params[k - 1].W, tol, `${c.id} W after step ${k}`);
        const want = c.averages[k - 1];
        if (want === null) continue;
        const [W, b] = swa.averages();
        closeTo(W, want.W, tol, `${c.id} average W after step ${k}`);
        closeTo(b, want.b, tol, `${c.id} average b after step ${k}`);
      }
    });
  }
});

function bnModel(c: UpdateBnCase): { net: Sequential; bn1: BatchNorm2d; bn2: BatchNorm1d } {
  const dtype = c.dtype;
  const bn1 = new BatchNorm2d(4, { momentum: 0.3, dtype });
  const bn2 = new BatchNorm1d(5, { momentum: null, dtype });
  const net = new Sequential(
    new Conv2d(3, 4, 3, { padding: 1, dtype }),
    bn1,
    new ReLU(),
    new Flatten(),
    new Linear(64, 5, { dtype }),
    bn2,
  );
  const weights = Object.fromEntries(Object.entries(c.weights).map(([k, v]) => [k, fromFixture(v)]));
  net.loadStateDict(weights);
  return { net: net.eval(), bn1, bn2 };
}

function checkBn(bn: BatchNorm1d | BatchNorm2d, want: BnState, dtype: 'float32' | 'float64', label: string): void {
  closeTo(bn.runningMean as Tensor, want.running_mean, opsTolerance(dtype), `${label} running_mean`);
  closeTo(bn.runningVar as Tensor, want.running_var, opsTolerance(dtype), `${label} running_var`);
  expect(bn.numBatchesTracked?.data[0], `${label} num_batches_tracked`).toBe(want.num_batches_tracked);
  expect(bn.momentum, `${label} momentum`).toBe(want.momentum);
}

describe('updateBn vs PyTorch update_bn', () => {
  it('has the 2 cases', () => expect(fixture.update_bn.length).toBe(2));
  for (const c of fixture.update_bn) {
    it(c.id, () => {
      const { net, bn1, bn2 } = bnModel(c);
      checkBn(bn1, c.before.bn1, c.dtype, `${c.id} bn1 before`);
      checkBn(bn2, c.before.bn2, c.dtype, `${c.id} bn2 before`);
      const batches = c.batches.map((b) =>
        b.kind === 'list' ? ([fromFixture(b.x), null] as const) : fromFixture(b.x),
      );
      updateBn(batches, net);
      checkBn(bn1, c.after.bn1, c.dtype, `${c.id} bn1`);
      checkBn(bn2, c.after.bn2, c.dtype, `${c.id} bn2`);
      expect(net.training).toBe(c.training_after);
      closeTo(net.forward(fromFixture(c.probe)) as Tensor, c.probe_output, opsTolerance(c.dtype), `${c.id} probe`);
    });
  }
});
