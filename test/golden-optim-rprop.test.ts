import { decodeState, type Optimizer } from '@nablajs/optim';
import { rprop } from '@nablajs/optim-rprop';
import { describe, expect, it } from 'vitest';
import {
  closeNumbers,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  replayCase,
} from './helpers/optim-golden';

type TorchState = Record<string, number | { data: number[] }>;

/**
 * Compare PyTorch's `final_state` with the state of the rule block at `block` in the recipe's chain,
 * read through `stateDict()`; `keys` maps PyTorch's key names to the block's fields. The keys present
 * (non-null) on our side must be exactly PyTorch's.
 */
function checkFinalState(c: OptimizerCase, opt: Optimizer, block: number, keys: Record<string, string>): void {
  const torch = (c as unknown as { final_state: Record<string, TorchState> }).final_state;
  const state = (decodeState(opt.stateDict().state[0]) as unknown[])[block] as Record<string, unknown[]>;
  const tol = optimizerTolerance(c);
  c.params.forEach((p, i) => {
    const ours: Record<string, unknown> = {};
    for (const [torchKey, field] of Object.entries(keys)) {
      const value = state[field][i];
      if (value !== null && value !== undefined) ours[torchKey] = value;
    }
    const expected = torch[p.name];
    expect(Object.keys(ours).sort(), `${c.id}: state keys of ${p.name}`).toEqual(Object.keys(expected).sort());
    for (const [key, want] of Object.entries(expected)) {
      const label = `${c.id}: final_state ${p.name}.${key}`;
      if (typeof want === 'number') closeNumbers([ours[key] as number], [want], tol, label);
      else closeNumbers(ours[key] as ArrayLike<number>, want.data, tol, label);
    }
  });
}

/** The fixture cases of `configs` (float64 and float32), checking that the three problems and `float32Ids` are there. */
function casesOf(configs: readonly string[], float32Ids: readonly string[] = []): OptimizerCase[] {
  const cases = optimizerCases().filter((c) => configs.includes(c.config));
  for (const config of configs)
    for (const problem of ['rosenbrock2d', 'quadratic', 'mlp'])
      if (!cases.some((c) => c.id === `${config}/${problem}`))
        throw new Error(`missing fixture case ${config}/${problem}`);
  for (const id of float32Ids) if (!cases.some((c) => c.id === id)) throw new Error(`missing fixture case ${id}`);
  return cases;
}

describe('rprop vs PyTorch', () => {
  for (const c of casesOf(['rprop_default', 'rprop_etas_step_sizes'])) {
    it(c.id, () => {
      const opt = replayCase(c, rprop);
      checkFinalState(c, opt, 1, { step: 'step', prev: 'prev', step_size: 'stepSize' });
    });
  }
});
