import {
  type Conv3dOptions,
  type ConvTranspose3dOptions,
  conv3d,
  convTranspose3d,
  gradients,
  type Tensor,
} from '@nablajs/core';
import { Conv3d, type ConvPaddingMode, ConvTranspose3d } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of F.conv3d, nn.Conv3d and F.conv_transpose3d (see test/fixtures/README.md,
// section conv3d.json).

interface Conv3dCase {
  id: string;
  dtype: 'float64' | 'float32';
  options: Conv3dOptions & ConvTranspose3dOptions;
  padding_mode: ConvPaddingMode;
  /** F.conv_transpose3d's case (the weight is [C_in, C_out / groups, kD, kH, kW]). */
  transposed?: boolean;
  input: FixtureTensor;
  weight: FixtureTensor;
  bias: FixtureTensor | null;
  out: FixtureTensor;
  upstream: FixtureTensor;
  grad_input: FixtureTensor;
  grad_weight: FixtureTensor;
  grad_bias: FixtureTensor | null;
}

const fixture = loadFixture<{ torch_version: string; cases: Conv3dCase[] }>('conv3d.json');

describe('conv3d and Conv3d against PyTorch 1.13.1', () => {
  it('covers the fixture', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    expect(fixture.cases.length).toBe(19);
    expect(fixture.cases.filter((c) => c.transposed === true).length).toBe(5);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: values and the gradients of input, weight and bias`, () => {
      const tol = { rel: c.dtype === 'float64' ? 1e-12 : 1e-5 };
      const x = fromFixture(c.input, { requiresGrad: true });
      let out: Tensor;
      let weight: Tensor;
      let bias: Tensor | null;
      if (c.padding_mode === 'zeros') {
        weight = fromFixture(c.weight, { requiresGrad: true });
        bias = c.bias === null ? null : fromFixture(c.bias, { requiresGrad: true });
        out = c.transposed ? convTranspose3d(x, weight, bias, c.options) : conv3d(x, weight, bias, c.options);
      } else {
        const [outChannels, perGroup, ...kernel] = c.weight.shape;
        const groups = c.options.groups ?? 1;
        const layer = new Conv3d(perGroup * groups, outChannels, kernel as [number, number, number], {
          ...(c.options as object),
          bias: c.bias !== null,
          paddingMode: c.padding_mode,
          dtype: c.dtype,
        });
        layer.loadStateDict(
          c.bias === null
            ? { weight: fromFixture(c.weight) }
            : { weight: fromFixture(c.weight), bias: fromFixture(c.bias) },
        );
        weight = layer.weight;
        bias = layer.bias;
        out = layer.forward(x);
      }
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.out, tol, 'out');
      const wrt = bias === null ? [x, weight] : [x, weight, bias];
      const grads = gradients([out], wrt, [fromFixture(c.upstream)]);
      closeTo(grads[0] as Tensor, c.grad_input, tol, 'grad input');
      closeTo(grads[1] as Tensor, c.grad_weight, tol, 'grad weight');
      if (bias !== null) closeTo(grads[2] as Tensor, c.grad_bias as FixtureTensor, tol, 'grad bias');
    });
  }

  it('ConvTranspose3d: the functional result with its weights, and outputSize picks the output padding', () => {
    const c = fixture.cases.find((x) => x.id === 'transpose-stride-padding-output-padding') as Conv3dCase;
    const [inChannels, perGroup, ...kernel] = c.weight.shape;
    const layer = new ConvTranspose3d(inChannels, perGroup, kernel as [number, number, number], {
      stride: c.options.stride,
      padding: c.options.padding as [number, number, number],
      outputPadding: c.options.outputPadding,
      dtype: 'float64',
    });
    layer.loadStateDict({ weight: fromFixture(c.weight), bias: fromFixture(c.bias as FixtureTensor) });
    closeTo(layer.forward(fromFixture(c.input)), c.out, { rel: 1e-12 }, 'out');
    const noPadding = new ConvTranspose3d(inChannels, perGroup, kernel as [number, number, number], {
      stride: c.options.stride,
      padding: c.options.padding as [number, number, number],
      dtype: 'float64',
    });
    noPadding.loadStateDict({ weight: fromFixture(c.weight), bias: fromFixture(c.bias as FixtureTensor) });
    closeTo(
      noPadding.forward(fromFixture(c.input), { outputSize: c.out.shape.slice(2) }),
      c.out,
      { rel: 1e-12 },
      'out',
    );
  });
});
