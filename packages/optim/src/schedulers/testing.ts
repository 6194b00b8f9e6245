import type { Optimizer, ParamGroup } from '../types';

/** The hyperparameters of a fake param group (no parameters: schedulers never look at them). */
export type FakeGroup = { lr: number } & Record<string, number | boolean | readonly number[]>;

/**
 * A stand-in optimizer for scheduler tests: real `paramGroups` with the given hyperparameters and
 * no-op methods, since schedulers only read and write `paramGroups`.
 *
 * @example
 * ```ts
 * const opt = fakeOptimizer([{ lr: 0.1, momentum: 0.9 }, { lr: 0.01, momentum: 0.9 }]);
 * const scheduler = stepLR(opt, { stepSize: 7 });
 * ```
 */
export function fakeOptimizer(groups: readonly FakeGroup[], name = 'fake'): Optimizer {
  const paramGroups = groups.map((g) => ({ params: [], ...g }) as unknown as ParamGroup);
  return {
    name,
    defaults: { ...groups[0] },
    paramGroups,
    step: () => undefined,
    zeroGrad: () => undefined,
    addParamGroup: (group) => {
      paramGroups.push({ ...groups[0], ...group, params: [...group.params] } as unknown as ParamGroup);
    },
    stateDict: () => ({ name, paramGroups: [], state: [] }),
    loadStateDict: () => undefined,
    onBeforeStep: () => () => undefined,
    onAfterStep: () => () => undefined,
  };
}

/** The values of `key` of every group of `opt`. */
export function groupValues(opt: Optimizer, key = 'lr'): number[] {
  return opt.paramGroups.map((g) => (g as unknown as Record<string, number>)[key]);
}

/** Call `step()` `n` times and return `getLastLr()` after construction and after each step (n + 1 rows). */
export function run(scheduler: { step(): void; getLastLr(): number[] }, n: number): number[][] {
  const out = [scheduler.getLastLr()];
  for (let i = 0; i < n; i++) {
    scheduler.step();
    out.push(scheduler.getLastLr());
  }
  return out;
}

/** Whether `a` and `b` agree to `rel` relative error, element by element (0 must match 0 within 1e-15). */
export function allClose(a: readonly number[], b: readonly number[], rel = 1e-12): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) =>
    b[i] === 0 ? Math.abs(x) <= 1e-15 : Math.abs(x - b[i]) <= Math.max(1e-300, rel * Math.abs(b[i])),
  );
}
