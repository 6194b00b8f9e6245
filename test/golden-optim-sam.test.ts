// SAM / ASAM vs davda54/sam on PyTorch 1.13 (test/fixtures/optim-sam.json, made by
// scripts/fixtures/make_optim_sam_fixture.py): losses, parameter checkpoints, the final loss, and the
// final state (SAM's old_p and the base optimizer's buffers) of every case.
import { decodeState, type Optimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import adamPlugin from '@nablajs/optim-adam';
import { sam } from '@nablajs/optim-sam';
import sgdPlugin from '@nablajs/optim-sgd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeNumbers,
  type OptimizerCase,
  optimizerCases,
  optimizerTolerance,
  replayCase,
  stateDictViaJson,
  toOptions,
} from './helpers/optim-golden';

const cases = optimizerCases('optim-sam.json');

/** davda54's base optimizer class -> the registered nabla optimizer, and where its state sits in the base chain. */
const bases: Record<string, { name: string; block: number; keys: Record<string, string> }> = {
  SGD: { name: 'sgd', block: 2, keys: { momentum_buffer: 'momentumBuffer' } },
  Adam: { name: 'adam', block: 2, keys: { step: 'step', exp_avg: 'm', exp_avg_sq: 'v' } },
};

/** SAM(params, torch.optim.X, rho=..., adaptive=..., **base kwargs) -> sam(params, { base, baseOptions, rho, adaptive }). */
function samOptions(c: OptimizerCase): Record<string, unknown> {
  const { base_optimizer, rho, adaptive, ...baseKwargs } = c.hyperparams;
  return {
    base: bases[base_optimizer as string].name,
    baseOptions: toOptions(baseKwargs),
    ...(rho === undefined ? {} : { rho }),
    ...(adaptive === undefined ? {} : { adaptive }),
  };
}

type TorchState = Record<string, Record<string, number | { data: number[] }>>;

function checkFinalState(c: OptimizerCase, opt: Optimizer): void {
  const base = bases[c.hyperparams.base_optimizer as string];
  const torch = (c as unknown as { final_state: TorchState }).final_state;
  const [samState, baseChain] = decodeState(stateDictViaJson(opt).state[0]) as [
    { old: Float64Array[] },
    Record<string, unknown[]>[],
  ];
  const baseState = baseChain[base.block];
  const tol = optimizerTolerance(c);
  c.params.forEach((p, i) => {
    const expected = torch[p.name];
    // ours: SAM's saved w and every base-state entry that exists (momentum 0 keeps no buffer, as PyTorch's None)
    const ours: Record<string, unknown> = { old_p: samState.old[i] };
    for (const [torchKey, field] of Object.entries(base.keys)) {
      const value = baseState[field][i];
      if (value !== null && value !== undefined) ours[torchKey] = value;
    }
    expect(Object.keys(ours).sort(), `${c.id}: state keys of ${p.name}`).toEqual(Object.keys(expected).sort());
    for (const [key, want] of Object.entries(expected)) {
      const label = `${c.id}: final_state ${p.name}.${key}`;
      if (typeof want === 'number') closeNumbers([ours[key] as number], [want], tol, label);
      else closeNumbers(ours[key] as ArrayLike<number>, want.data, tol, label);
    }
  });
}

beforeAll(() => {
  usePlugin(sgdPlugin);
  usePlugin(adamPlugin);
});
afterAll(() => resetRegistry());

describe('sam vs davda54/sam (PyTorch 1.13)', () => {
  it('covers both bases, SAM and ASAM, the three problems and float32', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    const configs = new Set(cases.map((c) => c.config));
    for (const config of configs)
      for (const problem of ['rosenbrock2d', 'mlp', 'lstsq'])
        expect(
          cases.some((c) => c.id === `${config}/${problem}`),
          `${config}/${problem}`,
        ).toBe(true);
    expect(new Set(cases.map((c) => c.hyperparams.base_optimizer))).toEqual(new Set(['SGD', 'Adam']));
    expect(new Set(cases.map((c) => c.hyperparams.adaptive ?? false))).toEqual(new Set([false, true]));
    expect(cases.filter((c) => c.dtype === 'float32').length).toBeGreaterThanOrEqual(5);
    for (const c of cases) expect(c.steps).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, sam, { closure: true, options: samOptions(c) });
      checkFinalState(c, opt);
    });
  }

  it('the perturbation matters: the base optimizer alone (rho 0) misses every float64 trajectory', () => {
    for (const c of cases.filter((c) => c.dtype === 'float64'))
      expect(
        () => replayCase(c, sam, { closure: true, options: { ...samOptions(c), rho: 0 } }),
        `${c.id} with rho 0`,
      ).toThrow(/loss before step|after step|final loss/);
  });
});
