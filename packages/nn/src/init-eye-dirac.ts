// The structured initialisers eye and dirac, like torch.nn.init.eye_ and dirac_: no randomness, every value
// written (the ones, and zeros everywhere else), in place through init-common's write.

import { type Tensor, ValueError } from '@nablajs/core';
import { checkTensor, stored, writable } from './init-common';

function shapeText(tensor: Tensor): string {
  return JSON.stringify(tensor.shape);
}

/**
 * Fill the 2-D `tensor` in place with the identity matrix, like `torch.nn.init.eye_`: ones where the row
 * index equals the column index, zeros elsewhere (a non-square matrix gets `min(rows, cols)` ones), so that a
 * `Linear` layer starts by passing its inputs through as far as its shape allows. Returns `tensor`.
 *
 * See https://pytorch.org/docs/1.13/nn.init.html#torch.nn.init.eye_
 *
 * @param tensor - a 2-D tensor (any dtype), overwritten
 * @returns the same tensor
 *
 * @example
 * ```ts
 * init.eye(zeros([2, 3])).toArray(); // [[1, 0, 0], [0, 1, 0]]
 * init.eye(new Linear(4, 4).weight); // the layer now computes x + bias
 * ```
 */
export function eye(tensor: Tensor): Tensor {
  checkTensor('eye', tensor, false);
  if (tensor.ndim !== 2)
    throw new ValueError(`eye: only 2-D tensors are supported, got tensor of shape ${shapeText(tensor)}`);
  const [rows, cols] = tensor.shape;
  const data = writable(tensor);
  data.fill(0);
  for (let i = 0; i < Math.min(rows, cols); i++) data[i * cols + i] = 1;
  return stored(tensor, data);
}

/**
 * Fill the 3-, 4- or 5-D convolution weight `tensor` (`[outChannels, inChannels / groups, ...kernel]`) in
 * place with the Dirac delta, like `torch.nn.init.dirac_`: the output channels are split into `groups`
 * blocks of `outChannels / groups`, and in each block output channel `d` gets a single one at input channel
 * `d` and the centre of the kernel (index `floor(k / 2)` of each kernel dim), for `d < min(outChannels /
 * groups, inChannels / groups)`; every other value is zero. A convolution so initialised (with `groups`
 * groups, stride 1 and `same` padding) keeps the identity of as many channels as it can.
 *
 * See https://pytorch.org/docs/1.13/nn.init.html#torch.nn.init.dirac_
 *
 * @param tensor - a 3-D (Conv1d), 4-D (Conv2d) or 5-D (Conv3d) weight (any dtype), overwritten
 * @param groups - the number of groups of the convolution (default 1); must divide `tensor.shape[0]`
 * @returns the same tensor
 *
 * @example
 * ```ts
 * const conv = new Conv2d(3, 3, 3, { padding: 1 });
 * init.dirac(conv.weight); // conv.weight[c, c, 1, 1] = 1: the layer computes x + bias
 * init.dirac(zeros([4, 1, 3]), 2); // [4, 1, 3]: ones at [0, 0, 1] and [2, 0, 1]
 * ```
 */
export function dirac(tensor: Tensor, groups = 1): Tensor {
  checkTensor('dirac', tensor, false);
  const shape = tensor.shape;
  if (shape.length < 3 || shape.length > 5)
    throw new ValueError(`dirac: only 3-, 4- or 5-D tensors are supported, got tensor of shape ${shapeText(tensor)}`);
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1)
    throw new ValueError(`dirac: groups must be a positive integer, got ${JSON.stringify(groups)}`);
  if (shape[0] % groups !== 0)
    throw new ValueError(
      `dirac: dim 0 of the tensor (${shape[0]} output channels, shape ${shapeText(tensor)}) must be divisible by groups = ${groups}`,
    );
  const outPerGroup = shape[0] / groups;
  const channels = Math.min(outPerGroup, shape[1]);
  const kernel = shape.slice(2);
  // The flat offset of the kernel's centre inside one [inChannel] slice, and the size of such a slice.
  let kernelSize = 1;
  let centre = 0;
  for (const k of kernel) {
    centre = centre * k + Math.floor(k / 2);
    kernelSize *= k;
  }
  const data = writable(tensor);
  data.fill(0);
  for (let g = 0; g < groups; g++)
    for (let d = 0; d < channels; d++) {
      const out = g * outPerGroup + d;
      data[(out * shape[1] + d) * kernelSize + centre] = 1;
    }
  return stored(tensor, data);
}
