// Adam-family optimizers vs PyTorch 1.13 (test/fixtures/optimizers.json): losses, parameter
// checkpoints and the final optimizer state of every Adam, AdamW, Adamax, NAdam and RAdam case.
import { decodeState, type Optimizer } from '@nablajs/optim';
import { adam, adamax, adamw, nadam, radam } from '@nablajs/optim-adam';
import { describe, expect, it } from 'vitest';
import {
  closeNumbers,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  replayCase,
  stateDictViaJson,
} from './helpers/optim-golden';

const factories = { Adam: adam, AdamW: adamw, Adamax: adamax, NAdam: nadam, RAdam: radam } as const;

/** PyTorch's state key -> the field of our rule's state that holds the same quantity. */
const stateKeys: Record<string, string> = {
  step: 'step',
  exp_avg: 'm',
  exp_avg_sq: 'v',
  max_exp_avg_sq: 'vmax',
  exp_inf: 'u',
  mu_product: 'muProduct',
};

/** The state of the one stateful block of the recipe (the others' states are null), through a JSON round trip. */
function ruleState(opt: Optimizer): Record<string, unknown[]> {
  const sd = stateDictViaJson(opt);
  const chainState = decodeState(sd.state[0]) as unknown[];
  const stateful = chainState.filter((s) => s !== null);
  expect(stateful).toHaveLength(1);
  return stateful[0] as Record<string, unknown[]>;
}

function checkFinalState(c: OptimizerCase, opt: Optimizer): void {
  const ours = ruleState(opt);
  const tol = optimizerTolerance(c);
  const torchState = (c as OptimizerCase & { final_state: Record<string, Record<string, unknown>> }).final_state;
  c.params.forEach((p, i) => {
    const expected = torchState[p.name];
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(expected)) {
      const field = stateKeys[key];
      expect(field, `${c.id}: no mapping for PyTorch state key ${key}`).toBeDefined();
      const actual = ours[field][i];
      const label = `${c.id}: state ${key} of ${p.name}`;
      if (typeof value === 'number') closeNumbers([actual as number], [value], tol, label);
      else closeNumbers(actual as ArrayLike<number>, (value as { data: number[] }).data, tol, label);
    }
  });
}

const cases = optimizerCases().filter((c) => c.optimizer in factories);

describe('Adam family vs PyTorch fixtures', () => {
  it('covers every case of the family', () => {
    expect(cases.map((c) => c.id)).toHaveLength(37);
  });
  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, factories[c.optimizer as keyof typeof factories]);
      checkFinalState(c, opt);
    });
  }
});
