import { checkOptions, defaultGenerator, type Generator, Tensor, ValueError } from '@nablajs/core';
import { checkGenerator, checkInteger } from '../util';

/** Options of {@link sampleWindows}. */
export interface SampleWindowsOptions {
  /** The number of windows `B` (an integer >= 1; no default). */
  batchSize: number;
  /** The length `T` of each window (an integer >= 1, less than the number of tokens; no default). */
  contextLength: number;
  /** The generator of the window starts (default: core's global generator, see `manualSeed`). */
  generator?: Generator;
}

/** The inputs and targets of a language-model batch. */
export interface Windows {
  /** The inputs, int32 `[B, T]`: `x[b, t] = tokens[s_b + t]`. */
  x: Tensor;
  /** The targets, int32 `[B, T]`: the inputs shifted by one, `y[b, t] = tokens[s_b + t + 1]`. */
  y: Tensor;
}

/**
 * A batch of random windows of a token sequence for next-token prediction, as nanoGPT's `get_batch`:
 * `B` starts `s_b` drawn uniformly and independently (with replacement) from `[0, N - T)`, `N` the number
 * of tokens, then `x[b] = tokens[s_b : s_b + T]` and `y[b] = tokens[s_b + 1 : s_b + T + 1]`. The same
 * generator state gives the same batch.
 *
 * See https://github.com/karpathy/nanoGPT/blob/master/train.py (`get_batch`).
 *
 * @param tokens - the token ids, an `Int32Array` or a 1-D int32 tensor, longer than `contextLength`
 *
 * @example
 * ```ts
 * const { vocab, train } = await loadTinyShakespeare();
 * const generator = new Generator(1337);
 * const { x, y } = sampleWindows(train, { batchSize: 12, contextLength: 64, generator });
 * x.shape; // [12, 64]
 * vocab.decode(y); // the same text as vocab.decode(x), one character later
 * ```
 */
export function sampleWindows(tokens: Int32Array | Tensor, options: SampleWindowsOptions): Windows {
  const fn = 'sampleWindows';
  let ids: Int32Array;
  if (tokens instanceof Tensor) {
    if (tokens.dtype !== 'int32' || tokens.shape.length !== 1)
      throw new ValueError(
        `${fn}: tokens must be a 1-D int32 tensor, got dtype ${tokens.dtype} and shape [${tokens.shape.join(',')}]`,
      );
    ids = tokens.values as Int32Array;
  } else if (tokens instanceof Int32Array) ids = tokens;
  else throw new ValueError(`${fn}: tokens must be an Int32Array or a 1-D int32 tensor`);
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${fn}: options { batchSize, contextLength } are required`);
  checkOptions(fn, options, ['batchSize', 'contextLength', 'generator']);
  const batchSize = checkInteger(fn, 'batchSize', options.batchSize, 1);
  const contextLength = checkInteger(fn, 'contextLength', options.contextLength, 1);
  const generator = checkGenerator(fn, options.generator) ?? defaultGenerator();
  const n = ids.length;
  if (n <= contextLength)
    throw new ValueError(
      `${fn}: tokens has ${n} ids, but a window of contextLength ${contextLength} plus its shifted target needs at least ${contextLength + 1}`,
    );
  const x = new Int32Array(batchSize * contextLength);
  const y = new Int32Array(batchSize * contextLength);
  for (let b = 0; b < batchSize; b++) {
    const start = generator.integer(0, n - contextLength);
    x.set(ids.subarray(start, start + contextLength), b * contextLength);
    y.set(ids.subarray(start + 1, start + contextLength + 1), b * contextLength);
  }
  return {
    x: new Tensor(x, [batchSize, contextLength], 'int32'),
    y: new Tensor(y, [batchSize, contextLength], 'int32'),
  };
}
