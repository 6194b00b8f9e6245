// Issue 15: the functional forms of the transposed convolutions, interpolation and padding (part of `F`).
// `convTranspose2d` and `interpolate` are core ops, re-exported so that `F.convTranspose2d` reads as in
// PyTorch; `pad` is the mode-aware `torch.nn.functional.pad` (core's `pad` is its constant mode).

export { convTranspose2d, interpolate } from '@nablajs/core';
export { convTranspose1d } from './conv-transpose';
export { pad } from './pad-layers';
