// Helpers shared by the gradient tests of the scan and reordering ops (not part of the package's API).

import { gradgradcheck as rawGradgradcheck } from '../autograd/gradcheck';
import { enableGrad } from '../grad-mode';
import { Generator, randn } from '../random';
import type { Tensor } from '../tensor';

/**
 * gradgradcheck with the first-order gradients recorded: gradcheck evaluates its function under noGrad for
 * finite differences, so a function whose first-order gradient must itself be differentiated records it
 * explicitly.
 */
export function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  return rawGradgradcheck((...xs: Tensor[]) => enableGrad(() => f(...xs)), inputs);
}

/** A seeded float64 standard-normal tensor of `shape`. */
export function rnd(shape: number[], seed = 1, requiresGrad = true): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });
}
