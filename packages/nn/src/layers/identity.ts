import type { Tensor } from '@nablajs/core';
import { Module } from '../module';

/**
 * A placeholder layer that returns its input unchanged, like `torch.nn.Identity` (handy to switch a
 * block off without changing the model's structure).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Identity.html
 *
 * @example
 * ```ts
 * const head = useDropout ? new Dropout(0.1) : new Identity();
 * new Identity().forward(x) === x; // true
 * ```
 */
export class Identity extends Module {
  /** Return `input` itself. */
  forward(input: Tensor): Tensor {
    return input;
  }
}
