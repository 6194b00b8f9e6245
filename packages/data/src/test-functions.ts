import { reshape, ShapeError, split, Tensor, ValueError } from '@nablajs/core';
import { formatShape } from './util';

/** A point of the plane, `[x, y]`. */
export type Point2d = readonly [x: number, y: number];

/**
 * A 2-D test function for optimizer studies: the function itself, built from core ops so that it is
 * differentiable (twice), a customary starting point, its minimizers and minimum value, and a box to
 * plot it in.
 */
export interface TestFunction {
  /** The name, as in {@link TEST_FUNCTIONS}. */
  readonly name: string;
  /** The formula, in plain text. */
  readonly formula: string;
  /**
   * Evaluate at `xy` of shape `[2]` (a scalar result), or at a batch of points `[..., 2]` (a result of
   * shape `[...]`, for contour plots). Differentiable with respect to `xy`.
   */
  f(xy: Tensor): Tensor;
  /** The customary starting point of an optimizer run. */
  readonly start: Point2d;
  /** Every global minimizer (none for a function unbounded below). */
  readonly minima: readonly Point2d[];
  /** The minimum value (`-Infinity` for a function unbounded below). */
  readonly minimum: number;
  /** A box that shows the interesting part of the function. */
  readonly bounds: {
    /** The x range `[lo, hi]`. */
    readonly x: Point2d;
    /** The y range `[lo, hi]`. */
    readonly y: Point2d;
  };
}

/** Split `xy` (`[..., 2]`) into its x and y coordinates (`[...]` each); `name` names the caller in errors. */
function coordinates(name: string, xy: Tensor): [Tensor, Tensor] {
  if (!(xy instanceof Tensor)) throw new ValueError(`${name}: xy must be a Tensor of shape [2] or [..., 2]`);
  if (xy.ndim === 0 || xy.shape[xy.ndim - 1] !== 2)
    throw new ShapeError(`${name}: xy must have shape [2] or [..., 2], got ${formatShape(xy.shape)}`);
  const shape = xy.shape.slice(0, -1);
  const [x, y] = split(xy, 1, -1);
  return [reshape(x, shape), reshape(y, shape)];
}

function define(spec: Omit<TestFunction, 'f'>, body: (x: Tensor, y: Tensor) => Tensor): TestFunction {
  return Object.freeze({
    ...spec,
    f: (xy: Tensor) => {
      const [x, y] = coordinates(spec.name, xy);
      return body(x, y);
    },
  });
}

/**
 * Rosenbrock's banana function with `a = 1`, `b = 100`: `f(x, y) = (a - x)² + b (y - x²)²`, minimum 0 at
 * `(a, a²) = (1, 1)` at the end of a long, flat, curved valley. Start `(-1.5, 2)`.
 *
 * Reference: H. H. Rosenbrock (1960), An Automatic Method for Finding the Greatest or Least Value of a
 * Function, The Computer Journal 3(3).
 *
 * @example
 * ```ts
 * rosenbrock.f(tensor([1, 1])).item(); // 0
 * rosenbrock.f(tensor(rosenbrock.start)).item(); // 12.5
 * ```
 */
export const rosenbrock: TestFunction = define(
  {
    name: 'rosenbrock',
    formula: '(1 - x)^2 + 100 (y - x^2)^2',
    start: [-1.5, 2],
    minima: [[1, 1]],
    minimum: 0,
    bounds: { x: [-2, 2], y: [-1, 3] },
  },
  (x, y) => x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)),
);

/**
 * Beale's function: `f(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²`, minimum 0 at
 * `(3, 0.5)`, with sharp ridges toward the corners of `[-4.5, 4.5]²`. Start `(3, 4)`, as in Louis Tiao's
 * "Visualizing and Animating Optimization Algorithms with Matplotlib" (2016): it punishes too much
 * momentum. Its gradient there is large (norm about 6e4), so plain gradient descent needs a small rate.
 *
 * Reference: E. M. L. Beale (1958), On an Iterative Method for Finding a Local Minimum of a Function of
 * More than One Variable, Technical Report 25, Statistical Techniques Research Group, Princeton University.
 *
 * @example
 * ```ts
 * beale.f(tensor([3, 0.5])).item(); // 0
 * ```
 */
export const beale: TestFunction = define(
  {
    name: 'beale',
    formula: '(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2',
    start: [3, 4],
    minima: [[3, 0.5]],
    minimum: 0,
    bounds: { x: [-4.5, 4.5], y: [-4.5, 4.5] },
  },
  (x, y) => {
    const term = (c: number, yk: Tensor) => x.mul(yk).sub(x).add(c).square();
    const y2 = y.square();
    return term(1.5, y)
      .add(term(2.25, y2))
      .add(term(2.625, y2.mul(y)));
  },
);

/**
 * Himmelblau's function: `f(x, y) = (x² + y - 11)² + (x + y² - 7)²`, with four global minima of value 0
 * (at `(3, 2)` and three irrational points) around a local maximum near `(-0.27, -0.92)`; which minimum
 * an optimizer reaches depends on where it starts. Start `(0, 0)`.
 *
 * Reference: D. M. Himmelblau (1972), Applied Nonlinear Programming, McGraw-Hill.
 *
 * @example
 * ```ts
 * himmelblau.f(tensor([3, 2])).item(); // 0
 * himmelblau.minima.length; // 4
 * ```
 */
export const himmelblau: TestFunction = define(
  {
    name: 'himmelblau',
    formula: '(x^2 + y - 11)^2 + (x + y^2 - 7)^2',
    start: [0, 0],
    minima: [
      [3, 2],
      [-2.805118086952745, 3.131312518250573],
      [-3.779310253377747, -3.2831859912861696],
      [3.5844283403304917, -1.8481265269644034],
    ],
    minimum: 0,
    bounds: { x: [-5, 5], y: [-5, 5] },
  },
  (x, y) => x.square().add(y).sub(11).square().add(y.square().add(x).sub(7).square()),
);

/**
 * A saddle: `f(x, y) = x² - y²`, with a stationary point at the origin that is a minimum along x and a
 * maximum along y, and no minimum at all (`minimum` is `-Infinity`). The start `(1, 0.001)` lies almost
 * on the ridge: gradient descent first slides toward the saddle and only escapes once the tiny `y` has
 * grown, which shows how fast a method leaves a saddle point.
 *
 * @example
 * ```ts
 * saddle.f(tensor([1, 2])).item(); // -3
 * ```
 */
export const saddle: TestFunction = define(
  {
    name: 'saddle',
    formula: 'x^2 - y^2',
    start: [1, 0.001],
    minima: [],
    minimum: Number.NEGATIVE_INFINITY,
    bounds: { x: [-1.5, 1.5], y: [-1.5, 1.5] },
  },
  (x, y) => x.square().sub(y.square()),
);

/** Options of {@link quadratic}. */
export interface QuadraticOptions {
  /** The condition number: the ratio of the Hessian's eigenvalues, >= 1 (default 100). */
  condition?: number;
  /** The angle in radians between the x axis and the flat direction of the valley (default 0). */
  angle?: number;
  /** The starting point (default `(-1.5, 0.5)`). */
  start?: Point2d;
}

/**
 * An ill-conditioned quadratic bowl, `f = ½ (u² + κ v²)` with `(u, v)` the point `(x, y)` rotated by
 * `-angle`: the Hessian has eigenvalues 1 and `κ = condition`, so gradient descent must take steps below
 * `2 / κ` and then crawls along the flat direction, the case that momentum and preconditioning fix. With
 * `angle = 0` the valley is axis-aligned, which favours per-coordinate methods (Adam, RMSprop); a
 * rotated valley does not. Minimum 0 at the origin.
 *
 * @example
 * ```ts
 * const q = quadratic({ condition: 1000, angle: Math.PI / 4 });
 * q.f(tensor([0, 0])).item(); // 0
 * ```
 */
export function quadratic(options: QuadraticOptions = {}): TestFunction {
  const { condition = 100, angle = 0, start = [-1.5, 0.5] } = options;
  if (typeof condition !== 'number' || !Number.isFinite(condition) || condition < 1)
    throw new ValueError(`quadratic: condition must be a finite number >= 1, got ${String(condition)}`);
  if (typeof angle !== 'number' || !Number.isFinite(angle))
    throw new ValueError(`quadratic: angle must be a finite number (radians), got ${String(angle)}`);
  if (!Array.isArray(start) || start.length !== 2 || !start.every(Number.isFinite))
    throw new ValueError(`quadratic: start must be a point [x, y], got ${JSON.stringify(start)}`);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return define(
    {
      name: angle === 0 && condition === 100 ? 'illConditioned' : `quadratic(condition=${condition}, angle=${angle})`,
      formula:
        angle === 0
          ? `0.5 (x^2 + ${condition} y^2)`
          : `0.5 (u^2 + ${condition} v^2), (u, v) = (x, y) rotated by ${-angle}`,
      start: [start[0], start[1]],
      minima: [[0, 0]],
      minimum: 0,
      bounds: { x: [-2, 2], y: [-2, 2] },
    },
    (x, y) => {
      const u = angle === 0 ? x : x.mul(c).add(y.mul(s));
      const v = angle === 0 ? y : y.mul(c).sub(x.mul(s));
      return u.square().add(v.square().mul(condition)).mul(0.5);
    },
  );
}

/**
 * The axis-aligned quadratic `f(x, y) = ½ (x² + 100 y²)`, condition number 100, from `(-1.5, 0.5)`:
 * `quadratic()` with its defaults.
 *
 * @example
 * ```ts
 * illConditioned.f(tensor([1, 1])).item(); // 50.5
 * ```
 */
export const illConditioned: TestFunction = quadratic();

/** The names of the built-in 2-D test functions. */
export type TestFunctionName = 'rosenbrock' | 'beale' | 'himmelblau' | 'saddle' | 'illConditioned';

/**
 * The 2-D test functions by name, for configs and the command line.
 *
 * @example
 * ```ts
 * const fn = TEST_FUNCTIONS.rosenbrock; // or beale, himmelblau, saddle, illConditioned
 * const xy = tensor(fn.start, { requiresGrad: true });
 * fn.f(xy).backward();
 * ```
 */
export const TEST_FUNCTIONS: Readonly<Record<TestFunctionName, TestFunction>> = Object.freeze({
  rosenbrock,
  beale,
  himmelblau,
  saddle,
  illConditioned,
});

/**
 * The test function called `name`, with an error listing the known names otherwise.
 *
 * @example
 * ```ts
 * testFunction('himmelblau').minima.length; // 4
 * testFunction('rastrigin'); // throws ValueError: testFunction: unknown test function "rastrigin"; ...
 * ```
 */
export function testFunction(name: string): TestFunction {
  if (!Object.hasOwn(TEST_FUNCTIONS, name))
    throw new ValueError(
      `testFunction: unknown test function ${JSON.stringify(name)}; expected one of ${Object.keys(TEST_FUNCTIONS).join(', ')}`,
    );
  return TEST_FUNCTIONS[name as TestFunctionName];
}
