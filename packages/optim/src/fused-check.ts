import { type DType, getBackend, type Kernel, registerKernel, setBackend, Tensor, ValueError } from '@nablajs/core';
import type { OptimizerFactory } from './definition';
import { setFusedUpdates } from './fused';
import { type Encoded, encodeState } from './state';
import type { Hyperparams, Optimizer, ParamsInput } from './types';

/** Options of {@link checkFusedUpdate}. */
export interface FusedCheckOptions {
  /** Options passed to the factory (default `{}`: its defaults). */
  options?: Partial<Hyperparams>;
  /** The dtype of the parameters (default `'float64'`). */
  dtype?: 'float32' | 'float64';
  /** Steps to take (default 30). */
  steps?: number;
  /**
   * Sizes of the parameters (default `[3, 64, 1003]`). The first is alone in parameter group 0; the
   * others share group 1, whose learning rate is half the first's.
   */
  sizes?: readonly number[];
  /**
   * Shapes of the parameters, for a rule that treats matrices differently (Muon): overrides `sizes` (the
   * sizes are then the shapes' element counts), grouped the same way.
   */
  shapes?: readonly (readonly number[])[];
  /** Seed of the parameters and gradients (default 1). */
  seed?: number;
  /**
   * Hyperparameters to change before step `k` (from 1) in every group, as a scheduler would; `null`
   * for none. Called once per step.
   */
  schedule?: (k: number) => Partial<Hyperparams> | null;
  /**
   * Largest allowed `|fused - chain| / max(1, |chain|)` over parameters and state (default 0 for
   * float64, where a fused step should be bit for bit the chain's, and 1e-5 for float32).
   */
  tolerance?: number;
}

/** What {@link checkFusedUpdate} returns. */
export interface FusedCheckResult {
  /** The largest `|fused - chain| / max(1, |chain|)` seen, over every step, parameter and state number. */
  maxError: number;
  /** What went wrong (a wrong state layout, or a difference past the tolerance); empty when all agree. */
  failures: string[];
}

/** Deterministic values in [-scale, scale) from a small LCG. */
function values(n: number, seed: number, scale: number): number[] {
  const out: number[] = [];
  let s = (seed * 2654435761) >>> 0;
  for (let j = 0; j < n; j++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s / 2 ** 31 - 1) * scale);
  }
  return out;
}

function vector(data: readonly number[], dtype: DType): Tensor {
  return new Tensor(dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data), [data.length], dtype);
}

const MAX_FAILURES = 10;

/**
 * Check an optimizer's fused update path against its rule's chain of blocks: three copies of the same
 * parameters take the same steps on the same gradients, one with fused updates off
 * ({@link setFusedUpdates}), one with them on, and one switching path at every step. After every step
 * their parameters and state dicts must agree: same layout (keys, nulls, typed-array kinds and
 * lengths) and numbers within `tolerance`. Along the way, some parameters get a null gradient (they
 * must not move nor advance), group 1 has its own learning rate, and `schedule` may change
 * hyperparameters between steps.
 *
 * A plugin author who writes a fused step runs this over every option combination the step accepts
 * (for an optimizer without one, the three runs are the same and the check passes trivially: spy on
 * the kernel, or on the fused function, to be sure it ran).
 *
 * @example
 * ```ts
 * const result = checkFusedUpdate(adam, { options: { amsgrad: true, weightDecay: 0.1 }, dtype: 'float32' });
 * expect(result.failures).toEqual([]);
 * ```
 */
export function checkFusedUpdate(
  // biome-ignore lint/suspicious/noExplicitAny: any factory, whatever its options type
  factory: OptimizerFactory<any>,
  options: FusedCheckOptions = {},
): FusedCheckResult {
  const dtype = options.dtype ?? 'float64';
  const steps = options.steps ?? 30;
  const shapes = options.shapes ?? (options.sizes ?? [3, 64, 1003]).map((n) => [n]);
  const sizes = shapes.map((shape) => shape.reduce((a, d) => a * d, 1));
  const seed = options.seed ?? 1;
  const tolerance = options.tolerance ?? (dtype === 'float64' ? 0 : 1e-5);
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new ValueError(`checkFusedUpdate: sizes must be at least two positive integers, got [${sizes.join(', ')}]`);
  const init = sizes.map((n, i) => values(n, seed * 101 + i, 1));
  const runs = ['chain', 'fused', 'alternating'].map((path) => {
    const params = init.map((data, i) => {
      const p = vector(data, dtype).reshape(shapes[i]).detach();
      p.requiresGrad = true;
      return p;
    });
    const groups = [{ params: params.slice(0, 1) }, { params: params.slice(1) }];
    const opt: Optimizer = factory(groups as ParamsInput, options.options ?? {});
    opt.paramGroups[1].lr = opt.paramGroups[0].lr / 2;
    return { path, params, opt };
  });
  const result: FusedCheckResult = { maxError: 0, failures: [] };
  const report = (message: string) => {
    if (result.failures.length < MAX_FAILURES) result.failures.push(message);
  };
  const previous = setFusedUpdates(true);
  try {
    for (let k = 1; k <= steps && result.failures.length === 0; k++) {
      const changes = options.schedule?.(k) ?? null;
      const grads = sizes.map((n, i) => ((k + i) % 4 === 0 ? null : values(n, seed * 7919 + k * 31 + i, 0.5)));
      for (const { path, params, opt } of runs) {
        if (changes !== null) for (const g of opt.paramGroups) Object.assign(g, changes);
        params.forEach((p, i) => {
          const g = grads[i];
          p.grad = g === null ? null : vector(g, dtype).reshape(p.shape);
        });
        setFusedUpdates(path === 'fused' || (path === 'alternating' && k % 2 === 1));
        opt.step();
      }
      const chain = runs[0];
      const chainState = encodeState(chain.opt.stateDict().state);
      for (const run of runs.slice(1)) {
        const where = `step ${k}, ${run.path} path`;
        run.params.forEach((p, i) => {
          compare(p.values, chain.params[i].values, `${where}, parameter ${i}`);
        });
        compareEncoded(encodeState(run.opt.stateDict().state), chainState, `${where}, state`);
      }
    }
  } finally {
    setFusedUpdates(previous);
  }
  return result;

  function note(actual: number, expected: number, where: string): void {
    if (Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected))) return;
    const err = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
    const e = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
    result.maxError = Math.max(result.maxError, e);
    if (e > tolerance) report(`${where}: ${actual}, the chain gives ${expected} (error ${e}, tolerance ${tolerance})`);
  }

  function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, where: string): void {
    if (actual.length !== expected.length) {
      report(`${where}: ${actual.length} elements, the chain's has ${expected.length}`);
      return;
    }
    for (let j = 0; j < actual.length; j++) note(actual[j], expected[j], `${where}[${j}]`);
  }

  function compareEncoded(actual: Encoded, expected: Encoded, where: string): void {
    if (expected === null || typeof expected !== 'object') {
      if (typeof expected === 'number' && typeof actual === 'number') note(actual, expected, where);
      else if (actual !== expected)
        report(`${where}: ${JSON.stringify(actual)}, the chain's is ${JSON.stringify(expected)}`);
      return;
    }
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual) !== Array.isArray(expected)) {
      const kind = Array.isArray(expected) ? 'an array' : 'an object';
      report(`${where}: ${String(JSON.stringify(actual)).slice(0, 80)}, the chain's is ${kind}`);
      return;
    }
    if (Array.isArray(expected)) {
      const a = actual as Encoded[];
      if (a.length !== expected.length) {
        report(`${where}: ${a.length} entries, the chain's has ${expected.length}`);
        return;
      }
      expected.forEach((e, i) => {
        compareEncoded(a[i], e, `${where}[${i}]`);
      });
      return;
    }
    const a = actual as { [k: string]: Encoded };
    const e = expected as { [k: string]: Encoded };
    const keys = Object.keys(e).sort().join(', ');
    if (Object.keys(a).sort().join(', ') !== keys) {
      report(`${where}: keys {${Object.keys(a).sort().join(', ')}}, the chain's are {${keys}}`);
      return;
    }
    if ('$typed' in e) {
      if (a.$typed !== e.$typed) report(`${where}: a ${String(a.$typed)} array, the chain's is ${String(e.$typed)}`);
      // Non-finite elements are encoded by name ('Infinity', 'NaN'): compare the numbers.
      else compare((a.data as (number | string)[]).map(Number), (e.data as (number | string)[]).map(Number), where);
      return;
    }
    for (const key of Object.keys(e)) compareEncoded(a[key], e[key], `${where}.${key}`);
  }
}

/** A kernel spy from {@link spyOnKernel}. */
export interface KernelSpy {
  /** Calls of the kernel since the last {@link KernelSpy.start}. */
  readonly calls: number;
  /** Make the spy's backend active (the kernel counts its calls) and reset the count. */
  start(): void;
  /** Restore the backend that was active before {@link KernelSpy.start}. */
  stop(): void;
}

/**
 * Count the calls of kernel `name` while `start()`..`stop()` are in effect: a backend named
 * `<name>-spy` whose `name` kernel counts, then runs `kernel`. With {@link checkFusedUpdate} it
 * shows that a fused step really runs its kernel rather than falling back to the chain.
 *
 * @example
 * ```ts
 * const spy = spyOnKernel('adamUpdate', adamUpdateKernel);
 * spy.start();
 * checkFusedUpdate(adam, { dtype: 'float64' });
 * spy.stop();
 * spy.calls; // > 0
 * ```
 */
export function spyOnKernel(name: string, kernel: Kernel): KernelSpy {
  const backend = `${name}-spy`;
  let calls = 0;
  let previous = 'cpu';
  registerKernel(
    name,
    (...args: unknown[]) => {
      calls++;
      return kernel(...args);
    },
    backend,
  );
  return {
    get calls() {
      return calls;
    },
    start() {
      previous = getBackend();
      setBackend(backend);
      calls = 0;
    },
    stop() {
      setBackend(previous);
    },
  };
}

/** What {@link checkFusedKernel} returns: {@link checkFusedUpdate}'s result and the kernel's calls. */
export interface FusedKernelCheckResult extends FusedCheckResult {
  /** How many times the spied kernel ran during the check (0: the fused step never took over). */
  kernelCalls: number;
}

/**
 * {@link checkFusedUpdate} with the fused step's kernel spied on ({@link spyOnKernel}): the result, plus how
 * many times the kernel ran. A count of 0 means the fused step never took over, so the check compared the
 * chain with itself.
 *
 * @example
 * ```ts
 * const spy = spyOnKernel('lionUpdate', lionUpdateKernel);
 * const { failures, maxError, kernelCalls } = checkFusedKernel(lion, spy, { dtype: 'float32', tolerance: 0 });
 * expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
 * ```
 */
export function checkFusedKernel(
  factory: Parameters<typeof checkFusedUpdate>[0],
  spy: KernelSpy,
  options: FusedCheckOptions = {},
): FusedKernelCheckResult {
  spy.start();
  try {
    return { ...checkFusedUpdate(factory, options), kernelCalls: spy.calls };
  } finally {
    spy.stop();
  }
}
