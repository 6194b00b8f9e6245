import {
  allocate,
  type DType,
  enableGrad,
  hostReadsMayWait,
  runOnHostNow,
  type Tensor,
  type TypedArray,
  ValueError,
} from '@nablajs/core';
import {
  addHook,
  type Closure,
  closureLossValue,
  type Hyperparams,
  type HyperValue,
  isTensorList,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type StepHook,
  stepWhenOnHost,
  writeStateDict,
} from '@nablajs/optim';
import {
  checkOptionNames,
  checkParams,
  DEFAULTS,
  dot,
  freshState,
  type LbfgsState,
  maxAbs,
  NAME,
  readLbfgsStateDict,
  rememberPair,
  type Spares,
  twoLoop,
  validate,
} from './lbfgs-state';
import type { LbfgsOptimizer, LbfgsOptions } from './options';
import { strongWolfe } from './strong-wolfe';

class Lbfgs implements LbfgsOptimizer {
  readonly name = NAME;
  readonly requiresClosure = true;
  readonly defaults: Readonly<Hyperparams>;
  readonly paramGroups: ParamGroup[];
  private readonly params: Tensor[];
  private readonly numel: number;
  private readonly dtype: DType;
  private state: LbfgsState = freshState();
  private readonly before: StepHook[] = [];
  private readonly after: StepHook[] = [];
  // Scratch buffers (not state): reused across steps.
  private readonly flatGrad: TypedArray;
  private readonly xInit: TypedArray;
  private readonly spares: Spares = { y: null, s: null };
  private al: Float64Array = new Float64Array(0);

  constructor(input: ParamsInput, options: LbfgsOptions) {
    if (options === null || typeof options !== 'object') throw new ValueError(`${NAME}: options must be an object`);
    checkOptionNames(options, 'options');
    const merged = { ...DEFAULTS, ...options } as Record<string, HyperValue>;
    if (merged.maxEval === null || merged.maxEval === undefined)
      merged.maxEval = Math.floor(((merged.maxIter as number) * 5) / 4);
    validate(merged);
    this.defaults = Object.freeze(merged as Hyperparams);
    if (!Array.isArray(input) || input.length === 0)
      throw new ValueError(`${NAME}: params must be a non-empty array of tensors or of one parameter group`);
    let params: readonly Tensor[];
    let overrides: Record<string, unknown> = {};
    if (isTensorList(input)) params = input;
    else {
      const groups = input as readonly unknown[];
      if (groups.length !== 1)
        throw new ValueError(
          `${NAME}: L-BFGS supports a single parameter group (as PyTorch's LBFGS), got ${groups.length}; pass one list of parameters`,
        );
      const group = groups[0] as { params: readonly Tensor[] } & Record<string, unknown>;
      if (group === null || typeof group !== 'object' || !Array.isArray(group.params))
        throw new ValueError(`${NAME}: a parameter group must be an object with a params array`);
      ({ params, ...overrides } = group);
      checkOptionNames(overrides, 'parameter group 0');
    }
    checkParams(params);
    const hp = { ...this.defaults, ...overrides } as Hyperparams;
    if (!('maxEval' in overrides) && 'maxIter' in overrides) hp.maxEval = Math.floor(((hp.maxIter as number) * 5) / 4);
    validate(hp);
    this.params = [...params];
    this.paramGroups = [{ ...hp, params: this.params } as ParamGroup];
    this.dtype = params[0].dtype;
    this.numel = this.params.reduce((n, p) => n + p.size, 0);
    this.flatGrad = allocate(this.dtype, this.numel);
    this.xInit = allocate(this.dtype, this.numel);
  }

  get funcEvals(): number {
    return this.state.funcEvals;
  }

  get nIter(): number {
    return this.state.nIter;
  }

  private group(): ParamGroup {
    return this.paramGroups[0];
  }

  /** Copy every gradient into `out` (zeros where a gradient is null), PyTorch's `_gather_flat_grad`. */
  private gatherFlatGrad(out: TypedArray): void {
    let offset = 0;
    for (const p of this.params) {
      const g = p.grad;
      if (g === null) out.fill(0, offset, offset + p.size);
      else out.set(g.values, offset);
      offset += p.size;
    }
  }

  /** `p ← p + t·d` over the flat view, PyTorch's `_add_grad`. */
  private addStep(t: number, d: TypedArray): void {
    let offset = 0;
    for (const p of this.params) {
      const data = p.values;
      for (let j = 0; j < data.length; j++) data[j] += t * d[offset + j];
      p.markModified();
      offset += data.length;
    }
  }

  private copyParamsTo(out: TypedArray): void {
    let offset = 0;
    for (const p of this.params) {
      out.set(p.values, offset);
      offset += p.size;
    }
  }

  private setParams(x: TypedArray): void {
    let offset = 0;
    for (const p of this.params) {
      p.values.set(x.subarray(offset, offset + p.size));
      p.markModified();
      offset += p.size;
    }
  }

  private evaluate(closure: Closure): number {
    return closureLossValue(NAME, enableGrad(closure));
  }

  /**
   * `step(closure)` with the loss as a promise, for code written for every backend. L-BFGS needs its losses
   * within the step, so on the webgpu backend the parameters and their gradients come back first and the step
   * runs on the host (bring any other value the closure reads with `bringToHost` first).
   */
  async stepAsync(closure?: Closure): Promise<number> {
    return stepWhenOnHost(this.paramGroups, () => this.step(closure));
  }

  step(closure?: Closure): number {
    if (typeof closure !== 'function')
      throw new ValueError(
        `${NAME}.step: L-BFGS re-evaluates the loss several times per step and needs a closure, got ${closure === undefined ? 'none' : typeof closure}; ` +
          'call opt.step(() => { opt.zeroGrad(); const loss = f(); loss.backward(); return loss; })',
      );
    const group = this.group();
    validate(group);
    if (hostReadsMayWait())
      // The losses are needed at once: the whole step runs on the host, with the cpu kernels.
      return runOnHostNow(
        this.params.map((p) => p._array),
        `${NAME}.step (a step with a closure runs on the host on the webgpu backend: await bringToHost(params) first)`,
        () => this.run(closure, group),
      );
    return this.run(closure, group);
  }

  private run(closure: Closure, group: ParamGroup): number {
    const lr = group.lr;
    const maxIter = group.maxIter as number;
    const maxEval = group.maxEval as number;
    const toleranceGrad = group.toleranceGrad as number;
    const toleranceChange = group.toleranceChange as number;
    const historySize = group.historySize as number;
    const lineSearch = group.lineSearchFn === 'strong_wolfe';
    const state = this.state;
    const flatGrad = this.flatGrad;

    const origLoss = this.evaluate(closure);
    let loss = origLoss;
    let currentEvals = 1;
    state.funcEvals += 1;
    for (const hook of [...this.before]) hook(this);

    this.gatherFlatGrad(flatGrad);
    let optCond = maxAbs(flatGrad) <= toleranceGrad;
    if (optCond) {
      for (const hook of [...this.after]) hook(this);
      return origLoss;
    }

    let { d, t, hDiag, prevFlatGrad, prevLoss } = state;
    const { oldDirs, oldStps, ro } = state;
    if (this.al.length < historySize) this.al = new Float64Array(historySize);
    const al = this.al;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter++;
      state.nIter++;

      // The search direction.
      if (state.nIter === 1) {
        d ??= allocate(this.dtype, this.numel);
        for (let j = 0; j < d.length; j++) d[j] = -flatGrad[j];
        oldDirs.length = 0;
        oldStps.length = 0;
        ro.length = 0;
        hDiag = 1;
      } else {
        const dir = d as TypedArray;
        hDiag = rememberPair(state, this.spares, () => allocate(this.dtype, this.numel), {
          g: flatGrad,
          prev: prevFlatGrad as TypedArray,
          dir,
          t: t as number,
          historySize,
          hDiag,
        });
        twoLoop(dir, flatGrad, state, hDiag, al);
      }
      const dir = d as TypedArray;

      prevFlatGrad ??= allocate(this.dtype, this.numel);
      prevFlatGrad.set(flatGrad);
      prevLoss = loss;

      // The step length: the first iteration ever is scaled down by the gradient's l1 norm.
      if (state.nIter === 1) {
        let l1 = 0;
        for (let j = 0; j < flatGrad.length; j++) l1 += Math.abs(flatGrad[j]);
        t = Math.min(1, 1 / l1) * lr;
      } else t = lr;

      const gtd = dot(flatGrad, dir);
      if (gtd > -toleranceChange) break;

      let lsFuncEvals = 0;
      if (lineSearch) {
        const xInit = this.xInit;
        this.copyParamsTo(xInit);
        const objective = (step: number) => {
          this.addStep(step, dir);
          const f = this.evaluate(closure);
          const g = allocate(this.dtype, this.numel);
          this.gatherFlatGrad(g);
          this.setParams(xInit);
          return { f, g };
        };
        const result = strongWolfe(objective, t, dir, loss, flatGrad, gtd);
        loss = result.f;
        flatGrad.set(result.g);
        t = result.t;
        lsFuncEvals = result.evals;
        this.addStep(t, dir);
        optCond = maxAbs(flatGrad) <= toleranceGrad;
      } else {
        this.addStep(t, dir);
        if (nIter !== maxIter) {
          // NOTE: no re-evaluation after the last iteration (PyTorch: useless in a stochastic setting).
          loss = this.evaluate(closure);
          this.gatherFlatGrad(flatGrad);
          optCond = maxAbs(flatGrad) <= toleranceGrad;
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.funcEvals += lsFuncEvals;

      // Stopping conditions.
      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      let stepMax = 0;
      for (let j = 0; j < dir.length; j++) {
        const v = Math.abs(dir[j] * t);
        if (v > stepMax || Number.isNaN(v)) stepMax = v;
      }
      if (stepMax <= toleranceChange) break;
      if (Math.abs(loss - (prevLoss as number)) < toleranceChange) break;
    }

    Object.assign(state, { d, t, hDiag, prevFlatGrad, prevLoss });
    for (const hook of [...this.after]) hook(this);
    return origLoss;
  }

  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      const g = p.grad;
      if (setToNone) p.grad = null;
      else if (g !== null) {
        g.values.fill(0);
        g.markModified();
      }
    }
  }

  addParamGroup(_group: ParamGroupInput): void {
    throw new ValueError(`${NAME}.addParamGroup: L-BFGS supports a single parameter group (as PyTorch's LBFGS)`);
  }

  stateDict(): OptimizerStateDict {
    return writeStateDict(NAME, [this.group()], [this.state], {}, undefined);
  }

  loadStateDict(sd: OptimizerStateDict): void {
    const { hp, state } = readLbfgsStateDict(sd, this.group(), this.flatGrad);
    // Everything checked: only now change the optimizer.
    const { params: _p, ...restored } = hp;
    Object.assign(this.group(), restored);
    this.state = state;
    this.spares.y = null;
    this.spares.s = null;
  }

  onBeforeStep(hook: StepHook): () => void {
    return addHook(this.before, hook);
  }

  onAfterStep(hook: StepHook): () => void {
    return addHook(this.after, hook);
  }
}

/**
 * L-BFGS (Liu & Nocedal, 1989), exactly as PyTorch's `torch.optim.LBFGS` (after minFunc): a
 * quasi-Newton method that keeps the last `historySize` curvature pairs and needs a closure, which it
 * calls several times per `step(closure)`.
 *
 * Each `step(closure)` evaluates the loss and gradient g, returns at once if `max|g| ≤ toleranceGrad`,
 * then runs up to `maxIter` inner iterations:
 * - store the pair `s = t·d`, `y = g - g_prev` when `y·s > 1e-10` (dropping the oldest beyond
 *   `historySize`) and set `H_diag = y·s / y·y`;
 * - the direction `d = -H·g` by the two-loop recursion (`d = -g` on the very first iteration);
 * - the step `t = min(1, 1/‖g‖₁)·lr` on the very first iteration, `lr` after; with
 *   `lineSearchFn: 'strong_wolfe'`, t comes from a strong Wolfe line search (c1 = 1e-4, c2 = 0.9,
 *   at most 25 evaluations);
 * - `x ← x + t·d`; without a line search the closure is re-evaluated except after the last iteration.
 *
 * It stops when `g·d > -toleranceChange`, after `maxIter` iterations or `maxEval` evaluations, when
 * `max|g| ≤ toleranceGrad`, `max|t·d| ≤ toleranceChange` or `|loss - prevLoss| < toleranceChange`.
 * The state (direction, step, history, H_diag, previous gradient and loss, and the counters
 * `funcEvals` / `nIter`) persists across steps and is saved by `stateDict()`.
 *
 * Defaults (PyTorch's): `lr = 1`, `maxIter = 20`, `maxEval = floor(maxIter·5/4)`, `toleranceGrad = 1e-7`,
 * `toleranceChange = 1e-9`, `historySize = 100`, `lineSearchFn = null`.
 *
 * Like PyTorch's: one parameter group only (`addParamGroup` throws), all parameters of one dtype and
 * flattened into one vector; a parameter whose gradient is null counts as a zero gradient (it can
 * still move through the history); `step()` without a closure throws. Hooks: `onBeforeStep` hooks
 * run after the first closure evaluation (as in every nabla optimizer), `onAfterStep` hooks at the end.
 * Memory: about `(2·historySize + 5)` copies of the parameters. On the webgpu backend the step runs on the
 * host: `await opt.stepAsync(closure)` brings the parameters and gradients back first.
 *
 * @see https://pytorch.org/docs/stable/generated/torch.optim.LBFGS.html
 * @see Nocedal & Wright, Numerical Optimization (2006), algorithms 7.4 (two-loop recursion) and 3.5-3.6 (line search)
 * @example
 * ```ts
 * const opt = lbfgs([x], { lineSearchFn: 'strong_wolfe' });
 * for (let i = 0; i < 10; i++) {
 *   const loss = opt.step(() => {
 *     opt.zeroGrad();
 *     const l = f(x);
 *     l.backward();
 *     return l;
 *   });
 * }
 * ```
 */
export function lbfgs(params: ParamsInput, options: LbfgsOptions = {}): LbfgsOptimizer {
  return new Lbfgs(params, options);
}
