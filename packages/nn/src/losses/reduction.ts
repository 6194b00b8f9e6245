import { optionNames, type Tensor, ValueError } from '@nablajs/core';

/**
 * How a loss turns its per-element values into the result, like PyTorch's `reduction` argument:
 * `'mean'` averages them, `'sum'` adds them, `'none'` returns them unreduced.
 *
 * See https://pytorch.org/docs/stable/nn.html#loss-functions
 *
 * @example
 * ```ts
 * const reduction: Reduction = 'sum';
 * ```
 */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * The reduction option shared by most losses.
 *
 * @example
 * ```ts
 * mseLoss(x, y, { reduction: 'none' } satisfies ReductionOptions);
 * ```
 */
export interface ReductionOptions {
  /** `'mean'` (default), `'sum'` or `'none'`. */
  reduction?: Reduction;
}

/**
 * The option names of {@link ReductionOptions}, for core's `checkOptions`; a loss with more options
 * appends its own: `[...REDUCTION_OPTIONS, ...optionNames<Omit<HuberLossOptions, 'reduction'>>({ delta: true })]`.
 *
 * @example
 * ```ts
 * checkOptions('mseLoss', { reducton: 'sum' }, REDUCTION_OPTIONS); // throws ValueError (did you mean "reduction"?)
 * ```
 */
export const REDUCTION_OPTIONS = optionNames<ReductionOptions>({ reduction: true });

/**
 * Check a `reduction` option (undefined means `'mean'`), throwing a ValueError that names `fn`.
 *
 * @example
 * ```ts
 * checkReduction('mseLoss', 'avg'); // throws ValueError: mseLoss: reduction must be 'mean', 'sum' or 'none', got 'avg'
 * ```
 */
export function checkReduction<R extends string = Reduction>(
  fn: string,
  reduction: unknown,
  allowed: readonly R[] = ['mean', 'sum', 'none'] as unknown as R[],
): R {
  const value = reduction ?? 'mean';
  if (!allowed.includes(value as R)) {
    const list = allowed.map((r) => `'${r}'`);
    const text = `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
    throw new ValueError(`${fn}: reduction must be ${text}, got ${JSON.stringify(value)}`);
  }
  return value as R;
}

/**
 * Apply a reduction to per-element losses: their mean, their sum, or the tensor itself.
 *
 * @example
 * ```ts
 * applyReduction(tensor([1, 2, 3]), 'mean').item(); // 2
 * ```
 */
export function applyReduction(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  return loss.mean();
}
