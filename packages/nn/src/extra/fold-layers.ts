import { checkOptions, optionNames, type Tensor } from '@nablajs/core';
import { checkInput, type Size2d, sizeText, toPair } from '../layers/util';
import { Module } from '../module';
import { fold, type SlidingBlockOptions, unfold } from './fold-ops';

const BLOCK_OPTIONS = optionNames<SlidingBlockOptions>({ dilation: true, padding: true, stride: true });

/** The checked options of a block layer, as the caller gave them (a number or a pair), defaults filled in. */
function checkBlockOptions(label: string, kernelSize: Size2d, options: SlidingBlockOptions) {
  checkOptions(label, options, BLOCK_OPTIONS);
  const dilation = options.dilation ?? 1;
  const padding = options.padding ?? 0;
  const stride = options.stride ?? 1;
  return {
    kernelSize: keep(label, 'kernelSize', kernelSize, 1),
    dilation: keep(label, 'dilation', dilation, 1),
    padding: keep(label, 'padding', padding, 0),
    stride: keep(label, 'stride', stride, 1),
  };
}

/** Check a {@link Size2d} (integers `>= min`) and keep it as given: a number, or a copy of the pair. */
function keep(label: string, arg: string, value: Size2d, min: number): Size2d {
  const pair = toPair(label, arg, value, min);
  return typeof value === 'number' ? value : pair;
}

/** `kernelSize=2, dilation=[1,2], padding=1, stride=1`: the end of a block layer's repr. */
function blockRepr(m: { kernelSize: Size2d; dilation: Size2d; padding: Size2d; stride: Size2d }): string {
  return (
    `kernelSize=${sizeText(m.kernelSize)}, dilation=${sizeText(m.dilation)}, ` +
    `padding=${sizeText(m.padding)}, stride=${sizeText(m.stride)}`
  );
}

/**
 * Extract sliding blocks into columns, like PyTorch 1.13's `torch.nn.Unfold`: the module form of
 * {@link unfold}, `[N, C, H, W]` (or `[C, H, W]`) to `[N, C·kh·kw, L]` (or `[C·kh·kw, L]`). The options are
 * checked when the layer is built; the input's fit when it runs.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Unfold.html
 *
 * @example
 * ```ts
 * const unfoldLayer = new Unfold([2, 3], { padding: 1, stride: 2 });
 * unfoldLayer.forward(randn([2, 3, 5, 5])).shape; // [2, 18, 9]
 * String(unfoldLayer); // 'Unfold(kernelSize=[2,3], dilation=1, padding=1, stride=2)'
 * ```
 */
export class Unfold extends Module {
  /** The size of a block. */
  readonly kernelSize: Size2d;
  /** The spacing between the taps of a block. */
  readonly dilation: Size2d;
  /** The implicit zero padding on both sides of each spatial dim. */
  readonly padding: Size2d;
  /** The step between neighbouring blocks. */
  readonly stride: Size2d;

  constructor(kernelSize: Size2d, options: SlidingBlockOptions = {}) {
    super();
    ({
      kernelSize: this.kernelSize,
      dilation: this.dilation,
      padding: this.padding,
      stride: this.stride,
    } = checkBlockOptions('Unfold', kernelSize, options));
  }

  /** The columns of `input`'s blocks (see {@link unfold}). */
  forward(input: Tensor): Tensor {
    checkInput('Unfold', input);
    const { kernelSize, dilation, padding, stride } = this;
    return unfold(input, { kernelSize, dilation, padding, stride });
  }

  override extraRepr(): string {
    return blockRepr(this);
  }
}

/**
 * Sum columns of sliding blocks back into images, like PyTorch 1.13's `torch.nn.Fold`: the module form of
 * {@link fold}, `[N, C·kh·kw, L]` (or `[C·kh·kw, L]`) to `[N, C, H, W]` (or `[C, H, W]`) with
 * `[H, W] = outputSize`; overlapping blocks add up. The options are checked when the layer is built; the
 * input's fit when it runs.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Fold.html
 *
 * @example
 * ```ts
 * const foldLayer = new Fold([4, 5], 2);
 * foldLayer.forward(randn([2, 12, 12])).shape; // [2, 3, 4, 5]
 * String(foldLayer); // 'Fold(outputSize=[4,5], kernelSize=2, dilation=1, padding=0, stride=1)'
 * ```
 */
export class Fold extends Module {
  /** The spatial size `[H, W]` of the output. */
  readonly outputSize: Size2d;
  /** The size of a block. */
  readonly kernelSize: Size2d;
  /** The spacing between the taps of a block. */
  readonly dilation: Size2d;
  /** The implicit zero padding on both sides of each spatial dim. */
  readonly padding: Size2d;
  /** The step between neighbouring blocks. */
  readonly stride: Size2d;

  constructor(outputSize: Size2d, kernelSize: Size2d, options: SlidingBlockOptions = {}) {
    super();
    this.outputSize = keep('Fold', 'outputSize', outputSize, 1);
    ({
      kernelSize: this.kernelSize,
      dilation: this.dilation,
      padding: this.padding,
      stride: this.stride,
    } = checkBlockOptions('Fold', kernelSize, options));
  }

  /** The images the columns in `input` sum to (see {@link fold}). */
  forward(input: Tensor): Tensor {
    checkInput('Fold', input);
    const { outputSize, kernelSize, dilation, padding, stride } = this;
    return fold(input, { outputSize, kernelSize, dilation, padding, stride });
  }

  override extraRepr(): string {
    return `outputSize=${sizeText(this.outputSize)}, ${blockRepr(this)}`;
  }
}
