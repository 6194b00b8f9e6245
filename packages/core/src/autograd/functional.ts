import { zerosLike } from '../creation';
import { AutogradError } from '../errors';
import { enableGrad } from '../grad-mode';
import { Tensor } from '../tensor';
import { gradients } from './backward';

type Argnums = number | readonly number[];

function prepareArgs(fn: string, args: readonly Tensor[], argnums: Argnums) {
  const idx = typeof argnums === 'number' ? [argnums] : [...argnums];
  const inputs = [...args];
  let nested = false;
  for (const i of idx) {
    const a = args[i];
    if (!(a instanceof Tensor)) throw new AutogradError(`${fn}: argument ${i} must be a Tensor to be differentiated`);
    if (a.requiresGrad) nested = true;
    else inputs[i] = a.detach().requiresGrad_(true);
  }
  return { idx, inputs, nested };
}

function differentiate(fn: string, value: Tensor, inputs: readonly Tensor[], idx: number[], nested: boolean) {
  if (!(value instanceof Tensor) || value.size !== 1)
    throw new AutogradError(
      `${fn}: the function must return a one-element Tensor, got ${value instanceof Tensor ? `shape [${value.shape.join(',')}]` : typeof value}`,
    );
  const wrt = idx.map((i) => inputs[i]);
  const grads = value.requiresGrad
    ? gradients([value], wrt, null, { createGraph: nested, allowUnused: true })
    : wrt.map(() => null);
  return grads.map((g, k) => g ?? zerosLike(wrt[k]));
}

/**
 * Transform `f` into a function that returns the gradient of `f` with respect to the argument(s) at
 * `argnums` (default 0), like JAX's `grad`. Nest it for higher derivatives.
 *
 * @example
 * ```ts
 * const df = grad((x: Tensor) => x.pow(3).sum());
 * df(tensor([2])).item(); // 12
 * grad((x: Tensor) => df(x).sum())(tensor([2])).item(); // 12 (6x)
 * ```
 */
export function grad<A extends Tensor[]>(f: (...args: A) => Tensor, argnums: number): (...args: A) => Tensor;
export function grad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  argnums: readonly number[],
): (...args: A) => Tensor[];
export function grad<A extends Tensor[]>(f: (...args: A) => Tensor): (...args: A) => Tensor;
export function grad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  argnums: Argnums = 0,
): (...args: A) => Tensor | Tensor[] {
  const vg = valueAndGrad(f, argnums as readonly number[]) as (...args: A) => [Tensor, Tensor | Tensor[]];
  return (...args: A) => vg(...args)[1];
}

/**
 * Like {@link grad}, but the transformed function returns `[value, gradient]`.
 *
 * @example
 * ```ts
 * const [loss, g] = valueAndGrad((w: Tensor) => w.square().sum())(tensor([1, 2]));
 * // loss 5, g [2, 4]
 * ```
 */
export function valueAndGrad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  argnums: readonly number[],
): (...args: A) => [Tensor, Tensor[]];
export function valueAndGrad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  argnums?: number,
): (...args: A) => [Tensor, Tensor];
export function valueAndGrad<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  argnums: Argnums = 0,
): (...args: A) => [Tensor, Tensor | Tensor[]] {
  return (...args: A) => {
    const { idx, inputs, nested } = prepareArgs('valueAndGrad', args, argnums);
    const value = enableGrad(() => f(...(inputs as A)));
    const grads = differentiate('valueAndGrad', value, inputs, idx, nested);
    const v = nested ? value : value.detach();
    return [v, typeof argnums === 'number' ? grads[0] : grads];
  };
}

/**
 * Evaluate `f` at `primals` and return its output with a function that maps a cotangent (an upstream
 * gradient of the output's shape) to the vector-Jacobian products for every primal.
 *
 * @example
 * ```ts
 * const [y, pullback] = vjp((x: Tensor) => x.mul(x), tensor([1, 2, 3]));
 * pullback(tensor([1, 1, 1]))[0].toArray(); // [2, 4, 6]
 * ```
 */
export function vjp<A extends Tensor[]>(
  f: (...args: A) => Tensor,
  ...primals: A
): [Tensor, (cotangent: Tensor) => Tensor[]] {
  const idx = primals.map((_, i) => i);
  const { inputs, nested } = prepareArgs('vjp', primals, idx);
  const out = enableGrad(() => f(...(inputs as A)));
  if (!(out instanceof Tensor)) throw new AutogradError('vjp: the function must return a Tensor');
  const pullback = (cotangent: Tensor): Tensor[] => {
    if (!out.requiresGrad) return inputs.map((t) => zerosLike(t));
    const gs = gradients([out], inputs, [cotangent], { createGraph: nested, retainGraph: true, allowUnused: true });
    return gs.map((g, k) => g ?? zerosLike(inputs[k]));
  };
  return [nested ? out : out.detach(), pullback];
}
