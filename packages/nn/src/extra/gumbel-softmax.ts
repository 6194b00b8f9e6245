import {
  add,
  argmax,
  cast,
  checkOptions,
  DTypeError,
  div,
  Generator,
  log,
  neg,
  optionNames,
  rand,
  reshape,
  scatter,
  softmax,
  sub,
  type Tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { checkFloating } from '../functional/check';
import { resolveAxis } from '../functional/distance-checks';
import { checkBoolean } from './loss-checks';

/**
 * Options of {@link gumbelSoftmax}.
 *
 * @example
 * ```ts
 * const options: GumbelSoftmaxOptions = { tau: 0.5, hard: true, dim: -1, generator: new Generator(0) };
 * ```
 */
export interface GumbelSoftmaxOptions {
  /** The temperature, a positive finite number (default 1): the lower, the closer the sample is to one-hot. */
  tau?: number;
  /** Return the one-hot of the sample's largest class, with the soft sample's gradient (default false). */
  hard?: boolean;
  /** The dimension of the classes, negative from the end (default -1). */
  dim?: number;
  /** The generator to draw the noise from (default: the global one, see core's `manualSeed`). */
  generator?: Generator;
}

/**
 * The option names of {@link gumbelSoftmax}, for core's `checkOptions`.
 *
 * @example
 * ```ts
 * checkOptions('gumbelSoftmax', options, GUMBEL_SOFTMAX_OPTIONS);
 * ```
 */
export const GUMBEL_SOFTMAX_OPTIONS = optionNames<GumbelSoftmaxOptions>({
  tau: true,
  hard: true,
  dim: true,
  generator: true,
});

/**
 * Standard Gumbel noise `-log(E)`, `E` exponential with rate 1 (`E = -log(U)`, `U` uniform), drawn in
 * float64 from `generator` and cast to `dtype`: the noise {@link gumbelSoftmax} adds (not exported from the
 * package; for its tests). Its mean is the Euler–Mascheroni constant 0.5772..., its variance `π²/6`.
 *
 * @example
 * ```ts
 * gumbelNoise([1000], 'float64', new Generator(0)).mean().item(); // about 0.58
 * ```
 */
export function gumbelNoise(shape: readonly number[], dtype: 'float32' | 'float64', generator?: Generator): Tensor {
  const u = rand(shape, { dtype: 'float64', generator });
  // NOTE: U = 0 (probability 2^-53) gives E = inf and a noise of -inf: that class is never picked, and no NaN.
  const noise = neg(log(neg(log(u))));
  return dtype === 'float64' ? noise : cast(noise, dtype);
}

/**
 * A sample of the Gumbel-softmax (concrete) distribution, like `torch.nn.functional.gumbel_softmax`:
 * `y = softmax((logits + g) / tau)` along `dim`, with `g` independent standard Gumbel noise (Jang et al.,
 * 2016; Maddison et al., 2016). With `hard`, the result is the one-hot of each sample's largest class (the
 * first on ties) in the forward pass, with the gradient of the soft sample (straight-through:
 * `y_hard - y.detach() + y`, so its values at the picked classes are 1 up to rounding, exactly 0 elsewhere).
 * Defaults: `tau` 1, `hard` false, `dim` -1, the global generator. The noise is nabla's (seeded by `generator`
 * or core's `manualSeed`), so the samples are not PyTorch's; their distribution is. `logits` may be any
 * unnormalised log-probabilities; they are not checked for NaN. PyTorch's deprecated `eps` is not an option.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.gumbel_softmax.html
 *
 * @example
 * ```ts
 * const logits = tensor([[1, 2, 3], [0, 0, 5]], { requiresGrad: true });
 * const y = gumbelSoftmax(logits, { tau: 0.5, hard: true, generator: new Generator(1) }); // rows are one-hot
 * mul(y, tensor([1, 2, 3])).sum().backward(); // logits.grad: the soft sample's gradient
 * ```
 */
export function gumbelSoftmax(logits: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  const fn = 'gumbelSoftmax';
  checkOptions(fn, options, GUMBEL_SOFTMAX_OPTIONS);
  checkFloating(fn, 'logits', logits);
  const tau = options.tau ?? 1;
  if (typeof tau !== 'number' || !Number.isFinite(tau) || tau <= 0)
    throw new ValueError(`${fn}: tau must be a positive finite number, got ${JSON.stringify(tau)}`);
  const hard = checkBoolean(fn, 'hard', options.hard ?? false);
  const dim = resolveAxis(fn, 'dim', options.dim ?? -1, logits.ndim);
  const generator = options.generator;
  if (generator !== undefined && !(generator instanceof Generator))
    throw new ValueError(`${fn}: generator must be a Generator, got ${generator === null ? 'null' : typeof generator}`);
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64')
    throw new DTypeError(`${fn}: logits must be a float32 or float64 tensor, got ${logits.dtype}`);

  const noise = gumbelNoise(logits.shape, logits.dtype, generator);
  const soft = softmax(div(add(logits, noise), tau), dim);
  if (!hard) return soft;
  // A 0-d input is one class: viewed as [1] for argmax and scatter.
  const flat = logits.ndim === 0 ? reshape(soft, [1]) : soft;
  const picked = argmax(flat.detach(), dim, true);
  const oneHotSample = scatter(zeros(flat.shape, { dtype: flat.dtype }), dim, picked, 1);
  const straight = add(sub(oneHotSample, flat.detach()), flat);
  return logits.ndim === 0 ? reshape(straight, []) : straight;
}
