import { registerOp } from '../op';
import type { Tensor } from '../tensor';
import { exp } from './exp';
import { mul } from './mul';
import { neg } from './neg';
import { softmaxAxes, softmaxAxis, softmaxBackwardForward, softmaxForward } from './softmax';
import { sub } from './sub';
import { sum } from './sum';

// g - exp(y) · sum(g) in one pass. Its own VJP is written with tensor ops, so that gradients of any
// order work: in g it is u - sum(u · exp(y)); in y it is -u · exp(y) · sum(g).
const logSoftmaxBackwardOp = registerOp<number>({
  name: 'logSoftmaxBackward',
  forward: ([g, y], axis) => softmaxBackwardForward('logSoftmaxBackward', g, y, axis, true),
  backward: (u, { inputs: [g, y], attrs: axis }) => {
    const axes = softmaxAxes(y, axis);
    const p = exp(y);
    return [
      g.requiresGrad ? sub(u, sum(mul(u, p), axes, true)) : null,
      y.requiresGrad ? neg(mul(mul(u, p), sum(g, axes, true))) : null,
    ];
  },
});

const logSoftmaxOp = registerOp<number>({
  name: 'logSoftmax',
  saves: { inputs: [], output: true },
  forward: ([x], axis) => softmaxForward('logSoftmax', x, axis, true),
  backward: (g, { output, attrs: axis }) => [logSoftmaxBackwardOp([g, output], axis)],
});

/**
 * `x - logsumexp(x)` along `axis` (default the last), like `torch.log_softmax`: the log of
 * {@link softmax}, computed directly and stably (no `log(0)` for very negative inputs; ±1000 give exact
 * results). An int32 input gives a float32 result.
 *
 * Gradient: `g - exp(y) · sum(g, axis)` with `y` the output, computed by one fused kernel whose own VJP
 * is written with tensor ops, so second derivatives work.
 *
 * @param x - the input
 * @param axis - the axis to normalise over, negative from the end (default -1)
 *
 * @example
 * ```ts
 * logSoftmax(tensor([0, 0])).toArray(); // [-0.6931..., -0.6931...] (log 1/2)
 * logSoftmax(tensor([[0, 1000]]), 1).toArray(); // [[-1000, 0]]
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return logSoftmaxOp([x], softmaxAxis('logSoftmax', x, axis));
}
