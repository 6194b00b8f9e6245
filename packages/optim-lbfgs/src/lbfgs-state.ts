// L-BFGS's state and the pieces of its step that need no optimizer: the options' defaults and checks, the
// checks of a loaded state, the vector helpers and the two-loop recursion.
import { DTypeError, isFloatingDType, isHalfDType, type Tensor, type TypedArray, ValueError } from '@nablajs/core';
import { checkNumber, decodeState, type HyperValue, type OptimizerStateDict, type ParamGroup } from '@nablajs/optim';

/** L-BFGS's state, global to its one group (PyTorch keeps it on the first parameter). Plain data. */
export interface LbfgsState {
  funcEvals: number;
  nIter: number;
  /** The last search direction (flat), or null before the first iteration. */
  d: TypedArray | null;
  /** The last step length, or null before the first iteration. */
  t: number | null;
  /** The stored gradient differences y, oldest first. */
  oldDirs: TypedArray[];
  /** The stored steps s, oldest first. */
  oldStps: TypedArray[];
  /** 1 / (y·s) for each stored pair. */
  ro: number[];
  /** The scale of the initial inverse Hessian, y·s / y·y of the newest pair. */
  hDiag: number;
  /** The flat gradient at the start of the last iteration. */
  prevFlatGrad: TypedArray | null;
  /** The loss at the start of the last iteration. */
  prevLoss: number | null;
}

export const NAME = 'lbfgs';

export const DEFAULTS = {
  lr: 1,
  maxIter: 20,
  maxEval: null as number | null,
  toleranceGrad: 1e-7,
  toleranceChange: 1e-9,
  historySize: 100,
  lineSearchFn: null as 'strong_wolfe' | null,
};

const OPTION_NAMES = Object.keys(DEFAULTS);

export function validate(hp: Readonly<Record<string, unknown>>): void {
  checkNumber(NAME, 'lr', hp.lr, { min: 0 });
  checkNumber(NAME, 'maxIter', hp.maxIter, { min: 1, integer: true });
  checkNumber(NAME, 'maxEval', hp.maxEval, { min: 1, integer: true });
  checkNumber(NAME, 'toleranceGrad', hp.toleranceGrad, { min: 0 });
  checkNumber(NAME, 'toleranceChange', hp.toleranceChange, { min: 0 });
  checkNumber(NAME, 'historySize', hp.historySize, { min: 1, integer: true });
  for (const key of ['lr', 'toleranceGrad', 'toleranceChange'])
    if (!Number.isFinite(hp[key]))
      throw new ValueError(`${NAME}: ${key} must be a finite number, got ${String(hp[key])}`);
  if (hp.lineSearchFn !== null && hp.lineSearchFn !== 'strong_wolfe')
    throw new ValueError(
      `${NAME}: lineSearchFn must be 'strong_wolfe' or null, got ${JSON.stringify(hp.lineSearchFn)}`,
    );
}

export function checkOptionNames(options: object, where: string): void {
  for (const key of Object.keys(options))
    if (!OPTION_NAMES.includes(key))
      throw new ValueError(
        `${NAME}: unknown option ${JSON.stringify(key)} in ${where}; valid options: ${OPTION_NAMES.join(', ')}`,
      );
}

export function freshState(): LbfgsState {
  return {
    funcEvals: 0,
    nIter: 0,
    d: null,
    t: null,
    oldDirs: [],
    oldStps: [],
    ro: [],
    hDiag: 1,
    prevFlatGrad: null,
    prevLoss: null,
  };
}

export function dot(a: TypedArray, b: TypedArray): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

export function maxAbs(a: TypedArray): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) {
    const v = Math.abs(a[j]);
    if (v > m || Number.isNaN(v)) m = v;
    if (Number.isNaN(m)) return m;
  }
  return m;
}

/** Spare vectors for the next pair, reused from the pairs the history drops. */
export interface Spares {
  y: TypedArray | null;
  s: TypedArray | null;
}

/**
 * Remember the last step `s = t·d` and gradient change `y = g - prev` in `state`'s history when `y·s >
 * 1e-10` (PyTorch's curvature condition), dropping the oldest pairs beyond `historySize`; returns the new
 * scale of the initial inverse Hessian (`y·s / y·y`), or `hDiag` when the pair is skipped. `make` gives a
 * new vector when no spare is left.
 */
export function rememberPair(
  state: LbfgsState,
  spares: Spares,
  make: () => TypedArray,
  step: { g: TypedArray; prev: TypedArray; dir: TypedArray; t: number; historySize: number; hDiag: number },
): number {
  const { g, prev, dir, t, historySize } = step;
  const { oldDirs, oldStps, ro } = state;
  spares.y ??= make();
  spares.s ??= make();
  const y = spares.y;
  const s = spares.s;
  for (let j = 0; j < y.length; j++) {
    y[j] = g[j] - prev[j];
    s[j] = dir[j] * t;
  }
  const ys = dot(y, s);
  if (!(ys > 1e-10)) return step.hDiag;
  // NOTE: PyTorch drops one pair when exactly full; `while` also copes with a lowered historySize.
  spares.y = null;
  spares.s = null;
  while (oldDirs.length >= historySize) {
    spares.y = oldDirs.shift() as TypedArray;
    spares.s = oldStps.shift() as TypedArray;
    ro.shift();
  }
  oldDirs.push(y);
  oldStps.push(s);
  ro.push(1 / ys);
  return ys / dot(y, y);
}

/**
 * The two-loop recursion: `dir = -H·g`, with `H` the L-BFGS inverse Hessian approximation of the stored
 * pairs (`oldDirs`, `oldStps`, `ro` of `state`) scaled by `hDiag`; `al` is scratch of the history's size.
 */
export function twoLoop(dir: TypedArray, g: TypedArray, state: LbfgsState, hDiag: number, al: Float64Array): void {
  const { oldDirs, oldStps, ro } = state;
  const numOld = oldDirs.length;
  for (let j = 0; j < dir.length; j++) dir[j] = -g[j];
  for (let i = numOld - 1; i >= 0; i--) {
    al[i] = dot(oldStps[i], dir) * ro[i];
    const a = -al[i];
    const yi = oldDirs[i];
    for (let j = 0; j < dir.length; j++) dir[j] += a * yi[j];
  }
  for (let j = 0; j < dir.length; j++) dir[j] *= hDiag;
  for (let i = 0; i < numOld; i++) {
    const be = dot(oldDirs[i], dir) * ro[i];
    const c = al[i] - be;
    const si = oldStps[i];
    for (let j = 0; j < dir.length; j++) dir[j] += c * si[j];
  }
}

/**
 * A decoded state dict's L-BFGS state, checked against the optimizer's flat vectors (of the array type and
 * length of `like`); throws a ValueError naming `fn` and what does not fit.
 */
export function checkLbfgsState(value: unknown, fn: string, like: TypedArray): LbfgsState {
  const kind = like.constructor;
  const numel = like.length;
  const bad = (what: string): never => {
    throw new ValueError(`${fn}: the saved state does not fit these parameters (${what})`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('expected an object');
  const s = value as Record<string, unknown>;
  const expected = Object.keys(freshState()).sort().join(', ');
  if (Object.keys(s).sort().join(', ') !== expected)
    bad(`keys {${Object.keys(s).sort().join(', ')}}, expected {${expected}}`);
  const vector = (v: unknown, path: string, nullable: boolean): void => {
    if (v === null && nullable) return;
    if (!(v instanceof Float32Array || v instanceof Float64Array)) {
      bad(`${path}: expected a typed array`);
      return;
    }
    if (v.constructor !== kind) bad(`${path}: ${v.constructor.name}, expected ${kind.name}`);
    if (v.length !== numel) bad(`${path}: length ${v.length}, expected ${numel}`);
  };
  for (const k of ['funcEvals', 'nIter'])
    if (typeof s[k] !== 'number' || !Number.isInteger(s[k]) || (s[k] as number) < 0) bad(`${k}: expected a count`);
  if (typeof s.hDiag !== 'number') bad('hDiag: expected a number');
  if (s.t !== null && typeof s.t !== 'number') bad('t: expected a number or null');
  if (s.prevLoss !== null && typeof s.prevLoss !== 'number') bad('prevLoss: expected a number or null');
  vector(s.d, 'd', true);
  vector(s.prevFlatGrad, 'prevFlatGrad', true);
  if (!Array.isArray(s.oldDirs) || !Array.isArray(s.oldStps) || !Array.isArray(s.ro))
    return bad('history: expected arrays');
  if (s.oldStps.length !== s.oldDirs.length || s.ro.length !== s.oldDirs.length)
    bad(`history: ${s.oldDirs.length} directions, ${s.oldStps.length} steps and ${s.ro.length} ro values`);
  for (let i = 0; i < s.oldDirs.length; i++) vector(s.oldDirs[i], `oldDirs[${i}]`, false);
  for (let i = 0; i < s.oldStps.length; i++) vector(s.oldStps[i], `oldStps[${i}]`, false);
  if (s.ro.some((r) => typeof r !== 'number')) bad('ro: expected numbers');
  if ((s.nIter as number) > 0 && (s.d === null || s.prevFlatGrad === null || s.t === null))
    bad('d, t and prevFlatGrad must be set once nIter > 0');
  return s as unknown as LbfgsState;
}

/**
 * A state dict for the optimizer whose one group is `group` and whose flat vectors are like `like`,
 * checked whole (name, one group, its parameter count, options and values, the state): the group's
 * hyperparameters with the saved ones over them, and the decoded state. Throws a ValueError naming
 * `lbfgs.loadStateDict` and what does not fit; changes nothing.
 */
export function readLbfgsStateDict(
  sd: OptimizerStateDict,
  group: ParamGroup,
  like: TypedArray,
): { hp: ParamGroup; state: LbfgsState } {
  const fn = `${NAME}.loadStateDict`;
  if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || !Array.isArray(sd.state))
    throw new ValueError(`${fn}: expected an object from stateDict() with paramGroups and state`);
  if (sd.name !== NAME)
    throw new ValueError(`${fn}: the state is from optimizer ${JSON.stringify(sd.name)}, this one is "${NAME}"`);
  if (sd.paramGroups.length !== 1 || sd.state.length !== 1)
    throw new ValueError(`${fn}: the state has ${sd.paramGroups.length} parameter groups, L-BFGS has exactly 1`);
  const { params, ...encodedHp } = sd.paramGroups[0];
  const count = group.params.length;
  if (!Array.isArray(params) || params.length !== count)
    throw new ValueError(
      `${fn}: the state has ${Array.isArray(params) ? params.length : 'no'} parameters, this optimizer has ${count}`,
    );
  checkOptionNames(encodedHp, 'the state');
  const hp = { ...group, ...(decodeState(encodedHp) as Record<string, HyperValue>) } as ParamGroup;
  validate(hp);
  return { hp, state: checkLbfgsState(decodeState(sd.state[0]), fn, like) };
}

/** L-BFGS's parameters, checked: tensors, leaves, each once, all float32 or all float64 (one flat vector). */
export function checkParams(params: readonly Tensor[]): void {
  if (params.length === 0) throw new ValueError(`${NAME}: params must not be empty`);
  const seen = new Set<Tensor>();
  params.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || !('data' in p) || !('shape' in p))
      throw new ValueError(`${NAME}: params[${i}] is not a Tensor`);
    if (!isFloatingDType(p.dtype) || isHalfDType(p.dtype))
      throw new DTypeError(`${NAME}: params[${i}] is ${p.dtype}; only float32 and float64 tensors can be optimized`);
    if (p.dtype !== params[0].dtype)
      throw new DTypeError(
        `${NAME}: params[${i}] is ${p.dtype} but params[0] is ${params[0].dtype}; L-BFGS flattens all parameters into one vector of one dtype`,
      );
    if (!p.isLeaf)
      throw new ValueError(
        `${NAME}: params[${i}] is not a leaf tensor (it was computed by an op); optimize its leaves`,
      );
    if (seen.has(p)) throw new ValueError(`${NAME}: params[${i}] appears twice`);
    seen.add(p);
  });
}
