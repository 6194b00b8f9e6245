import { checkOptions, type Tensor } from '@nablajs/core';
import {
  COSINE_SIMILARITY_OPTIONS,
  type CosineSimilarityOptions,
  cosineSimilarity,
} from '../functional/cosine-similarity';
import { checkNonNegative } from '../functional/distance-checks';
import { Module } from '../module';
import { checkAxis, checkInput } from './util';

/**
 * The cosine similarity of two inputs along `axis` as a module, like `torch.nn.CosineSimilarity`;
 * `forward(x1, x2)` calls {@link cosineSimilarity}: `Σ (x1 / max(‖x1‖₂, eps)) · (x2 / max(‖x2‖₂, eps))`,
 * each norm raised to `eps` on its own as PyTorch 1.13 computes it. No parameters. Defaults: `axis` 1,
 * `eps` 1e-8.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.CosineSimilarity.html
 *
 * @example
 * ```ts
 * const cos = new CosineSimilarity({ axis: -1 });
 * cos.forward(tensor([[1, 0], [3, 4]]), tensor([[1, 1], [3, 4]])).toArray(); // [0.7071, 1]
 * ```
 */
export class CosineSimilarity extends Module {
  /** The axis of the vectors (as given: negative counts from the end of the broadcast shape). */
  readonly axis: number;
  /** The smallest norm. */
  readonly eps: number;

  constructor(options: CosineSimilarityOptions = {}) {
    super();
    const label = 'CosineSimilarity';
    checkOptions(label, options, COSINE_SIMILARITY_OPTIONS);
    // Any integer is an axis of some input: its range is checked against the inputs at forward time.
    this.axis = checkAxis(label, 'axis', options.axis ?? 1);
    this.eps = checkNonNegative(label, 'eps', options.eps ?? 1e-8);
  }

  /** The cosine similarity of `x1` and `x2` along `axis`. */
  forward(x1: Tensor, x2: Tensor): Tensor {
    checkInput('CosineSimilarity', x1, 'x1');
    checkInput('CosineSimilarity', x2, 'x2');
    return cosineSimilarity(x1, x2, { axis: this.axis, eps: this.eps });
  }

  override extraRepr(): string {
    return `axis=${this.axis}, eps=${this.eps}`;
  }
}
