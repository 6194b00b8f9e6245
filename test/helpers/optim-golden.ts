// Rebuilds the problems of test/fixtures/optimizers.json and replays PyTorch's protocol with a nabla
// optimizer, comparing losses and parameter checkpoints at the fixture README's tolerances.
import { type DType, logsumexp, matmul, type Tensor } from '@nablajs/core';
import { decodeState, type HyperValue, type Optimizer, type ParamGroupInput, type ParamsInput } from '@nablajs/optim';
import { expect } from 'vitest';
import { type FixtureTensor, fromFixture, loadFixture } from './fixtures';

/** One case of optimizers.json. */
export interface OptimizerCase {
  id: string;
  config: string;
  optimizer: string;
  hyperparams: Record<string, unknown>;
  dtype: 'float64' | 'float32';
  problem: Record<string, unknown> & { name: string };
  params: { name: string; init: FixtureTensor }[];
  steps: number;
  trajectory: {
    checkpoints: number[];
    params: { step: number; values: Record<string, FixtureTensor> }[];
    losses: number[];
    final_loss: number;
    lbfgs?: { closure_calls: number[]; func_evals: number[]; n_iter: number[] };
  };
}

/** Every case of optimizers.json, or of another fixture file in the same format (`optim-muon.json`). */
export function optimizerCases(file = 'optimizers.json'): OptimizerCase[] {
  return (loadFixture(file) as { cases: OptimizerCase[] }).cases;
}

/** PyTorch keyword arguments in snake_case -> nabla options in lowerCamelCase (`weight_decay` -> `weightDecay`). */
export function toOptions(kwargs: Record<string, unknown>): Record<string, HyperValue> {
  const out: Record<string, HyperValue> = {};
  for (const [k, v] of Object.entries(kwargs))
    out[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v as HyperValue;
  return out;
}

/** The loss of a fixture problem as a function of its parameters (in the fixture's order). */
export function problemLoss(problem: OptimizerCase['problem'], dtype: DType): (params: Tensor[]) => Tensor {
  const t = (v: unknown) => fromFixture(v as FixtureTensor).to(dtype);
  switch (problem.name) {
    case 'rosenbrock2d': {
      const a = problem.a as number;
      const b = problem.b as number;
      return ([xy]) => {
        const x = xy.slice([[0, 1]]);
        const y = xy.slice([[1, 2]]);
        return x.neg().add(a).square().add(y.sub(x.square()).square().mul(b)).sum();
      };
    }
    case 'quadratic': {
      const A = t(problem.A);
      const bv = t(problem.b);
      return ([x]) => x.dot(matmul(A, x)).mul(0.5).sub(bv.dot(x));
    }
    case 'mlp': {
      const X = t(problem.X);
      const y = fromFixture(problem.y as FixtureTensor);
      const n = X.shape[0];
      return ([W1, b1, W2, b2]) => {
        const logits = X.matmul(W1.T).add(b1).tanh().matmul(W2.T).add(b2);
        const picked = logits.gather(1, y.reshape([n, 1])).reshape([n]);
        return logsumexp(logits, 1).sub(picked).mean();
      };
    }
    case 'lstsq': {
      const X = t(problem.X);
      const Y = t(problem.Y);
      return ([W]) => matmul(X, W).sub(Y).square().mean();
    }
    default:
      throw new Error(`unknown fixture problem ${problem.name}`);
  }
}

/** Assert that `cases` hold each problem of optim_common.py (rosenbrock2d, mlp, lstsq) in float64 and in float32. */
export function expectEveryProblemInBothDtypes(cases: readonly OptimizerCase[]): void {
  for (const problem of ['rosenbrock2d', 'mlp', 'lstsq'])
    for (const dtype of ['float64', 'float32'])
      expect(cases.some((c) => c.problem.name === problem && c.dtype === dtype)).toBe(true);
}

/**
 * A fixture's parameter groups as nabla's over `params` (the case's parameters, in its order): each group
 * lists its members by index or by parameter name; its other keys are snake_case overrides.
 */
export function fixtureGroups(
  c: OptimizerCase,
  groups: readonly ({ params: readonly (number | string)[] } & Record<string, unknown>)[],
  params: readonly Tensor[],
): ParamGroupInput[] {
  const names = c.params.map((p) => p.name);
  return groups.map(({ params: members, ...overrides }) => ({
    params: members.map((m) => (typeof m === 'number' ? params[m] : params[names.indexOf(m)])),
    ...toOptions(overrides),
  }));
}

/**
 * `factory` for a case: itself when the case has no `param_groups`, else over the fixture's groups (indices or
 * names and snake_case overrides, see {@link fixtureGroups}).
 */
export function withFixtureGroups<O>(
  c: OptimizerCase & { param_groups?: readonly ({ params: readonly (number | string)[] } & Record<string, unknown>)[] },
  factory: (params: ParamsInput, options: O) => Optimizer,
): (params: ParamsInput, options: O) => Optimizer {
  const groups = c.param_groups;
  if (groups === undefined) return factory;
  return (params, options) => factory(fixtureGroups(c, groups, params as readonly Tensor[]), options);
}

/** The README's tolerance for a case: relative to max(1, |expected|). */
export function optimizerTolerance(c: Pick<OptimizerCase, 'dtype' | 'optimizer'>): number {
  if (c.dtype === 'float32') return 1e-5;
  return c.optimizer === 'LBFGS' ? 1e-7 : 1e-10;
}

/** Fresh leaf parameters for a case, in the fixture's order. */
export function caseParams(c: OptimizerCase): Tensor[] {
  return c.params.map((p) => fromFixture(p.init, { requiresGrad: true }));
}

/**
 * Replay a case with `factory` (non-LBFGS protocol: zeroGrad, loss, backward, step; LBFGS: step(closure))
 * and assert losses, checkpoints and the final loss. Returns the optimizer for further checks.
 */
export function replayCase(
  c: OptimizerCase,
  // biome-ignore lint/suspicious/noExplicitAny: any factory, whatever its options type
  factory: (params: ParamsInput, options: any) => Optimizer,
  replay: { closure?: boolean; options?: Record<string, unknown>; loss?: (params: Tensor[]) => Tensor } = {},
): Optimizer {
  const params = caseParams(c);
  const f = replay.loss ?? problemLoss(c.problem, c.dtype);
  const tol = optimizerTolerance(c);
  const opt = factory(params, replay.options ?? toOptions(c.hyperparams));
  const closure = () => {
    opt.zeroGrad();
    const loss = f(params);
    loss.backward();
    return loss;
  };
  let checkpoint = 0;
  for (let k = 1; k <= c.steps; k++) {
    let loss: number;
    if (c.optimizer === 'LBFGS' || replay.closure === true) {
      loss = opt.step(closure) as number;
    } else {
      loss = closure().item();
      opt.step();
    }
    closeNumbers([loss], [c.trajectory.losses[k - 1]], tol, `${c.id}: loss before step ${k}`);
    const cp = c.trajectory.params[checkpoint];
    if (cp !== undefined && cp.step === k) {
      c.params.forEach((p, i) => {
        closeNumbers(params[i].data, cp.values[p.name].data as number[], tol, `${c.id}: ${p.name} after step ${k}`);
      });
      checkpoint++;
    }
  }
  closeNumbers([f(params).item()], [c.trajectory.final_loss], tol, `${c.id}: final loss`);
  return opt;
}

/**
 * Assert `|a - b| <= rel * max(1, |b|)` elementwise; the message names the worst element, both values
 * and how far past the bound it is.
 */
export function closeNumbers(actual: ArrayLike<number>, expected: readonly number[], rel: number, label: string): void {
  if (actual.length !== expected.length)
    throw new Error(`${label}: ${actual.length} values, expected ${expected.length}`);
  let worst = -1;
  let worstRatio = 1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const ratio = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err / (rel * Math.max(1, Math.abs(expected[i])));
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (worst >= 0)
    throw new Error(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (${worstRatio.toExponential(2)}x the tolerance ${rel} * max(1, |b|))`,
    );
}

type TorchState = Record<string, number | { data: number[] }>;

/**
 * Compare PyTorch's `final_state` with the state of the rule block at `block` in the recipe's chain,
 * read through `stateDict()`; `keys` maps PyTorch's key names to the block's fields. The keys present
 * (non-null) on our side must be exactly PyTorch's.
 */
export function checkFinalState(c: OptimizerCase, opt: Optimizer, block: number, keys: Record<string, string>): void {
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
    const got = Object.keys(ours).sort().join(', ');
    const want = Object.keys(expected).sort().join(', ');
    if (got !== want) throw new Error(`${c.id}: state keys of ${p.name} are {${got}}, PyTorch has {${want}}`);
    for (const [key, want] of Object.entries(expected)) {
      const label = `${c.id}: final_state ${p.name}.${key}`;
      if (typeof want === 'number') closeNumbers([ours[key] as number], [want], tol, label);
      else closeNumbers(ours[key] as ArrayLike<number>, want.data, tol, label);
    }
  });
}

/** The optimizer's state dict after a JSON round trip, as a checkpoint file would hold it. */
export function stateDictViaJson(opt: Optimizer): ReturnType<Optimizer['stateDict']> {
  return JSON.parse(JSON.stringify(opt.stateDict())) as ReturnType<Optimizer['stateDict']>;
}

/** One parameter's state in a fixture's `final_state`: tensors as flat values, counters as numbers, None as null. */
export type TorchParamState = Record<string, number | null | { data: number[] }>;

/**
 * Compare PyTorch's `final_state` with the state of the rule block at `block` in the recipe's chain, read
 * through a JSON round trip of `stateDict()`; `keys` maps every PyTorch key to the block's field. PyTorch's
 * keys must be exactly those of `keys`; a None must be null on our side and a counter equal.
 */
export function checkBlockState(
  c: OptimizerCase & { final_state: Record<string, TorchParamState> },
  opt: Optimizer,
  block: number,
  keys: Record<string, string>,
): void {
  const state = (decodeState(stateDictViaJson(opt).state[0]) as unknown[])[block] as Record<string, unknown[]>;
  const tol = optimizerTolerance(c);
  c.params.forEach((p, i) => {
    const torch = c.final_state[p.name];
    expect(Object.keys(torch).sort()).toEqual(Object.keys(keys).sort());
    for (const [key, want] of Object.entries(torch)) {
      const got = state[keys[key]][i];
      const label = `${c.id}: final_state ${p.name}.${key}`;
      if (want === null) expect(got, label).toBeNull();
      else if (typeof want === 'number') expect(got, label).toBe(want);
      else closeNumbers(got as ArrayLike<number>, want.data, tol, label);
    }
  });
}

/** The fixture cases of `configs` (float64 and float32), checking that the three problems and `float32Ids` are there. */
export function casesOf(configs: readonly string[], float32Ids: readonly string[] = []): OptimizerCase[] {
  const cases = optimizerCases().filter((c) => configs.includes(c.config));
  for (const config of configs)
    for (const problem of ['rosenbrock2d', 'quadratic', 'mlp'])
      if (!cases.some((c) => c.id === `${config}/${problem}`))
        throw new Error(`missing fixture case ${config}/${problem}`);
  for (const id of float32Ids) if (!cases.some((c) => c.id === id)) throw new Error(`missing fixture case ${id}`);
  return cases;
}
