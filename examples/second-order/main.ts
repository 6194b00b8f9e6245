// Second order: L-BFGS vs Adam on the Rosenbrock function, and an exact Hessian-vector product of an
// MLP loss (a gradient of a gradient, with createGraph), checked against finite differences.
import { Generator, gradients, randn, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss, Sequential, Tanh } from '@nablajs/nn';
import { adam } from '@nablajs/optim-adam';
import { lbfgs } from '@nablajs/optim-lbfgs';

/** Rosenbrock's function `(1 - x)² + 100 (y - x²)²` of `xy = [x, y]`; its minimum is 0 at (1, 1). */
export function rosenbrock(xy: Tensor): Tensor {
  const x = xy.slice([[0, 1]]);
  const y = xy.slice([[1, 2]]);
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100)).sum();
}

/** Where an optimizer ended, and what it cost. */
export interface Outcome {
  x: number;
  y: number;
  loss: number;
  /** Calls to `opt.step()`. */
  steps: number;
  /** Evaluations of the loss and its gradient. */
  evaluations: number;
}

/**
 * Minimise Rosenbrock from the classic start (-1.2, 1) in float64 with L-BFGS (strong Wolfe line
 * search), calling `step(closure)` until the point is within `tolerance` of (1, 1) or `maxSteps` calls.
 */
export function minimiseWithLbfgs(tolerance = 1e-6, maxSteps = 10): Outcome {
  const xy = tensor([-1.2, 1], { dtype: 'float64', requiresGrad: true });
  const opt = lbfgs([xy], { lineSearchFn: 'strong_wolfe', toleranceGrad: 1e-10, toleranceChange: 1e-14 });
  const closure = () => {
    opt.zeroGrad();
    const loss = rosenbrock(xy);
    loss.backward();
    return loss;
  };
  let steps = 0;
  while (steps < maxSteps && Math.max(Math.abs(xy.data[0] - 1), Math.abs(xy.data[1] - 1)) > tolerance) {
    opt.step(closure);
    steps++;
  }
  return { x: xy.data[0], y: xy.data[1], loss: rosenbrock(xy).item(), steps, evaluations: opt.funcEvals };
}

/** Minimise Rosenbrock from (-1.2, 1) with `steps` Adam steps (one evaluation each). */
export function minimiseWithAdam(steps = 2000, lr = 0.02): Outcome {
  const xy = tensor([-1.2, 1], { dtype: 'float64', requiresGrad: true });
  const opt = adam([xy], { lr });
  for (let k = 0; k < steps; k++) {
    opt.zeroGrad();
    rosenbrock(xy).backward();
    opt.step();
  }
  return { x: xy.data[0], y: xy.data[1], loss: rosenbrock(xy).item(), steps, evaluations: steps };
}

/** A small float64 MLP (3 -> 8 -> 1, tanh), a batch of data and its MSE loss as a function of the parameters. */
export function makeProblem(seed = 0) {
  const generator = new Generator(seed);
  const model = new Sequential(
    new Linear(3, 8, { dtype: 'float64', generator }),
    new Tanh(),
    new Linear(8, 1, { dtype: 'float64', generator }),
  );
  const x = randn([16, 3], { dtype: 'float64', generator });
  const y = randn([16, 1], { dtype: 'float64', generator });
  const params = model.parameters();
  const v = params.map((p) => randn(p.shape, { dtype: 'float64', generator }));
  return { loss: () => mseLoss(model.forward(x), y), params, v };
}

/**
 * The Hessian-vector product `H v` of `loss` at `params`, exactly, by double backward: with
 * `createGraph: true` the gradient `g` is itself differentiable, and `∇(g · v) = H v`.
 */
export function hessianVectorProduct(loss: () => Tensor, params: Tensor[], v: Tensor[]): Tensor[] {
  const g = gradients([loss()], params, null, { createGraph: true }) as Tensor[];
  const gv = g.map((gi, i) => gi.mul(v[i]).sum()).reduce((a, b) => a.add(b));
  return gradients([gv], params) as Tensor[];
}

/** `H v ≈ (∇L(θ + εv) - ∇L(θ - εv)) / 2ε`, by central differences of gradients (θ is restored). */
export function finiteDifferenceHvp(loss: () => Tensor, params: Tensor[], v: Tensor[], eps = 1e-5): Tensor[] {
  const gradientAt = (s: number): Tensor[] => {
    const saved = params.map((p) => p.data.slice());
    params.forEach((p, i) => {
      for (let j = 0; j < p.size; j++) p.data[j] += s * v[i].data[j];
    });
    const g = gradients([loss()], params) as Tensor[];
    params.forEach((p, i) => {
      p.data.set(saved[i]);
    });
    return g;
  };
  const plus = gradientAt(eps);
  const minus = gradientAt(-eps);
  return plus.map((gp, i) => gp.sub(minus[i]).div(2 * eps));
}

/** The largest absolute difference between two lists of tensors. */
export function maxAbsDifference(a: Tensor[], b: Tensor[]): number {
  let m = 0;
  a.forEach((t, i) => {
    for (let j = 0; j < t.size; j++) m = Math.max(m, Math.abs(t.data[j] - b[i].data[j]));
  });
  return m;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const l = minimiseWithLbfgs();
  const a = minimiseWithAdam();
  console.log('Rosenbrock from (-1.2, 1), minimum 0 at (1, 1):');
  for (const [name, o] of [
    ['L-BFGS', l],
    ['Adam  ', a],
  ] as const)
    console.log(
      `${name} ${String(o.steps).padStart(5)} steps, ${String(o.evaluations).padStart(5)} evaluations: ` +
        `(${o.x.toFixed(9)}, ${o.y.toFixed(9)}), loss ${o.loss.toExponential(2)}`,
    );
  const { loss, params, v } = makeProblem();
  const exact = hessianVectorProduct(loss, params, v);
  const approx = finiteDifferenceHvp(loss, params, v);
  console.log(`\nHessian-vector product of an MLP loss (${params.reduce((n, p) => n + p.size, 0)} parameters):`);
  console.log(
    `first entries, double backward:      ${Array.from(exact[0].data.slice(0, 4), (x) => x.toFixed(8)).join(' ')}`,
  );
  console.log(
    `first entries, finite differences:   ${Array.from(approx[0].data.slice(0, 4), (x) => x.toFixed(8)).join(' ')}`,
  );
  console.log(`largest difference: ${maxAbsDifference(exact, approx).toExponential(2)}`);
}
