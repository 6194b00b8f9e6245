import { gradients, logSoftmax, type Tensor } from '@nablajs/core';
import { CTCLoss, F } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fixtureValues, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of F.ctc_loss (see test/fixtures/README.md, section ctc-loss.json).

interface CtcCase {
  id: string;
  dtype: 'float64' | 'float32';
  logits: FixtureTensor;
  targets: FixtureTensor;
  input_lengths: number[] | number;
  target_lengths: number[] | number;
  blank: number;
  reduction: 'none' | 'sum' | 'mean';
  zero_infinity: boolean;
  loss: FixtureTensor;
  upstream: FixtureTensor;
  grad_logits: FixtureTensor;
  grad_log_probs: FixtureTensor;
}

const fixture = loadFixture<{ torch_version: string; cases: CtcCase[] }>('ctc-loss.json');

describe('ctcLoss against PyTorch 1.13.1', () => {
  it('covers the fixture', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    expect(fixture.cases.length).toBe(11);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: the loss, the logits' gradient, and PyTorch's log-probability gradient minus exp(logProbs)`, () => {
      const tol = { rel: c.dtype === 'float64' ? 1e-10 : 1e-5 };
      const logits = fromFixture(c.logits, { requiresGrad: true });
      const logProbs = logSoftmax(logits, -1);
      const loss = F.ctcLoss(logProbs, fromFixture(c.targets), c.input_lengths, c.target_lengths, {
        blank: c.blank,
        reduction: c.reduction,
        zeroInfinity: c.zero_infinity,
      });
      const want = fixtureValues(c.loss);
      expect(Array.from(loss.values).map((v) => (Number.isFinite(v) ? 0 : v))).toEqual(
        want.map((v) => (Number.isFinite(v) ? 0 : v)),
      ); // Infinity where PyTorch has it
      if (want.every(Number.isFinite)) closeTo(loss, c.loss, tol, 'loss');
      const [g] = gradients([loss], [logits], [fromFixture(c.upstream)]);
      const wantGrad = fixtureValues(c.grad_logits);
      if (wantGrad.every(Number.isFinite)) closeTo(g as Tensor, c.grad_logits, tol, 'grad logits');
      else {
        // an infinite loss without zeroInfinity: NaN in that sample's steps inside its input, as PyTorch
        const got = Array.from((g as Tensor).values);
        expect(got.map(Number.isNaN)).toEqual(wantGrad.map(Number.isNaN));
        expect(got.filter(Number.isNaN).length).toBeGreaterThan(0);
        wantGrad.forEach((w, i) => {
          if (!Number.isNaN(w)) expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(tol.rel * Math.max(1, Math.abs(w)));
        });
      }
      // with the log-probabilities as the leaf: PyTorch's gradient is nabla's plus exp(logProbs)·Σ upstream
      if (!wantGrad.every(Number.isFinite)) return;
      const leaf = logProbs.detach().requiresGrad_();
      const loss2 = F.ctcLoss(leaf, fromFixture(c.targets), c.input_lengths, c.target_lengths, {
        blank: c.blank,
        reduction: c.reduction,
        zeroInfinity: c.zero_infinity,
      });
      const [gl] = gradients([loss2], [leaf], [fromFixture(c.upstream)]);
      // PyTorch's kernel returns exp(lp) - (its derivative), the gradient of the logits before a log-softmax:
      // each sample's steps inside its input get exp(lp) times the weight of that sample's loss added
      const [steps, batch, classes] = leaf.ndim === 3 ? leaf.shape : [leaf.shape[0], 1, leaf.shape[1]];
      const inLen = typeof c.input_lengths === 'number' ? [c.input_lengths] : c.input_lengths;
      const tgtLen = typeof c.target_lengths === 'number' ? [c.target_lengths] : c.target_lengths;
      const up = fixtureValues(c.upstream);
      // (with zeroInfinity, an infinite sample's gradient is all zeros in both)
      const each = F.ctcLoss(leaf.detach(), fromFixture(c.targets), c.input_lengths, c.target_lengths, {
        blank: c.blank,
        reduction: 'none',
      }).values;
      const weight = (n: number) =>
        c.zero_infinity && !Number.isFinite(each[n])
          ? 0
          : c.reduction === 'none'
            ? up[n]
            : c.reduction === 'sum'
              ? up[0]
              : up[0] / (batch * Math.max(tgtLen[n], 1));
      const lpValues = leaf.values;
      const ours = (gl as Tensor).values;
      const expected = Array.from(ours, (v, i) => {
        const t = Math.floor(i / (batch * classes));
        const n = Math.floor(i / classes) % batch;
        return t < inLen[n] ? v + weight(n) * Math.exp(lpValues[i]) : v;
      });
      const torchGrad = fixtureValues(c.grad_log_probs);
      expected.forEach((v, i) => {
        expect(Math.abs(v - torchGrad[i])).toBeLessThanOrEqual(tol.rel * Math.max(1, Math.abs(torchGrad[i])));
      });
      expect(steps).toBe(c.logits.shape[0]);
    });
  }

  it('the module is the function with its options', () => {
    const c = fixture.cases.find((x) => x.id === 'padded-mean') as CtcCase;
    const ctc = new CTCLoss({ reduction: 'mean' });
    const loss = ctc.forward(
      logSoftmax(fromFixture(c.logits), -1),
      fromFixture(c.targets),
      c.input_lengths,
      c.target_lengths,
    );
    closeTo(loss, c.loss, { rel: 1e-10 }, 'loss');
  });
});
