// The recommended gain of a nonlinearity and the fans of a weight: what the scaled initialisers
// (Xavier, Kaiming) compute their bounds from, like torch.nn.init.calculate_gain and
// torch.nn.init._calculate_fan_in_and_fan_out.

import { type Tensor, ValueError } from '@nablajs/core';
import { checkFinite, checkTensor } from './init-common';

/**
 * The nonlinearities {@link calculateGain} knows, in lowerCamelCase (PyTorch's names, camelCased); PyTorch's
 * own spellings (`'leaky_relu'`, `'conv_transpose2d'`, ...) are accepted too.
 */
export type Nonlinearity =
  | 'leaky_relu'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

/**
 * The recommended gain for a nonlinearity, like `torch.nn.init.calculate_gain`: 1 for linear,
 * convolutions and sigmoid, 5/3 for tanh, √2 for ReLU, `√(2 / (1 + slope²))` for leaky ReLU (slope
 * `param`, default 0.01) and 3/4 for SELU.
 *
 * See https://pytorch.org/docs/stable/nn.init.html#torch.nn.init.calculate_gain
 *
 * @example
 * ```ts
 * calculateGain('relu'); // 1.4142135623730951
 * calculateGain('leakyRelu', 0.2); // √(2 / 1.04)
 * calculateGain('leaky_relu', 0.2); // the same, by PyTorch's name
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      checkFinite('calculateGain', 'param (the negative slope)', slope);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(
        `calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}; expected one of linear, conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d, sigmoid, tanh, relu, leakyRelu, selu (or PyTorch's leaky_relu, conv_transpose1d, ...)`,
      );
  }
}

/** The fans of a weight tensor, as {@link calculateFanInAndFanOut} returns them. */
export interface FanInAndFanOut {
  /** Inputs per output unit: `shape[1]` times the receptive field size. */
  fanIn: number;
  /** Outputs per input unit: `shape[0]` times the receptive field size. */
  fanOut: number;
}

/**
 * The fan-in and fan-out of a weight, as PyTorch computes them: for a weight of shape
 * `[out, in, ...kernel]`, `fanIn = in · prod(kernel)` and `fanOut = out · prod(kernel)`. Needs at least 2 dims.
 *
 * @example
 * ```ts
 * calculateFanInAndFanOut(zeros([8, 3, 5, 5])); // { fanIn: 75, fanOut: 200 }
 * ```
 */
export function calculateFanInAndFanOut(tensor: Tensor, fn = 'calculateFanInAndFanOut'): FanInAndFanOut {
  checkTensor(fn, tensor, false);
  if (tensor.shape.length < 2)
    throw new ValueError(
      `${fn}: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape ${JSON.stringify(tensor.shape)}`,
    );
  let receptive = 1;
  for (let d = 2; d < tensor.shape.length; d++) receptive *= tensor.shape[d];
  return { fanIn: tensor.shape[1] * receptive, fanOut: tensor.shape[0] * receptive };
}
