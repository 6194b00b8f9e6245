// L-BFGS against PyTorch's torch.optim.LBFGS (test/fixtures/optimizers.json, LBFGS cases): losses,
// every checkpoint, and the closure-call / func_evals / n_iter counters per outer step, exactly.
import type { Closure, ParamsInput } from '@nablajs/optim';
import { type LbfgsOptions, lbfgs } from '@nablajs/optim-lbfgs';
import { describe, expect, it } from 'vitest';
import { optimizerCases, replayCase } from './helpers/optim-golden';

describe('lbfgs vs PyTorch', () => {
  const cases = optimizerCases().filter((c) => c.optimizer === 'LBFGS');
  it('has the 9 LBFGS cases', () => expect(cases.length).toBe(9));
  for (const c of cases) {
    it(c.id, () => {
      const calls: number[] = [];
      const funcEvals: number[] = [];
      const nIter: number[] = [];
      const factory = (params: ParamsInput, options: LbfgsOptions) => {
        const opt = lbfgs(params, options);
        const step = opt.step.bind(opt);
        opt.step = (closure?: Closure) => {
          let n = 0;
          const loss = step(() => {
            n++;
            return (closure as Closure)();
          });
          calls.push(n);
          funcEvals.push(opt.funcEvals);
          nIter.push(opt.nIter);
          return loss;
        };
        return opt;
      };
      replayCase(c, factory);
      const expected = c.trajectory.lbfgs!;
      expect(calls).toEqual(expected.closure_calls);
      expect(funcEvals).toEqual(expected.func_evals);
      expect(nIter).toEqual(expected.n_iter);
    });
  }
});
