// The initialisers scaled by a weight's fans: Glorot/Xavier and He/Kaiming, uniform and normal, like
// torch.nn.init.xavier_uniform_, xavier_normal_, kaiming_uniform_ and kaiming_normal_.

import { checkOptions, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { checkFinite, checkTensor, INIT_OPTIONS, type InitOptions } from './init-common';
import { normal, uniform } from './init-fill';
import { calculateFanInAndFanOut, calculateGain, type Nonlinearity } from './init-gain';

/**
 * Which fan {@link kaimingUniform} and {@link kaimingNormal} scale by: `'fanIn'` keeps the forward variance,
 * `'fanOut'` the backward one (PyTorch's `'fan_in'` and `'fan_out'` are accepted too).
 */
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

/** Options of {@link kaimingUniform} and {@link kaimingNormal}, with PyTorch's defaults. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope of the rectifier after this layer, used only with `'leakyRelu'` (default 0). */
  a?: number;
  /** `'fanIn'` (default) or `'fanOut'`. */
  mode?: FanMode;
  /** The nonlinearity after this layer (default `'leakyRelu'`, as in PyTorch). */
  nonlinearity?: Nonlinearity;
}

const KAIMING_OPTIONS = [
  ...INIT_OPTIONS,
  ...optionNames<Omit<KaimingOptions, keyof InitOptions>>({ a: true, mode: true, nonlinearity: true }),
];

/**
 * Fill `tensor` in place with Glorot/Xavier uniform values, like `torch.nn.init.xavier_uniform_`:
 * `U(-bound, bound)` with `bound = gain · √(6 / (fanIn + fanOut))` (Glorot & Bengio, 2010).
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.xavier_uniform_
 *
 * @example
 * ```ts
 * xavierUniform(linear.weight, calculateGain('tanh'));
 * ```
 */
export function xavierUniform(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  checkTensor('xavierUniform', tensor, true);
  checkFinite('xavierUniform', 'gain', gain);
  checkOptions('xavierUniform', options, INIT_OPTIONS);
  const { fanIn, fanOut } = calculateFanInAndFanOut(tensor, 'xavierUniform');
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(tensor, -bound, bound, { generator: options.generator });
}

/**
 * Fill `tensor` in place with Glorot/Xavier normal values, like `torch.nn.init.xavier_normal_`:
 * `N(0, std²)` with `std = gain · √(2 / (fanIn + fanOut))`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.xavier_normal_
 *
 * @example
 * ```ts
 * xavierNormal(linear.weight);
 * ```
 */
export function xavierNormal(tensor: Tensor, gain = 1, options: InitOptions = {}): Tensor {
  checkTensor('xavierNormal', tensor, true);
  checkFinite('xavierNormal', 'gain', gain);
  checkOptions('xavierNormal', options, INIT_OPTIONS);
  const { fanIn, fanOut } = calculateFanInAndFanOut(tensor, 'xavierNormal');
  return normal(tensor, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), { generator: options.generator });
}

function kaimingStd(fn: string, tensor: Tensor, options: KaimingOptions): number {
  checkOptions(fn, options, KAIMING_OPTIONS);
  const { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' } = options;
  if (mode !== 'fanIn' && mode !== 'fanOut' && mode !== 'fan_in' && mode !== 'fan_out')
    throw new ValueError(
      `${fn}: mode must be 'fanIn' or 'fanOut' (or 'fan_in', 'fan_out'), got ${JSON.stringify(mode)}`,
    );
  const { fanIn, fanOut } = calculateFanInAndFanOut(tensor, fn);
  const fan = mode === 'fanIn' || mode === 'fan_in' ? fanIn : fanOut;
  if (fan === 0)
    throw new ValueError(`${fn}: cannot initialise a tensor with zero ${mode} (shape ${JSON.stringify(tensor.shape)})`);
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * Fill `tensor` in place with He/Kaiming uniform values, like `torch.nn.init.kaiming_uniform_`:
 * `U(-bound, bound)` with `bound = gain · √(3 / fan)`, `gain = calculateGain(nonlinearity, a)` and
 * `fan` the fan-in or fan-out (He et al., 2015). With `a = √5` this is PyTorch's default Linear/Conv init,
 * `U(-1/√fanIn, 1/√fanIn)`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.kaiming_uniform_
 *
 * @example
 * ```ts
 * kaimingUniform(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' });
 * ```
 */
export function kaimingUniform(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingUniform', tensor, true);
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', tensor, options);
  return uniform(tensor, -bound, bound, { generator: options.generator });
}

/**
 * Fill `tensor` in place with He/Kaiming normal values, like `torch.nn.init.kaiming_normal_`:
 * `N(0, std²)` with `std = gain / √fan`, `gain = calculateGain(nonlinearity, a)`.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.kaiming_normal_
 *
 * @example
 * ```ts
 * kaimingNormal(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' }); // ResNet's init
 * ```
 */
export function kaimingNormal(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  checkTensor('kaimingNormal', tensor, true);
  return normal(tensor, 0, kaimingStd('kaimingNormal', tensor, options), { generator: options.generator });
}
