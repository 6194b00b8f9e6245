import { checkOptions, type Tensor } from '@nablajs/core';
import { checkBoolean, checkFiniteNumber } from '../extra/loss-checks';
import { checkNormOrder } from '../functional/distance-checks';
import {
  PAIRWISE_DISTANCE_OPTIONS,
  type PairwiseDistanceOptions,
  pairwiseDistance,
} from '../functional/pairwise-distance';
import { Module } from '../module';
import { checkInput } from './util';

/**
 * The `p`-norm distance between the vectors of two inputs as a module, like `torch.nn.PairwiseDistance`;
 * `forward(x1, x2)` calls {@link pairwiseDistance}: `‖x1 - x2 + eps‖_p` over the last dimension. No
 * parameters. Defaults: `p` 2, `eps` 1e-6, `keepdim` false.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.PairwiseDistance.html
 *
 * @example
 * ```ts
 * const dist = new PairwiseDistance({ p: 1, eps: 0 });
 * dist.forward(tensor([[1, 2], [0, 0]]), tensor([[0, 0], [0, 0]])).toArray(); // [3, 0]
 * ```
 */
export class PairwiseDistance extends Module {
  /** The order of the norm (PyTorch's `norm` attribute). */
  readonly p: number;
  /** Added to every difference before the norm. */
  readonly eps: number;
  /** Whether the last dimension is kept as size 1. */
  readonly keepdim: boolean;

  constructor(options: PairwiseDistanceOptions = {}) {
    super();
    const label = 'PairwiseDistance';
    checkOptions(label, options, PAIRWISE_DISTANCE_OPTIONS);
    this.p = checkNormOrder(label, options.p ?? 2);
    this.eps = checkFiniteNumber(label, 'eps', options.eps ?? 1e-6);
    this.keepdim = checkBoolean(label, 'keepdim', options.keepdim ?? false);
  }

  /** The distance between `x1` and `x2` along their last dimension. */
  forward(x1: Tensor, x2: Tensor): Tensor {
    checkInput('PairwiseDistance', x1, 'x1');
    checkInput('PairwiseDistance', x2, 'x2');
    return pairwiseDistance(x1, x2, { p: this.p, eps: this.eps, keepdim: this.keepdim });
  }

  override extraRepr(): string {
    return `p=${this.p}, eps=${this.eps}, keepdim=${this.keepdim}`;
  }
}
