import { describe, expect, it } from 'vitest';
import { capture } from './capture';
import { CaptureError } from './capture-state';
import { close, fixedWeights } from './capture-test-utils';
import { tensor } from './creation';
import { avgPool2d } from './ops/avg-pool2d';
import { concat } from './ops/concat';
import { convTranspose2d } from './ops/conv-transpose';
import { conv2d } from './ops/conv2d';
import { interpolate } from './ops/interpolate';
import { layerNorm } from './ops/layer-norm';
import { fusedLinear } from './ops/linear';
import { maskedSelect } from './ops/masked-select';
import { maxPool2d } from './ops/max-pool2d';
import { oneHot } from './ops/one-hot';
import { pad } from './ops/pad';
import { scatterAdd } from './ops/scatter-add';
import { sort, topk } from './ops/sort';
import { stack } from './ops/stack';
import { where } from './ops/where';
import { manualSeed, randn } from './random';
import type { Tensor } from './tensor';

// Every op a step is likely to use, captured with its backward and replayed on new values: a replay must
// give what eager code gives, bit for bit, or the capture must refuse the op with a CaptureError. What it
// must never do is replay silently wrong values (a value read in JavaScript at capture, kept as a constant).
// Runs on both backends (projects core and core-wasm).

/** An op, the input's shape, and whether a capture must refuse it (it reads values in JavaScript). */
type Case = [name: string, shape: number[], f: (x: Tensor) => Tensor, refused?: boolean];

const idx = (values: number[], shape?: number[]) => tensor(values, { dtype: 'int32', shape });
const img = (x: Tensor) => x.reshape([2, 2, 4, 4]);

const CASES: Case[] = [
  [
    'add/sub/mul/div',
    [3, 4],
    (x) =>
      x
        .add(1.5)
        .mul(x)
        .sub(x.div(x.abs().add(2))),
  ],
  [
    'exp/log/sqrt/rsqrt',
    [3, 4],
    (x) => x.exp().add(x.abs().add(1).log()).add(x.abs().add(0.5).sqrt()).add(x.abs().add(1).rsqrt()),
  ],
  ['pow/square/reciprocal', [3, 4], (x) => x.abs().add(1).pow(1.7).add(x.square()).add(x.abs().add(1).reciprocal())],
  ['sin/cos/tanh/sigmoid', [3, 4], (x) => x.sin().add(x.cos()).add(x.tanh()).add(x.sigmoid())],
  [
    'relu/leakyRelu/elu/gelu/silu',
    [3, 4],
    (x) => x.relu().add(x.leakyRelu(0.1)).add(x.elu()).add(x.gelu()).add(x.silu()),
  ],
  ['softplus/logSigmoid/erf', [3, 4], (x) => x.softplus().add(x.logSigmoid()).add(x.erf())],
  [
    'clamp/maximum/minimum/sign',
    [3, 4],
    (x) =>
      x
        .clamp(-0.5, 0.5)
        .add(x.maximum(x.mul(0.5)))
        .add(x.minimum(x.neg()))
        .add(x.sign()),
  ],
  ['where/compare', [3, 4], (x) => where(x.gt(0), x, x.mul(-2)).add(where(x.le(0.3), 1, 0))],
  ['softmax/logSoftmax/logsumexp', [3, 4], (x) => x.softmax(1).add(x.logSoftmax(1)).add(x.logsumexp(1, true))],
  [
    'sum/mean/var/std/norm',
    [3, 4],
    (x) =>
      x
        .sum(1, true)
        .add(x.mean(0))
        .add(x.var(1, { keepdims: true }))
        .add(x.std())
        .add(x.norm()),
  ],
  ['max/min/prod', [3, 4], (x) => x.max(1, true).add(x.min(0)).add(x.prod(1, true))],
  ['argmax/argmin', [3, 4], (x) => x.argmax(1).float().add(x.argmin(0).float().sum())],
  [
    'reshape/transpose/permute/flatten',
    [2, 3, 4],
    (x) => x.transpose(0, 1).permute([2, 0, 1]).reshape([4, 6]).flatten(),
  ],
  [
    'slice/squeeze/unsqueeze/expand',
    [3, 4],
    (x) =>
      x
        .slice([[1, 3], null])
        .unsqueeze(0)
        .expand([2, 2, 4])
        .squeeze(0),
  ],
  [
    'concat/stack/tile/flip/roll',
    [3, 4],
    (x) =>
      concat([x, x.flip([0])], 1).add(
        stack([x, x.roll(1, 1)])
          .sum(0)
          .tile([1, 2]),
      ),
  ],
  ['pad', [3, 4], (x) => pad(x, [1, 2, 0, 1], 0.5)],
  [
    'indexSelect/gather/scatterAdd',
    [3, 4],
    (x) =>
      x
        .indexSelect(1, idx([3, 0, 0]))
        .sum()
        .add(x.gather(1, idx([1, 0, 2, 3, 3, 2], [3, 2])).sum())
        .add(scatterAdd(x, 1, idx([0, 1, 1, 3], [1, 4]), x.slice([[0, 1], null]))),
  ],
  ['cumsum/cumprod/tril/triu', [3, 4], (x) => x.cumsum(1).add(x.cumprod(0)).add(x.tril()).add(x.triu(1))],
  [
    'floor/ceil/round/trunc/remainder/fmod',
    [3, 4],
    (x) =>
      x.mul(3).floor().add(x.mul(3).ceil()).add(x.round()).add(x.trunc()).add(x.remainder(0.7)).add(x.fmod(0.7)).add(x),
  ],
  [
    'sort/topk/argsort',
    [3, 4],
    (x) =>
      sort(x, 1)
        .values.add(topk(x, 4, 1).values)
        .add(x.argsort(1).float()),
  ],
  [
    'matmul/dot',
    [3, 4],
    (x) =>
      x.matmul(x.transpose(0, 1)).add(
        x
          .slice([[0, 1], null])
          .reshape([4])
          .dot(x.slice([[1, 2], null]).reshape([4])),
      ),
  ],
  [
    'fusedLinear relu',
    [3, 4],
    (x) =>
      fusedLinear(
        x,
        x.slice([[0, 2], null]).add(0.25),
        x
          .slice([
            [2, 3],
            [0, 2],
          ])
          .reshape([2]),
        { activation: 'relu' },
      ),
  ],
  [
    'layerNorm',
    [3, 4],
    (x) => layerNorm(x, [4], x.slice([[0, 1], null]).reshape([4]), x.slice([[1, 2], null]).reshape([4])),
  ],
  ['conv2d', [2, 2, 4, 4], (x) => conv2d(x, x.slice([[0, 3], null, [0, 3], [0, 3]]), null, { padding: 1 })],
  [
    'convTranspose2d',
    [2, 2, 4, 4],
    (x) =>
      convTranspose2d(
        x,
        x.slice([
          [0, 2],
          [0, 1],
          [0, 2],
          [0, 2],
        ]),
        null,
        { stride: 2 },
      ),
  ],
  ['maxPool2d/avgPool2d', [64], (x) => maxPool2d(img(x), { kernelSize: 2 }).add(avgPool2d(img(x), { kernelSize: 2 }))],
  ['interpolate', [64], (x) => interpolate(img(x), { scaleFactor: 2, mode: 'bilinear' })],
  ['attention', [2, 3, 4], (x) => x.matmul(x.transpose(1, 2)).div(2).softmax(-1).matmul(x)],
  ['oneHot of argmax', [3, 4], (x) => oneHot(x.argmax(1), 4).float().mul(x)],
  ['maskedSelect (a data-dependent shape)', [3, 4], (x) => maskedSelect(x, x.gt(0)), true],
  ['nonzero (a data-dependent shape)', [3, 4], (x) => x.nonzero().float(), true],
  ['any/all/isnan/isfinite', [3, 4], (x) => x.isnan().any().float().add(x.isfinite().all().float()).add(x)],
];

/** The values of `t` as numbers (none for null; a function, so that TypeScript does not narrow `.grad`). */
const valuesOf = (t: Tensor | null): number[] => (t === null ? [] : Array.from(t.values, Number));

/** The output and the input's gradient for a backward of `sum(f(x) · r)`, r fixed random weights. */
function run(f: (x: Tensor) => Tensor, x: Tensor, r: (shape: readonly number[]) => Tensor) {
  x.grad = null;
  const y = f(x);
  if (y.requiresGrad) y.mul(r(y.shape)).sum().backward();
  return { y: Array.from(y.values, Number), g: valuesOf(x.grad) };
}

describe('capture of each op: exact replays or a CaptureError', () => {
  it.each(CASES)('%s', (_name, shape, f, refused = false) => {
    const r = fixedWeights();
    const inputs = [0, 1, 2].map((i) => {
      manualSeed(10 + i);
      return randn(shape);
    });
    const step = (x: Tensor) =>
      capture(
        (input) => {
          input.grad = null;
          const y = f(input);
          if (y.requiresGrad) y.mul(r(y.shape)).sum().backward();
          return y;
        },
        [x],
      );
    if (refused) {
      expect(() => step(inputs[0].clone().requiresGrad_())).toThrow(CaptureError);
      expect(() => step(inputs[0].clone().requiresGrad_())).toThrow(/cannot/);
      return;
    }
    const eager = inputs.map((v) => run(f, v.clone().requiresGrad_(), r));
    // What a capture computes as it records, for each input: replays must give it to the bit. (It may take
    // another path than eager code, as on the webgpu backend: prod's gradient without a division.)
    const expected = inputs.map((v) => {
      const x = v.clone().requiresGrad_();
      const s = step(x);
      const out = { y: Array.from(s.outputs.values, Number), g: valuesOf(x.grad) };
      s.dispose();
      return out;
    });
    expected.forEach((e, i) => {
      expect(close(e.y, eager[i].y), `output at capture, input ${i}`).toBe(true);
      expect(close(e.g, eager[i].g), `gradient at capture, input ${i}`).toBe(true);
    });
    const x = inputs[0].clone().requiresGrad_();
    const s = step(x);
    const gradOf = () => valuesOf(x.grad);
    for (const i of [2, 1, 0, 2]) {
      const y = s.replay(inputs[i]);
      expect(Array.from(y.values, Number), `output for input ${i}`).toEqual(expected[i].y);
      expect(gradOf(), `gradient for input ${i}`).toEqual(expected[i].g);
    }
    s.dispose();
  });
});
