import { checkOptions, optionNames } from '../check-options';
import { ValueError } from '../errors';
import { enableGrad, noGrad } from '../grad-mode';
import { Generator } from '../random';
import { Tensor } from '../tensor';
import { gradients } from './backward';

/** Options of {@link gradcheck} and {@link gradgradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Seed of the random upstream gradient (default 0). */
  seed?: number;
  /** Throw on a mismatch (default true); otherwise return false. */
  raiseException?: boolean;
}

const GRADCHECK_OPTIONS = optionNames<GradcheckOptions>({
  eps: true,
  atol: true,
  rtol: true,
  seed: true,
  raiseException: true,
});

function checkInputs(fn: string, inputs: readonly Tensor[]): void {
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`${fn}: inputs[${i}] is not a Tensor`);
    if (t.requiresGrad && t.dtype !== 'float64')
      throw new ValueError(`${fn}: inputs[${i}] is ${t.dtype}; finite differences need float64 inputs`);
  });
}

function randomLike(t: Tensor, rng: Generator): Tensor {
  const data = new Float64Array(t.size);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return new Tensor(data, t.shape, 'float64');
}

/**
 * Compare the vector-Jacobian products of `f` with central finite differences in float64, for every
 * input that requires gradients. Returns true, or throws naming the input and element that disagree.
 *
 * `|analytic - numeric| <= atol + rtol * |numeric|` must hold for `vᵀJ` with a random `v`, and
 * every element of every differentiable input is perturbed.
 *
 * @example
 * ```ts
 * const x = tensor([0.3, -1.2], { dtype: 'float64', requiresGrad: true });
 * gradcheck((a) => a.tanh(), [x]); // true
 * ```
 */
export function gradcheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): boolean {
  checkOptions('gradcheck', options, GRADCHECK_OPTIONS);
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 0, raiseException = true } = options;
  checkInputs('gradcheck', inputs);
  const wrt = inputs.filter((t) => t.requiresGrad);
  if (wrt.length === 0) throw new ValueError('gradcheck: no input requires gradients');
  const out = f(...inputs);
  const v = randomLike(out, new Generator(seed));
  const analytic = out.requiresGrad ? gradients([out], wrt, [v], { allowUnused: true }) : wrt.map(() => null);
  const dot = (y: Tensor) => {
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.values[i] * v.values[i];
    return s;
  };
  for (let k = 0; k < wrt.length; k++) {
    const x = wrt[k];
    const a = analytic[k];
    for (let i = 0; i < x.size; i++) {
      const orig = x.values[i];
      const numeric = noGrad(() => {
        x.values[i] = orig + eps;
        const up = dot(f(...inputs));
        x.values[i] = orig - eps;
        const down = dot(f(...inputs));
        x.values[i] = orig;
        return (up - down) / (2 * eps);
      });
      const got = a === null ? 0 : a.values[i];
      if (!(Math.abs(got - numeric) <= atol + rtol * Math.abs(numeric))) {
        if (!raiseException) return false;
        throw new ValueError(
          `gradcheck: input ${inputs.indexOf(x)} element ${i}: analytic gradient ${got} but finite differences give ${numeric}`,
        );
      }
    }
  }
  return true;
}

/**
 * Check second derivatives: runs {@link gradcheck} on the function that maps the inputs to the
 * vector-Jacobian product of `f` (computed with `createGraph`), so the VJPs' own VJPs are verified.
 *
 * @example
 * ```ts
 * const x = tensor([0.3, -1.2], { dtype: 'float64', requiresGrad: true });
 * gradgradcheck((a) => a.tanh(), [x]); // true
 * ```
 */
export function gradgradcheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): boolean {
  checkOptions('gradgradcheck', options, GRADCHECK_OPTIONS);
  checkInputs('gradgradcheck', inputs);
  const { seed = 0 } = options;
  const wrt = inputs.filter((t) => t.requiresGrad);
  const probe = f(...inputs);
  const v = randomLike(probe, new Generator(seed + 1));
  const w = wrt.map((t, i) => randomLike(t, new Generator(seed + 2 + i)));
  // NOTE: gradcheck evaluates its finite differences under noGrad, but the first-order gradients
  // must be recorded to be differentiated, so this function turns recording back on.
  const firstOrder = (...xs: Tensor[]): Tensor =>
    enableGrad(() => {
      const out = f(...xs);
      const gs = gradients(
        [out],
        xs.filter((t) => t.requiresGrad),
        [v],
        { createGraph: true, allowUnused: true },
      );
      let total: Tensor | null = null;
      gs.forEach((g, i) => {
        if (g === null) return;
        const term = g.mul(w[i]).sum();
        total = total === null ? term : total.add(term);
      });
      return total ?? new Tensor(new Float64Array(1), [], 'float64');
    });
  return gradcheck(firstOrder, inputs, options);
}
