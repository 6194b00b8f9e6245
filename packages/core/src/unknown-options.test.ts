import { describe, expect, it } from 'vitest';
import { backward, gradients } from './autograd/backward';
import { gradcheck, gradgradcheck } from './autograd/gradcheck';
import { initWasmBackend } from './backends/wasm/index';
import { initWebGpuBackend } from './backends/webgpu/init';
import { checkOptions, closestName } from './check-options';
import { arange, eye, full, fullLike, linspace, ones, onesLike, tensor, zeros, zerosLike } from './creation';
import { ValueError } from './errors';
import { noGrad } from './grad-mode';
import { registerOp } from './op';
import { argmax, argmin } from './ops/argmax';
import { scaledDotProductAttention, scaledDotProductAttentionWeights } from './ops/attention';
import { avgPool2d } from './ops/avg-pool2d';
import { convTranspose2d } from './ops/conv-transpose';
import { conv2d } from './ops/conv2d';
import { interpolate } from './ops/interpolate';
import { eigh } from './ops/linalg/eigh';
import { qr } from './ops/linalg/qr';
import { fusedLinear } from './ops/linear';
import { logSoftmaxNll } from './ops/log-softmax-nll';
import { logsumexp } from './ops/logsumexp';
import { matmulTransposed } from './ops/matmul';
import { max, maxWithIndices } from './ops/max';
import { maxPool2d } from './ops/max-pool2d';
import { maxUnpool2d } from './ops/max-unpool2d';
import { mean } from './ops/mean';
import { min, minWithIndices } from './ops/min';
import { norm } from './ops/norm';
import { maxPool2dWithIndices } from './ops/pool-max2d-indices';
import { avgPool1d, maxPool1d, maxPool1dWithIndices } from './ops/pool1d';
import { prod } from './ops/prod';
import { sum } from './ops/sum';
import { std, variance } from './ops/variance';
import { Generator, rand, randint, randn, randperm } from './random';
import type { Tensor } from './tensor';

/** The message of the ValueError `f` throws. */
function message(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ValueError);
    return (error as Error).message;
  }
  throw new Error('expected a ValueError');
}

/** Call with options the types reject, as JavaScript callers (or `as never` casts) can. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
const loose = (value: Record<string, unknown>): any => value;

describe('creation functions reject unknown options', () => {
  it('name the function, the key and the close option', () => {
    expect(message(() => tensor([1, 2], loose({ requires_grad: true })))).toBe(
      'tensor: unknown option "requires_grad" (did you mean "requiresGrad"?); options are dtype, requiresGrad, shape',
    );
    expect(message(() => zeros([2], loose({ dtyp: 'float64' })))).toBe(
      'zeros: unknown option "dtyp" (did you mean "dtype"?); options are dtype, requiresGrad',
    );
    const cases: [string, () => unknown][] = [
      ['ones', () => ones([2], loose({ dtyp: 'float64' }))],
      ['full', () => full([2], 3, loose({ dtyp: 'float64' }))],
      ['zerosLike', () => zerosLike(zeros([2]), loose({ dtyp: 'float64' }))],
      ['onesLike', () => onesLike(zeros([2]), loose({ dtyp: 'float64' }))],
      ['fullLike', () => fullLike(zeros([2]), 3, loose({ dtyp: 'float64' }))],
      ['arange', () => arange(0, 3, 1, loose({ dtyp: 'float64' }))],
      ['linspace', () => linspace(0, 1, 3, loose({ dtyp: 'float64' }))],
      ['eye', () => eye(2, 2, loose({ dtyp: 'float64' }))],
    ];
    for (const [fn, f] of cases) expect(message(f)).toContain(`${fn}: unknown option "dtyp" (did you mean "dtype"?)`);
  });

  it('count a key whose value is undefined', () => {
    expect(message(() => zeros([2], loose({ requires_grad: undefined })))).toContain('unknown option "requires_grad"');
  });

  it('accept their own options', () => {
    const t = tensor([1, 2, 3, 4], { shape: [2, 2], dtype: 'float64', requiresGrad: true });
    expect(t.shape).toEqual([2, 2]);
    expect(t.requiresGrad).toBe(true);
    expect(zeros([2], { dtype: 'int32' }).dtype).toBe('int32');
    expect(zerosLike(zeros([2], { dtype: 'int32' }), { dtype: undefined }).dtype).toBe('int32');
    expect(onesLike(zeros([2]), { dtype: 'float64', requiresGrad: true }).requiresGrad).toBe(true);
    expect(eye(2, 3, { dtype: 'float64', requiresGrad: true }).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(arange(3, undefined, 1, { dtype: 'int32' }).toArray()).toEqual([0, 1, 2]);
    expect(linspace(0, 1, 3, { dtype: 'float64' }).toArray()).toEqual([0, 0.5, 1]);
  });
});

describe('random functions reject unknown options', () => {
  it('name the function, the key and the close option', () => {
    expect(message(() => randn([2], loose({ dtyp: 'float64' })))).toBe(
      'randn: unknown option "dtyp" (did you mean "dtype"?); options are dtype, generator, requiresGrad',
    );
    expect(message(() => rand([2], loose({ generater: new Generator(1) })))).toContain(
      'rand: unknown option "generater" (did you mean "generator"?)',
    );
    expect(message(() => randint(0, 5, [2], loose({ requires_grad: false })))).toContain(
      'randint: unknown option "requires_grad" (did you mean "requiresGrad"?)',
    );
    expect(message(() => randperm(4, loose({ seed: 1 })))).toBe(
      'randperm: unknown option "seed"; options are generator',
    );
  });

  it('accept their own options', () => {
    const g = new Generator(7);
    expect(randn([2], { dtype: 'float64', generator: g, requiresGrad: true }).dtype).toBe('float64');
    expect(rand([2], { generator: g }).shape).toEqual([2]);
    expect(randint(0, 5, [3], { dtype: 'int32', generator: g }).shape).toEqual([3]);
    expect(randperm(4, { generator: g }).shape).toEqual([4]);
  });
});

describe('reductions reject an options object for keepdims and unknown options', () => {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);

  it('say that keepdims is a boolean argument', () => {
    const reductions: [string, (k: unknown) => unknown][] = [
      ['sum', (k) => sum(x, 0, k as boolean)],
      ['mean', (k) => mean(x, 0, k as boolean)],
      ['max', (k) => max(x, 0, k as boolean)],
      ['min', (k) => min(x, 0, k as boolean)],
      ['maxWithIndices', (k) => maxWithIndices(x, 0, k as boolean)],
      ['minWithIndices', (k) => minWithIndices(x, 0, k as boolean)],
      ['prod', (k) => prod(x, 0, k as boolean)],
      ['logsumexp', (k) => logsumexp(x, 0, k as boolean)],
      ['argmax', (k) => argmax(x, 0, k as boolean)],
      ['argmin', (k) => argmin(x, 0, k as boolean)],
      ['norm', (k) => norm(x, 2, 0, k as boolean)],
    ];
    for (const [fn, f] of reductions) {
      expect(message(() => f({ keepdim: true }))).toBe(
        `${fn}: keepdims is a boolean argument (the one after axis), not an options object; got {"keepdim":true}`,
      );
      expect(message(() => f(1))).toBe(`${fn}: keepdims must be a boolean, got 1`);
    }
    expect(message(() => x.sum(0, loose({ keepdim: true })))).toContain('sum: keepdims is a boolean argument');
  });

  it('suggest keepdims for keepdim in variance and std', () => {
    expect(message(() => variance(x, 0, loose({ keepdim: true })))).toBe(
      'variance: unknown option "keepdim" (did you mean "keepdims"?); options are keepdims, unbiased, correction',
    );
    expect(message(() => std(x, 0, loose({ keepdim: true })))).toContain('std: unknown option "keepdim"');
    expect(message(() => x.var(0, loose({ unbias: false })))).toContain('did you mean "unbiased"?');
  });

  it('still take keepdims and the variance options', () => {
    expect(sum(x, 0, true).shape).toEqual([1, 2]);
    expect(x.mean(1, false).shape).toEqual([2]);
    expect(norm(x, 2, 0, true).shape).toEqual([1, 2]);
    expect(variance(x, 0, { keepdims: true, unbiased: false }).toArray()).toEqual([[1, 1]]);
    expect(std(x, 0, { correction: 0 }).toArray()).toEqual([1, 1]);
  });
});

describe('autograd functions reject unknown options', () => {
  it('name the function, the key and the close option', () => {
    const x = tensor([2], { dtype: 'float64', requiresGrad: true });
    expect(
      message(() =>
        x
          .mul(x)
          .sum()
          .backward(null, loose({ retain_graph: true })),
      ),
    ).toBe(
      'backward: unknown option "retain_graph" (did you mean "retainGraph"?); options are retainGraph, createGraph',
    );
    expect(message(() => backward(x.mul(x).sum(), null, loose({ create_graph: true })))).toContain(
      'did you mean "createGraph"?',
    );
    expect(message(() => gradients([x.mul(x).sum()], [x], null, loose({ allow_unused: true })))).toBe(
      'gradients: unknown option "allow_unused" (did you mean "allowUnused"?); options are retainGraph, createGraph, allowUnused',
    );
    const f = (a: Tensor) => a.tanh();
    expect(message(() => gradcheck(f, [x], loose({ raise_exception: false })))).toContain(
      'gradcheck: unknown option "raise_exception" (did you mean "raiseException"?)',
    );
    expect(message(() => gradgradcheck(f, [x], loose({ epsilon: 1e-6 })))).toContain(
      'gradgradcheck: unknown option "epsilon"',
    );
  });

  it('accept their own options', () => {
    const x = tensor([2], { dtype: 'float64', requiresGrad: true });
    const y = x.pow(3).sum();
    const [g] = gradients([y], [x], null, { createGraph: true, retainGraph: true, allowUnused: false });
    expect(g?.item()).toBe(12);
    y.backward(null, { retainGraph: false });
    expect(x.grad?.item()).toBe(12);
    expect(gradcheck((a) => a.tanh(), [x], { eps: 1e-6, atol: 1e-5, rtol: 1e-3, seed: 1, raiseException: true })).toBe(
      true,
    );
  });
});

describe('ops with options reject unknown options', () => {
  const img = randn([1, 2, 4, 4], { generator: new Generator(1) });
  const row = randn([1, 2, 6], { generator: new Generator(2) });

  it('name the function, the key and the close option', () => {
    const cases: [() => unknown, string][] = [
      [
        () => matmulTransposed(ones([2, 3]), ones([2, 3]), loose({ trans_b: true })),
        'matmulTransposed: unknown option "trans_b" (did you mean "transB"?)',
      ],
      [
        () => fusedLinear(ones([1, 2]), ones([3, 2]), null, loose({ activ: 'relu' })),
        'fusedLinear: unknown option "activ" (did you mean "activation"?)',
      ],
      [
        () => conv2d(img, ones([3, 2, 3, 3]), null, loose({ strides: 1 })),
        'conv2d: unknown option "strides" (did you mean "stride"?)',
      ],
      [
        () => convTranspose2d(img, ones([2, 3, 3, 3]), null, loose({ output_padding: 0 })),
        'convTranspose2d: unknown option "output_padding" (did you mean "outputPadding"?)',
      ],
      [
        () => maxPool2d(img, loose({ kernel_size: 2 })),
        'maxPool2d: unknown option "kernel_size" (did you mean "kernelSize"?)',
      ],
      [
        () => maxPool2dWithIndices(img, loose({ kernelSize: 2, ceil_mode: true })),
        'maxPool2dWithIndices: unknown option "ceil_mode" (did you mean "ceilMode"?)',
      ],
      [
        () => avgPool2d(img, loose({ kernelSize: 2, count_include_pad: false })),
        'avgPool2d: unknown option "count_include_pad" (did you mean "countIncludePad"?)',
      ],
      [
        () => maxPool1d(row, loose({ kernel_size: 2 })),
        'maxPool1d: unknown option "kernel_size" (did you mean "kernelSize"?)',
      ],
      [
        () => maxPool1dWithIndices(row, loose({ kernelSize: 2, dilations: 1 })),
        'maxPool1dWithIndices: unknown option "dilations" (did you mean "dilation"?)',
      ],
      [
        () => avgPool1d(row, loose({ kernelSize: 2, dilation: 1 })),
        'avgPool1d: unknown option "dilation"; options are kernelSize, stride, padding, ceilMode, countIncludePad',
      ],
      [
        () => maxUnpool2d(img, zeros([1, 2, 4, 4], { dtype: 'int32' }), 2, loose({ output_size: [8, 8] })),
        'maxUnpool2d: unknown option "output_size" (did you mean "outputSize"?)',
      ],
      [
        () => interpolate(img, loose({ scale_factor: 2 })),
        'interpolate: unknown option "scale_factor" (did you mean "scaleFactor"?)',
      ],
      [
        () => scaledDotProductAttention(ones([2, 3]), ones([2, 3]), ones([2, 3]), loose({ is_causal: true })),
        'scaledDotProductAttention: unknown option "is_causal" (did you mean "isCausal"?)',
      ],
      [
        () => scaledDotProductAttentionWeights(ones([2, 3]), ones([2, 3]), loose({ attn_mask: null })),
        'scaledDotProductAttentionWeights: unknown option "attn_mask" (did you mean "attnMask"?)',
      ],
      [() => qr(eye(2), loose({ mod: 'r' })), 'qr: unknown option "mod" (did you mean "mode"?); options are mode'],
      [
        () => eigh(eye(2), loose({ UPLO: 'U' })),
        'eigh: unknown option "UPLO" (did you mean "uplo"?); options are uplo',
      ],
      [
        () => noGrad(() => zeros([2]).add_(ones([2]), loose({ alpah: 2 }))),
        'Tensor.add_: unknown option "alpah" (did you mean "alpha"?); options are alpha',
      ],
      [
        () => noGrad(() => zeros([2]).sub_(ones([2]), loose({ scale: 2 }))),
        'Tensor.sub_: unknown option "scale"; options are alpha',
      ],
      [
        () =>
          logSoftmaxNll(
            ones([2, 3]),
            loose({ index: Int32Array.of(0, 1), weights: Float32Array.of(1, 1), denominator: 2 }),
          ),
        'logSoftmaxNll: unknown picks field "weights" (did you mean "weight"?)',
      ],
    ];
    for (const [f, expected] of cases) expect(message(f)).toContain(expected);
  });

  it('accept their own options', () => {
    expect(matmulTransposed(ones([2, 3]), ones([2, 3]), { transA: false, transB: true }).shape).toEqual([2, 2]);
    expect(conv2d(img, ones([2, 2, 3, 3]), null, { stride: 1, padding: 1, dilation: 1, groups: 1 }).shape).toEqual([
      1, 2, 4, 4,
    ]);
    expect(maxPool2d(img, { kernelSize: 2, stride: 2, padding: 0, dilation: 1, ceilMode: false }).shape).toEqual([
      1, 2, 2, 2,
    ]);
    expect(avgPool1d(row, { kernelSize: 2, countIncludePad: true }).shape).toEqual([1, 2, 3]);
    expect(interpolate(img, { scaleFactor: 2, mode: 'nearest' }).shape).toEqual([1, 2, 8, 8]);
    expect(noGrad(() => zeros([2]).add_(ones([2]), { alpha: 2 })).toArray()).toEqual([2, 2]);
    expect(qr(eye(2), { mode: 'r' }).r.shape).toEqual([2, 2]);
  });
});

describe('backend setup and registerOp reject unknown options', () => {
  it('name the function, the key and the close option', () => {
    expect(message(() => initWasmBackend(loose({ relaxed_simd: false })))).toBe(
      'initWasmBackend: unknown option "relaxed_simd" (did you mean "relaxedSimd"?); options are relaxedSimd',
    );
    expect(message(() => initWebGpuBackend(loose({ power_preference: 'low-power' })))).toContain(
      'initWebGpuBackend: unknown option "power_preference" (did you mean "powerPreference"?)',
    );
    const forward = ([x]: readonly Tensor[]) => x;
    expect(message(() => registerOp(loose({ name: 'unknownOptionsTestOp', forward, backwards: () => [] })))).toBe(
      'registerOp: unknown field "backwards" (did you mean "backward"?); fields are name, forward, backward, saves, halfNative, ownsGrads',
    );
    expect(
      message(() => registerOp({ name: 'unknownOptionsTestOp', forward, saves: loose({ input: [0] }) })),
    ).toContain('registerOp: unknown saves field "input" (did you mean "inputs"?)');
    expect(message(() => registerOp({ name: 'unknownOptionsTestOp', forward }, loose({ overide: true })))).toContain(
      'registerOp: unknown option "overide" (did you mean "override"?)',
    );
  });
});

describe('checkOptions', () => {
  it('names the function and the key, suggests a close name and lists the options', () => {
    expect(message(() => checkOptions('f', { batch_size: 1 }, ['batchSize', 'shuffle']))).toBe(
      'f: unknown option "batch_size" (did you mean "batchSize"?); options are batchSize, shuffle',
    );
    expect(message(() => checkOptions('f', { colour: 1 }, ['batchSize', 'shuffle']))).toBe(
      'f: unknown option "colour"; options are batchSize, shuffle',
    );
    expect(message(() => checkOptions('f', { x: undefined }, []))).toBe('f: unknown option "x"; options are none');
    expect(message(() => checkOptions('f', 'valLoss', ['monitor']))).toBe(
      'f: expected an options object, got "valLoss"; pass them by name, as in { monitor: ... } (options are monitor)',
    );
    expect(message(() => checkOptions('f', [1], ['monitor', 'mode']))).toBe(
      'f: expected an options object, got an array; pass them by name, as in { monitor: ... } (options are monitor, mode)',
    );
    expect(message(() => checkOptions('f', 2, []))).toBe('f: expected an options object, got 2');
    expect(() => checkOptions('f', undefined, [])).not.toThrow();
    expect(() => checkOptions('f', { a: 1 }, ['a', 'b'])).not.toThrow();
  });

  it('suggests snake_case, other cases, small typos and a known prefix, and nothing far', () => {
    const names = ['batchSize', 'validation', 'minDelta', 'restoreBestWeights', 'lr', 'mode'];
    expect(closestName('batch_size', names)).toBe('batchSize');
    expect(closestName('BatchSize', names)).toBe('batchSize');
    expect(closestName('min_delta', names)).toBe('minDelta');
    expect(closestName('restoreBestWieghts', names)).toBe('restoreBestWeights');
    expect(closestName('validationData', names)).toBe('validation');
    expect(closestName('mdoe', names)).toBe('mode');
    expect(closestName('epochs', names)).toBeNull();
    expect(closestName('x', names)).toBeNull();
  });
});
