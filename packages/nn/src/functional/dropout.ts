import { allocate, defaultGenerator, type Generator, mul, Tensor } from '@nablajs/core';
import { checkFloating, checkNumberIn } from './check';

/**
 * Inverted dropout, like `torch.nn.functional.dropout`: in training, each element is zeroed with
 * probability `p` and the survivors are scaled by `1 / (1 - p)`, so the expected value is unchanged;
 * outside training (or with `p = 0`) the input is returned as it is. The mask is drawn from `generator`
 * (default: the global generator), so a seeded generator gives the same mask on every platform.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.dropout.html
 *
 * @param p - the probability of zeroing an element, in `[0, 1]` (default 0.5)
 * @param training - apply dropout (default true); false returns `x`
 * @param generator - the random stream of the mask
 *
 * @example
 * ```ts
 * const y = dropout(ones([1000]), 0.2, true, new Generator(0)); // about 800 entries of 1.25, the rest 0
 * dropout(x, 0.5, false) === x; // true
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  checkNumberIn('dropout', 'p', p, 0, 1);
  checkFloating('dropout', 'input', x);
  if (!training || p === 0) return x;
  const g = generator ?? defaultGenerator();
  const keep = 1 - p;
  const mask = allocate(x.dtype, x.size);
  // NOTE: drawing uniforms even when p = 1 keeps the generator's stream independent of p.
  for (let i = 0; i < mask.length; i++) mask[i] = g.uniform() < keep ? 1 / keep : 0;
  return mul(x, new Tensor(mask, x.shape, x.dtype));
}
