import { gradcheck, gradients, logSoftmax, randn, sum, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { CTCLoss, ctcLoss } from './ctc-loss';

const int = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' });

/** -log p(target) by its definition: every path over the classes, collapsed (repeats merged, blanks dropped). */
function bruteForce(lp: number[][], target: number[], blank: number): number {
  const [steps, classes] = [lp.length, lp[0].length];
  let total = 0;
  const path: number[] = [];
  const visit = (t: number, logp: number) => {
    if (t === steps) {
      const out: number[] = [];
      path.forEach((c, i) => {
        if (c !== blank && (i === 0 || path[i - 1] !== c)) out.push(c);
      });
      if (out.length === target.length && out.every((c, i) => c === target[i])) total += Math.exp(logp);
      return;
    }
    for (let c = 0; c < classes; c++) {
      path.push(c);
      visit(t + 1, logp + lp[t][c]);
      path.pop();
    }
  };
  visit(0, 0);
  return -Math.log(total);
}

describe('ctcLoss', () => {
  it('is -log of the summed probability of every alignment (checked by enumerating them)', () => {
    const logits = randn([5, 2, 3], { dtype: 'float64' });
    const lp = logSoftmax(logits, 2);
    const losses = ctcLoss(
      lp,
      int([
        [1, 2],
        [2, 2],
      ]),
      [5, 4],
      [2, 2],
      { reduction: 'none' },
    );
    const rows = (n: number, len: number) =>
      Array.from({ length: len }, (_, t) => Array.from({ length: 3 }, (_, c) => lp.values[(t * 2 + n) * 3 + c]));
    expect(losses.values[0]).toBeCloseTo(bruteForce(rows(0, 5), [1, 2], 0), 12);
    expect(losses.values[1]).toBeCloseTo(bruteForce(rows(1, 4), [2, 2], 0), 12);
  });

  it('has the derivative in the log-probabilities themselves (finite differences, float64)', () => {
    const lp = logSoftmax(randn([6, 2, 4], { dtype: 'float64' }), 2)
      .detach()
      .requiresGrad_();
    expect(
      gradcheck(
        (x: Tensor) =>
          ctcLoss(
            x,
            int([
              [1, 3, 3],
              [2, 0, 0],
            ]),
            [6, 5],
            [3, 1],
          ),
        [lp],
      ),
    ).toBe(true);
  });

  it('zeroInfinity: an impossible target gives 0 and a zero gradient, not NaN', () => {
    const logits = randn([3, 1, 4], { dtype: 'float64', requiresGrad: true });
    const lp = logSoftmax(logits, 2);
    const loss = ctcLoss(lp, int([[1, 2, 3, 1]]), [3], [4], { zeroInfinity: true });
    expect(loss.item()).toBe(0);
    const [g] = gradients([loss], [logits]);
    expect(Array.from((g as Tensor).values).every((v) => v === 0)).toBe(true);
    expect(ctcLoss(lp, int([[1, 2, 3, 1]]), [3], [4]).item()).toBe(Number.POSITIVE_INFINITY);
  });

  it("without zeroInfinity, an impossible target's gradient is NaN inside its input and 0 after, as PyTorch's", () => {
    const logits = randn([5, 2, 4], { dtype: 'float64', requiresGrad: true });
    const targets = int([
      [1, 1, 1, 1],
      [3, 1, 0, 0],
    ]);
    for (const reduction of ['none', 'sum', 'mean'] as const) {
      const loss = ctcLoss(logSoftmax(logits, 2), targets, [3, 5], [4, 2], { reduction });
      const [g] = gradients([reduction === 'none' ? sum(loss) : loss], [logits]);
      const v = (g as Tensor).values;
      for (let t = 0; t < 5; t++)
        for (let c = 0; c < 4; c++) {
          const first = v[(t * 2 + 0) * 4 + c];
          if (t < 3) expect(first).toBeNaN();
          else expect(first).toBe(0);
          expect(Number.isFinite(v[(t * 2 + 1) * 4 + c])).toBe(true); // the possible sample is untouched
        }
      // and the possible sample's gradient is the one it has alone
      const alone = ctcLoss(logSoftmax(logits, 2).slice([null, [1, 2]]), int([[3, 1]]), [5], [2], {
        reduction: 'sum',
      });
      const [ga] = gradients([alone], [logits]);
      if (reduction === 'sum')
        for (let i = 0; i < v.length; i++) if (i % 8 >= 4) expect(v[i]).toBeCloseTo((ga as Tensor).values[i], 12);
    }
  });

  it('refuses bad arguments with errors that name them', () => {
    const lp = logSoftmax(randn([4, 2, 3]), 2);
    expect(() => ctcLoss(lp, int([[1], [2]]), [5, 4], [1, 1])).toThrow(
      /ctcLoss: inputLengths\[0\] = 5 exceeds the 4 time steps/,
    );
    expect(() => ctcLoss(lp, int([[0], [2]]), [4, 4], [1, 1])).toThrow(/other than the blank 0, got 0/);
    expect(() => ctcLoss(lp, int([[1], [2]]), [4], [1, 1])).toThrow(/inputLengths has 1 entries for a batch of 2/);
    expect(() => ctcLoss(lp, int([[1], [2]]), [4, 4], [2, 1])).toThrow(
      /targetLengths\[0\] = 2 exceeds the targets' width 1/,
    );
    expect(() => ctcLoss(lp, tensor([[1], [2]]), [4, 4], [1, 1])).toThrow(/targets must be an int32 tensor/);
    expect(() => ctcLoss(lp, int([[1], [2]]), [4, 4], [1, 1], { blank: 3 })).toThrow(ValueError);
    expect(() => new CTCLoss({ reduction: 'avg' as never })).toThrow(/CTCLoss/);
    expect(new CTCLoss({ blank: 2 }).toString()).toContain("blank=2, reduction='mean', zeroInfinity=false");
  });
});
