/**
 * The shape SOAP preconditions a parameter in, and which of its dimensions get a Kronecker factor.
 * Fixed at the parameter's first step (see {@link soapLayout}).
 */
export interface SoapLayout {
  /** The (merged) dimensions the gradient is viewed as; their product is the parameter's size. */
  dims: number[];
  /** Per dimension of `dims`: whether it has a preconditioner (`GG`, `Q`); false when larger than `maxPrecondDim`. */
  preconditioned: boolean[];
  /** Whether the parameter is 4-D and merged in `'channels_last'` format: viewed as `permute(0, 3, 1, 2)` first. */
  channelsLast: boolean;
}

/**
 * Merge consecutive dimensions of `shape` while their product stays at most `maxPrecondDim`, as the
 * reference's `merge_dims`: a dimension that would push the running product past the bound closes the
 * group (or stands alone when the group is empty). Dimensions of size 1 are absorbed.
 *
 * @example
 * ```ts
 * mergeDims([2, 3, 4], 6); // [6, 4]
 * mergeDims([6, 4], 10000); // [24]
 * mergeDims([20000, 3], 10000); // [20000, 3]
 * ```
 */
export function mergeDims(shape: readonly number[], maxPrecondDim: number): number[] {
  const merged: number[] = [];
  let current = 1;
  for (const size of shape) {
    const product = current * size;
    if (product > maxPrecondDim) {
      if (current > 1) {
        merged.push(current);
        current = size;
      } else {
        merged.push(size);
        current = 1;
      }
    } else current = product;
  }
  if (current > 1 || merged.length === 0) merged.push(current);
  return merged;
}

/**
 * The layout of a parameter of `shape`, as the reference's `init_preconditioner` decides it: a 1-D
 * parameter keeps its one dimension, preconditioned only with `precondition1d` and when at most
 * `maxPrecondDim`; any other (0-D included) is merged with {@link mergeDims} when `mergeDims` is set
 * (4-D parameters in `'channels_last'` format after moving the last dimension second), and each
 * resulting dimension of size at most `maxPrecondDim` gets a preconditioner.
 *
 * @example
 * ```ts
 * soapLayout([6, 4], { maxPrecondDim: 5, mergeDims: false, precondition1d: false, dataFormat: 'channels_first' });
 * // { dims: [6, 4], preconditioned: [false, true], channelsLast: false }
 * ```
 */
export function soapLayout(
  shape: readonly number[],
  options: { maxPrecondDim: number; mergeDims: boolean; precondition1d: boolean; dataFormat: string },
): SoapLayout {
  const max = options.maxPrecondDim;
  if (shape.length === 1)
    return { dims: [shape[0]], preconditioned: [options.precondition1d && shape[0] <= max], channelsLast: false };
  let dims = [...shape];
  let channelsLast = false;
  if (options.mergeDims) {
    channelsLast = options.dataFormat === 'channels_last' && shape.length === 4;
    dims = mergeDims(channelsLast ? [shape[0], shape[3], shape[1], shape[2]] : shape, max);
  }
  return { dims, preconditioned: dims.map((d) => d <= max), channelsLast };
}
