// The initialisers that fill a tensor with a distribution or a constant: uniform, normal, constant,
// zeros and ones, like torch.nn.init.uniform_, normal_, constant_, zeros_ and ones_.

import { type Tensor, ValueError } from '@nablajs/core';
import { checkFinite, checkTensor, generatorOf, type InitOptions, stored, writable } from './init-common';

/**
 * Fill `tensor` in place with values drawn from the uniform distribution `U(a, b)`, like `torch.nn.init.uniform_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.uniform_
 *
 * @example
 * ```ts
 * const w = zeros([3, 5]);
 * uniform(w, -0.1, 0.1, { generator: new Generator(0) }); // w now holds values in [-0.1, 0.1)
 * ```
 */
export function uniform(tensor: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  checkTensor('uniform', tensor, true);
  checkFinite('uniform', 'a', a);
  checkFinite('uniform', 'b', b);
  if (a > b) throw new ValueError(`uniform: a must be <= b, got a = ${a} and b = ${b}`);
  const g = generatorOf('uniform', options);
  const data = writable(tensor);
  for (let i = 0; i < data.length; i++) data[i] = a + (b - a) * g.uniform();
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with values drawn from the normal distribution `N(mean, std²)`, like `torch.nn.init.normal_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.normal_
 *
 * @example
 * ```ts
 * normal(zeros([4, 4]), 0, 0.02); // GPT-style embedding init
 * ```
 */
export function normal(tensor: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  checkTensor('normal', tensor, true);
  checkFinite('normal', 'mean', mean);
  checkFinite('normal', 'std', std);
  if (std < 0) throw new ValueError(`normal: std must be >= 0, got ${std}`);
  const g = generatorOf('normal', options);
  const data = writable(tensor);
  for (let i = 0; i < data.length; i++) data[i] = mean + std * g.normal();
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with `value`, like `torch.nn.init.constant_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.constant_
 *
 * @example
 * ```ts
 * constant(zeros([3]), 0.5).toArray(); // [0.5, 0.5, 0.5]
 * ```
 */
export function constant(tensor: Tensor, value: number): Tensor {
  checkTensor('constant', tensor, false);
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ValueError(`constant: value must be a number, got ${value}`);
  const data = writable(tensor);
  data.fill(value);
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with zeros, like `torch.nn.init.zeros_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.zeros_
 *
 * @example
 * ```ts
 * init.zeros(linear.bias!); // `!`: null for a Linear made with { bias: false }
 * ```
 */
export function zeros(tensor: Tensor): Tensor {
  checkTensor('zeros', tensor, false);
  const data = writable(tensor);
  data.fill(0);
  return stored(tensor, data);
}

/**
 * Fill `tensor` in place with ones, like `torch.nn.init.ones_`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.ones_
 *
 * @example
 * ```ts
 * init.ones(layerNorm.weight!); // `!`: null with { elementwiseAffine: false }
 * ```
 */
export function ones(tensor: Tensor): Tensor {
  checkTensor('ones', tensor, false);
  const data = writable(tensor);
  data.fill(1);
  return stored(tensor, data);
}
