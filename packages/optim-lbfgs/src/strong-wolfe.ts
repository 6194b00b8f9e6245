import type { TypedArray } from '@nablajs/core';

/** Python's `max(a, b)`: keeps `a` unless `b > a` (matters only for NaN, where `Math.max` differs). */
function pyMax(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Python's NaN semantics, not Math.max's
  return b > a ? b : a;
}

/** Python's `min(a, b)`: keeps `a` unless `b < a`. */
function pyMin(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Python's NaN semantics, not Math.min's
  return b < a ? b : a;
}

/**
 * The minimiser of the cubic that interpolates `(x1, f1, g1)` and `(x2, f2, g2)` (values and slopes),
 * clamped to `bounds` (default: the interval between x1 and x2); the midpoint of the bounds when the
 * cubic has no real minimiser. PyTorch's `_cubic_interpolate`, after minFunc's `polyinterp`.
 *
 * @example
 * ```ts
 * cubicInterpolate(0, 1, -1, 1, 0.5, 0.5); // a step in (0, 1)
 * ```
 */
export function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  let lo: number;
  let hi: number;
  if (bounds !== undefined) [lo, hi] = bounds;
  else if (x1 <= x2) [lo, hi] = [x1, x2];
  else [lo, hi] = [x2, x1];
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return pyMin(pyMax(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

/** Evaluate the objective at `x + t·d`: its value and a fresh copy of its flat gradient. */
export type DirectionalObjective = (t: number) => Evaluation;

/** The loss and gradient at one point along the search direction. */
export interface Evaluation {
  /** The loss. */
  f: number;
  /** The gradient (flat). */
  g: TypedArray;
}

/** What {@link strongWolfe} returns: the accepted step, its loss and gradient, and how many evaluations it spent. */
export interface LineSearchResult {
  /** The loss at the accepted step. */
  f: number;
  /** The gradient at the accepted step. */
  g: TypedArray;
  /** The accepted step length. */
  t: number;
  /** How many times the objective was evaluated. */
  evals: number;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

/**
 * A line search for a step `t` along `d` satisfying the strong Wolfe conditions
 * `f(x + t d) ≤ f + c1·t·gtd` and `|∇f(x + t d)·d| ≤ -c2·gtd`: a bracketing phase that extrapolates
 * with cubic interpolation, then a zoom phase that shrinks the bracket. At most `maxLs` evaluations
 * after the first. PyTorch's `_strong_wolfe` (after minFunc's and torch7's `lswolfe`), step for step,
 * so that the evaluation counts match PyTorch's.
 *
 * @param obj - evaluates the objective at `x + t·d`
 * @param t - the initial trial step
 * @param d - the search direction
 * @param f - the loss at `x`
 * @param g - the flat gradient at `x`
 * @param gtd - the directional derivative `g·d` at `x` (negative)
 *
 * @example
 * ```ts
 * const { t, f, g, evals } = strongWolfe(obj, 1, d, loss, flatGrad, gtd);
 * ```
 */
export function strongWolfe(
  obj: DirectionalObjective,
  t: number,
  d: ArrayLike<number>,
  f: number,
  g: TypedArray,
  gtd: number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): LineSearchResult {
  let dNorm = 0;
  for (let j = 0; j < d.length; j++) dNorm = pyMax(dNorm, Math.abs(d[j]));
  const g0: TypedArray = g.slice();
  let { f: fNew, g: gNew } = obj(t);
  let evals = 1;
  let gtdNew = dot(gNew, d);

  // Bracketing phase: find an interval that contains a point satisfying the conditions.
  let tPrev = 0;
  let fPrev = f;
  let gPrev: TypedArray = g0;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: TypedArray[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // Extrapolate: a cubic step, at least 1% past t and at most 10 t.
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    ({ f: fNew, g: gNew } = obj(t));
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g0, gNew];
  }

  // Zoom phase: shrink the bracket until a point satisfies the conditions.
  let insufficientProgress = false;
  let [low, high] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);

    // If t is too close to an end of the bracket twice in a row (or outside it), move it to 10% of
    // the bracket's length from the nearest end.
    const bMax = pyMax(bracket[0], bracket[1]);
    const bMin = pyMin(bracket[0], bracket[1]);
    const eps = 0.1 * (bMax - bMin);
    if (pyMin(bMax - t, t - bMin) < eps) {
      if (insufficientProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufficientProgress = false;
      } else insufficientProgress = true;
    } else insufficientProgress = false;

    ({ f: fNew, g: gNew } = obj(t));
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;

    if (fNew > f + c1 * t * gtd || fNew >= bracketF[low]) {
      // Armijo condition fails, or no lower than the lowest point: t becomes the high end.
      bracket[high] = t;
      bracketF[high] = fNew;
      bracketG[high] = gNew;
      bracketGtd[high] = gtdNew;
      [low, high] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[high] - bracket[low]) >= 0) {
        // The old high end becomes the new low end.
        bracket[high] = bracket[low];
        bracketF[high] = bracketF[low];
        bracketG[high] = bracketG[low];
        bracketGtd[high] = bracketGtd[low];
      }
      bracket[low] = t;
      bracketF[low] = fNew;
      bracketG[low] = gNew;
      bracketGtd[low] = gtdNew;
    }
  }
  return { f: bracketF[low], g: bracketG[low], t: bracket[low], evals };
}
